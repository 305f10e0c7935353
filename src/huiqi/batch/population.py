"""A population on disk: one Parquet file per fact table plus ``meta.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from huiqi.facts.tables import SCHEMAS

TABLES = tuple(SCHEMAS)


def parquet_source(path: Path) -> str:
    """A path DuckDB's ``read_parquet`` takes for a file or a folder of part files (Spark)."""
    target = path / "*.parquet" if path.is_dir() else path
    return str(target).replace("'", "''")


@dataclass(frozen=True)
class Population:
    """Where a population's tables are, and what it describes."""

    path: Path
    meta: dict[str, Any]

    def file(self, table: str) -> Path:
        return self.path / f"{table}.parquet"

    @property
    def year(self) -> int:
        return int(self.meta["year"])

    @classmethod
    def open(cls, path: Path) -> Population:
        """Open a population folder, checking that every table is there with its schema."""
        if not (path / "meta.json").is_file():
            raise FileNotFoundError(f"{path} is not a population (no meta.json); see `huiqi synth`")
        for table in TABLES:
            file = path / f"{table}.parquet"
            if not file.is_file():
                raise FileNotFoundError(f"population {path}: {file.name} is missing")
            schema = pq.read_schema(file)
            if not schema.equals(SCHEMAS[table], check_metadata=False):
                raise ValueError(f"population {path}: {file.name} does not have the {table} schema")
        return cls(path, json.loads((path / "meta.json").read_text(encoding="utf-8")))

    @classmethod
    def open_years(cls, path: Path) -> list[Population]:
        """A population, or one per year: a folder holding a population in a folder per year
        (``district/2024``, ``district/2025``), matched year by year in one process."""
        if (path / "meta.json").is_file():
            return [cls.open(path)]
        folders = sorted(p for p in path.glob("[0-9][0-9][0-9][0-9]") if (p / "meta.json").is_file())
        if not folders:
            raise FileNotFoundError(f"{path} is not a population (no meta.json, nor a folder per "
                                    "year holding one; 不是企业群体); see `huiqi synth`")
        years = [cls.open(folder) for folder in folders]
        for folder, pop in zip(folders, years, strict=True):
            if str(pop.year) != folder.name:
                raise ValueError(f"population {folder}: its meta.json says year {pop.year} "
                                 "(年度与文件夹不符)")
        return years

    @classmethod
    def write(cls, path: Path, tables: dict[str, pa.Table], meta: dict[str, Any]) -> Population:
        path.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            pq.write_table(tables[name], path / f"{name}.parquet", row_group_size=1 << 20)
        (path / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return cls(path, meta)
