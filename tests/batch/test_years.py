"""A population of several years — one folder per year — matched and simulated in one process,
each year giving exactly what that year's population gives on its own."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from huiqi.cli import app

runner = CliRunner()
MEASURES = "m01.new,m01.existing,m02,m05,m22.interest"
REFORM = Path(__file__).parents[2] / "examples" / "reforms" / "rate-60.yaml"


def _ok(*args: str) -> str:
    result = runner.invoke(app, [*args, "--quiet"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("years") / "district"
    for year, seed in ((2024, 3), (2025, 4)):
        _ok("synth", "--out", str(path / str(year)), "--enterprises", "600", "--year", str(year),
            "--seed", str(seed))
    return path


def _rows(source: str) -> list[tuple[object, ...]]:
    return duckdb.sql(f"SELECT * FROM read_parquet('{source}', hive_partitioning = false) "
                      "ORDER BY ALL").fetchall()


def test_every_year_is_matched_in_one_run_as_each_would_be_alone(district: Path,
                                                                 tmp_path: Path) -> None:
    out = _ok("match", str(district), "--measures", MEASURES, "--out", str(tmp_path / "all"))
    assert "2024 匹配结果" in out and "2025 匹配结果" in out
    for year in (2024, 2025):
        alone = tmp_path / f"{year}.parquet"
        _ok("match", str(district / str(year)), "--measures", MEASURES, "--out", str(alone))
        together = tmp_path / "all" / f"year={year}" / "results.parquet"
        assert _rows(str(together)) == _rows(str(alone)) != []
    # read as one table, the folder names give the year column
    years = duckdb.sql(f"SELECT DISTINCT year FROM read_parquet('{tmp_path / 'all'}/*/*.parquet', "
                       "hive_partitioning = true) ORDER BY 1").fetchall()
    assert years == [(2024,), (2025,)]


def test_year_picks_one_folder_and_an_absent_year_is_named(district: Path, tmp_path: Path) -> None:
    _ok("match", str(district), "--year", "2025", "--measures", "m05", "--out", str(tmp_path / "r"))
    assert [p.name for p in (tmp_path / "r").iterdir()] == ["year=2025"]
    result = runner.invoke(app, ["match", str(district), "--year", "2023"])
    assert result.exit_code == 2
    assert "holds the years [2024, 2025], not 2023" in " ".join(result.stderr.split())


def test_every_year_is_simulated_in_one_run_as_each_would_be_alone(district: Path,
                                                                   tmp_path: Path) -> None:
    _ok("simulate", str(district), "--reform", str(REFORM), "--measures", MEASURES,
        "--no-charts", "--out", str(tmp_path / "all"))
    for year in (2024, 2025):
        alone = tmp_path / str(year)
        _ok("simulate", str(district / str(year)), "--reform", str(REFORM), "--measures", MEASURES,
            "--no-charts", "--out", str(alone))
        together = tmp_path / "all" / f"year={year}"
        assert _rows(str(together / "scenarios.parquet")) == _rows(str(alone / "scenarios.parquet"))
        assert (together / "by_measure.csv").read_bytes() == (alone / "by_measure.csv").read_bytes()


def test_a_year_folder_whose_population_says_another_year_is_refused(district: Path,
                                                                     tmp_path: Path) -> None:
    copy = tmp_path / "district"
    shutil.copytree(district / "2024", copy / "2026")
    meta = json.loads((copy / "2026" / "meta.json").read_text(encoding="utf-8"))
    assert meta["year"] == 2024
    result = runner.invoke(app, ["match", str(copy)])
    assert result.exit_code == 2 and "its meta.json says year 2024" in result.stderr
    empty = runner.invoke(app, ["match", str(tmp_path / "nothing-here")])
    assert empty.exit_code == 2 and "nor a folder per year" in " ".join(empty.stderr.split())
