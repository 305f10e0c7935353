"""Compile a policy's measures for a year (once per parameter set) and run them.

``compile_policy`` builds the ibis expressions and SQL once per (year, overrides, backend,
measures, detail) and caches them on the policy; ``CaseRunner`` binds one case's tables into an
embedded DuckDB connection and runs the cached SQL — the same SQL a batch runs over Parquet.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import ibis
import pyarrow as pa
import yaml
from ibis.expr.types import Table

from huiqi.engine import sqlcache
from huiqi.engine.backend import DUCKDB, Backend
from huiqi.engine.compile import layout, measure_relation
from huiqi.engine.context import Ctx
from huiqi.engine.measure import Condition
from huiqi.engine.policy import Policy
from huiqi.engine.sources import Items, classified, item_owners
from huiqi.facts import sme
from huiqi.facts.tables import SCHEMAS

OWNERS = "item_owners"  # the beneficiaries holding a title, project or loan, in a batch
# measured at 10^7: 3 item measures (issue 9's subset) ran 19 % slower reading the owners,
# the 11 of a full match 30 % faster
OWNERS_FROM = 6
CACHE_SIZE = 64  # compiled parameter sets kept per policy
_COMPILING = threading.Lock()


@dataclass(frozen=True)
class Compiled:
    """A policy compiled for one year and parameter set."""

    policy: Policy
    ctx: Ctx
    measure_ids: tuple[str, ...]
    sql: str
    layouts: dict[str, list[Condition]]  # conditions in detail order (when compiled with detail)


# The derived table ``sizes``: each beneficiary's SME size class and industry section.
SIZES = pa.schema([("size_id", pa.string()), ("size", pa.string()), ("section", pa.string())])


def fact_tables() -> dict[str, Table]:
    """The unbound tables measures read: the five fact tables, the derived ``sizes`` and the
    SME thresholds (a batch classifies its few candidates itself)."""
    t = {name: ibis.table(ibis.schema(schema), name=name) for name, schema in SCHEMAS.items()}
    t["sizes"] = ibis.table(ibis.schema(SIZES), name="sizes")
    t["sme_thresholds"] = ibis.table(ibis.schema(sme.schema()), name="sme_thresholds")
    return t


def derive_sizes() -> Table:
    """``sizes`` derived from ``subjects`` and the ``sme_thresholds`` lookup: computed once per
    input, so that the measures needing a size class read it instead of deriving it again."""
    t = fact_tables()
    j = classified(t["subjects"], t["sme_thresholds"])
    return j.select(size_id=j.id, size=j.size, section=j.section)


def derive_sql(dialect: str) -> str:
    """SQL deriving ``sizes`` (see ``derive_sizes``)."""
    return str(ibis.to_sql(derive_sizes(), dialect=dialect))


def derived_inputs() -> dict[str, pa.Table]:
    """Reference tables every run registers besides the facts."""
    return {"sme_thresholds": sme.thresholds()}


def compile_policy(
    policy: Policy,
    year: int,
    overrides: Mapping[str, Any] | None = None,
    *,
    backend: Backend = DUCKDB,
    measures: Sequence[str] | None = None,
    detail: bool = True,
    drop_ineligible: bool = False,
) -> Compiled:
    """Compile (or fetch from cache) the union of every measure's result rows."""
    ids = tuple(measures) if measures else tuple(policy.measures)
    unknown = [m for m in ids if m not in policy.measures]
    if unknown:
        raise ValueError(f"unknown measure ids {unknown}; see `huiqi measures`")
    key = (year, yaml.safe_dump(dict(overrides or {}), sort_keys=True), backend.name, ids, detail,
           drop_ineligible)
    with _COMPILING:  # one thread compiles a parameter set; the others wait and reuse it
        if key not in policy.cache:
            if len(policy.cache) >= CACHE_SIZE:  # what-if runs may try many parameter sets
                policy.cache.pop(next(iter(policy.cache)))
            policy.cache[key] = _compile(policy, year, overrides, backend, ids, detail,
                                         drop_ineligible, key)
        compiled: Compiled = policy.cache[key]
        return compiled


