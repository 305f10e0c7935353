"""A run's registry as one population, evaluated by the batch path.

The registry is read in slices (``registry.bulk``), each slice validated as a case and turned
into the engine's Arrow tables; the compiled SQL of every ceiling measure — the same definition
the calculator and ``huiqi match`` run — is executed once over the whole population by an
embedded DuckDB with its optimizer on. A match keeps its computed row, from which its full
explanation is built when someone asks for it; its reasons are written with it, each distinct
reason explained once (most rows repeat: an R&D figure missing for most enterprises).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy.orm import Session

from huiqi.app.applications import evaluation
from huiqi.app.errors import Refused
from huiqi.app.registry import bulk
from huiqi.calculator import InputError, parse_case
from huiqi.engine.evaluate import Compiled, compile_policy, derive_sql, derived_inputs
from huiqi.engine.explain import Result, explain
from huiqi.engine.policy import MeasureKind, Policy
from huiqi.facts.tables import SCHEMAS, to_tables


@dataclass
class Population:
    """The registry for one year: the engine's tables and each beneficiary's organisation."""

    tables: dict[str, pa.Table]
    org_ids: dict[str, int]  # USCC → organisation id, in the order read


def read(session: Session, year: int, read_so_far: Callable[[int], None]) -> Population:
    """Every registered organisation's facts for ``year`` as the engine's tables."""
    histories = evaluation.ledger_histories(session)
    parts: dict[str, list[pa.Table]] = {name: [] for name in SCHEMAS}
    org_ids: dict[str, int] = {}
    for ids, bens in bulk.beneficiaries(session, year, histories):
        try:
            case = parse_case({"year": year, "beneficiaries": bens, "loans": []}, registered=True)
        except InputError as exc:
            raise Refused(f"registry: the registry's facts do not form a valid case: {exc}") from None
        for name, table in to_tables(case, year).items():
            parts[name].append(table)
        org_ids.update((b["id"], i) for b, i in zip(bens, ids, strict=True))
        read_so_far(len(org_ids))
    tables = {name: pa.concat_tables(ts) if ts else pa.Table.from_pylist([], schema=SCHEMAS[name])
              for name, ts in parts.items()}
    return Population(tables, org_ids)


def compiled_for(pol: Policy, year: int) -> Compiled:
    """Every ceiling measure, with detail, ineligible rows dropped where they are computed."""
    measures = [mid for mid, t in pol.texts.items() if t.kind is MeasureKind.CEILING]
    return compile_policy(pol, year, measures=measures, detail=True, drop_ineligible=True)


COLUMNS = ("beneficiary", "measure", "item", "status", "ceiling_fen", "failed", "missing",
           "placeholder", "detail")
Row = tuple[Any, ...]  # the values of COLUMNS


def evaluate(compiled: Compiled, population: Population) -> list[Row]:
    """The eligible and incomplete rows, ordered as the registry was read, then by measure (in
    the order of the text) and item."""
    con = duckdb.connect()
    try:
        for name, table in {**population.tables, **derived_inputs()}.items():
            con.register(name, table)
        con.execute(f"CREATE TEMP TABLE sizes AS {derive_sql('duckdb')}")
        rows = con.execute(f"SELECT {', '.join(COLUMNS)} FROM ({compiled.sql}) AS r "
                           "WHERE status IN ('eligible', 'incomplete')").fetchall()
    finally:
        con.close()
    order = {m: i for i, m in enumerate(compiled.measure_ids)}
    position = {uscc: i for i, uscc in enumerate(population.org_ids)}
    rows.sort(key=lambda r: (position[r[0]], order[r[1]], r[2] or ""))
    return rows


@dataclass(frozen=True)
class Explained:
    """What a match keeps of a row's explanation, for any beneficiary: the ``Result`` (its
    beneficiary left blank), its reasons and its missing facts."""

    result: Result
    reason_zh: str
    reason_en: str
    missing: str  # JSON

    def of(self, beneficiary: str) -> Result:
        return replace(self.result, beneficiary=beneficiary)


class Explanations:
    """``explain`` once per distinct row. An incomplete row's reason and missing facts depend
    only on what is missing (for the measure and item), an eligible row's on everything in it but
    the beneficiary (its basis shows the figures)."""

    def __init__(self, compiled: Compiled) -> None:
        self.compiled = compiled
        self.seen: dict[tuple[Any, ...], Explained] = {}

    def __call__(self, row: Row) -> Explained:
        key = (*row[1:4], row[6]) if row[3] == "incomplete" else row[1:]
        done = self.seen.get(key)
        if done is None:
            result = explain(self.compiled, dict(zip(COLUMNS, ("", *row[1:]), strict=True)))
            done = self.seen[key] = Explained(
                result, result.reason("zh"), result.reason("en"),
                json.dumps(result.missing, ensure_ascii=False))
        return done


def stored(row: Row) -> str:
    """The computed row as a match keeps it (JSON, the beneficiary left out): its explanation is
    built from it when asked for (``explained``), as the calculator builds it from the same row."""
    return json.dumps({"row": dict(zip(COLUMNS[1:], row[1:], strict=True))}, ensure_ascii=False)


def explained(compiled: Compiled, beneficiary: str, kept: dict[str, Any]) -> dict[str, Any]:
    """The explanation (``Result.to_json``) of a row kept by ``stored``."""
    return explain(compiled, {**kept["row"], "beneficiary": beneficiary}).to_json()