def _compile(policy: Policy, year: int, overrides: Mapping[str, Any] | None, backend: Backend,
             ids: tuple[str, ...], detail: bool, drop_ineligible: bool, key: tuple[Any, ...]
             ) -> Compiled:
    ctx = Ctx(year, policy.params.resolve(year, overrides), policy.effective, backend)
    t = fact_tables()
    layouts = {}
    if detail:
        for mid in ids:
            layouts[mid] = layout(policy.measures[mid], t, ctx, policy.texts[mid].clause)
    values = {n: (str(p.value), p.placeholder, p.reform) for n, p in ctx.params.items()}
    disk_key = repr((policy.document["id"], key, sorted(values.items())))
    sql = sqlcache.load(disk_key)
    if sql is None:
        measures = [policy.measures[mid] for mid in ids]
        per_item = [m for m in measures if isinstance(m.source, Items)]
        # A batch of many item measures reads the owners of items once (a named subquery the
        # database materialises) instead of each measure probing every beneficiary; for a few
        # item measures reading the owners costs more than it saves.
        owners = item_owners(t) if drop_ineligible and len(per_item) >= OWNERS_FROM else None
        shared = {**t, "subjects": ibis.table(t["subjects"].schema(), name=OWNERS)}
        rels = [
            measure_relation(m, shared if owners is not None and m in per_item else t, ctx,
                             policy.texts[m.id].clause, detail, drop_ineligible)
            for m in measures
        ]
        expr = ibis.union(*rels, distinct=False) if len(rels) > 1 else rels[0]
        sql = str(ibis.to_sql(expr, dialect=backend.dialect))
        if owners is not None:
            cte = str(ibis.to_sql(owners, dialect=backend.dialect))
            sql = f"WITH {OWNERS} AS ({cte})\nSELECT * FROM ({sql}) AS measures"
        sqlcache.store(disk_key, sql)
    return Compiled(policy, ctx, ids, sql, layouts)


class CaseRunner:
    """Runs compiled SQL over one case's tables in an embedded DuckDB connection.

    A case is a handful of rows, so planning, not execution, is the cost: the input tables are
    created once and refilled per case, every compiled query is prepared once, and the
    optimizer — which pays off only on many rows — is switched off for this connection.
    """

    def __init__(self) -> None:
        self.con = duckdb.connect(config={"threads": 1})
        self.con.execute("PRAGMA disable_optimizer")
        schemas = {**SCHEMAS, "sizes": SIZES, **{n: t.schema for n, t in derived_inputs().items()}}
        for name, schema in schemas.items():
            self.con.from_arrow(pa.Table.from_pylist([], schema=schema)).create(name)
        for name, table in derived_inputs().items():
            self.con.from_arrow(table).insert_into(name)
        self.con.execute(f"PREPARE derive AS INSERT INTO sizes {derive_sql('duckdb')}")
        self.prepared: dict[str, str] = {}

    def _statement(self, sql: str) -> str:
        if sql not in self.prepared:
            name = f"q{len(self.prepared)}"
            self.con.execute(f"PREPARE {name} AS {sql}")
            self.prepared[sql] = name
        return self.prepared[sql]

    def run(self, compiled: Compiled, tables: Mapping[str, pa.Table]) -> list[dict[str, Any]]:
        """Result rows as dictionaries, ordered by beneficiary and measure order."""
        statement = self._statement(compiled.sql)
        for name, table in tables.items():
            self.con.execute(f"DELETE FROM {name}")
            self.con.from_arrow(table).insert_into(name)
        self.con.execute("DELETE FROM sizes")
        self.con.execute("EXECUTE derive")
        cur = self.con.execute(f"EXECUTE {statement}")
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        order = {m: i for i, m in enumerate(compiled.measure_ids)}
        ids = {b: i for i, b in enumerate(tables["subjects"].column("id").to_pylist())}
        rows.sort(key=lambda r: (ids.get(r["beneficiary"], 0), order[r["measure"]],
                                 r["item"] or ""))
        return rows
