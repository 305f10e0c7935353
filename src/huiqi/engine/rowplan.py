"""One case in-process: the compiled measures evaluated over the case's own rows.

A case is a handful of rows, for which a warehouse's query plan costs more than the answer. So
``row_plan`` takes the very expressions the batch path compiles to SQL — ``measure_relation``
of every measure and the derivation of the size class — lowers their graph to plain data
(``lower``), keeps that on disk beside the compiled SQL, and turns it into Python closures
(``interpret``). ``RowPlan.run`` returns the same rows, column for column, as the SQL would;
``tests/engine/test_parity.py`` holds the two to it.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from huiqi.engine import sqlcache
from huiqi.engine.backend import DUCKDB
from huiqi.engine.context import Ctx
from huiqi.engine.interpret import SUPPORTED, Env, Program, Row
from huiqi.engine.lower import Node
from huiqi.engine.policy import Policy

CACHE_SIZE = 64  # parameter sets kept per policy, as for the compiled SQL
_BUILDING = threading.Lock()
_SUFFIX = ".rows"


@dataclass(frozen=True)
class Label:
    """A condition as the explanation shows it (the test itself lives in the lowered graph)."""

    name: str
    clause: str
    label_zh: str
    label_en: str


@dataclass(frozen=True)
class Lowered:
    """What is kept on disk: the graph, each measure's root, the size class's root, layouts."""

    nodes: list[Node]
    roots: dict[str, int]
    sizes: int
    layouts: dict[str, list[Label]]


@dataclass(frozen=True)
class RowPlan:
    """A policy's measures for one year and parameter set, ready to run over a case's rows."""

    policy: Policy
    ctx: Ctx
    lowered: Lowered
    program: Program

    @property
    def layouts(self) -> dict[str, list[Label]]:
        return self.lowered.layouts

    def run(self, tables: Mapping[str, list[Row]], measures: Sequence[str]) -> list[Row]:
        """Result rows of ``measures`` (as the compiled SQL gives them), ordered by beneficiary,
        measure and item."""
        env: Env = dict(tables)
        env["sme_thresholds"] = _thresholds()
        env["sizes"] = self.program.relation(self.lowered.sizes)(env)
        rows = [r for mid in measures for r in self.program.relation(self.lowered.roots[mid])(env)]
        order = {m: i for i, m in enumerate(measures)}
        ids = {s["id"]: i for i, s in enumerate(tables["subjects"])}
        rows.sort(key=lambda r: (ids.get(r["beneficiary"], 0), order[r["measure"]],
                                 r["item"] or ""))
        return rows


def _thresholds() -> list[Row]:
    from huiqi.facts.sme import threshold_rows

    return threshold_rows()


def row_plan(policy: Policy, year: int, overrides: Mapping[str, Any] | None = None) -> RowPlan:
    """The plan for ``year`` and ``overrides`` (built once per parameter set and process)."""
    key = ("rows", year, yaml.safe_dump(dict(overrides or {}), sort_keys=True))
    with _BUILDING:
        if key not in policy.cache:
            if len(policy.cache) >= CACHE_SIZE:
                policy.cache.pop(next(iter(policy.cache)))
            policy.cache[key] = _plan(policy, year, overrides, key)
        plan: RowPlan = policy.cache[key]
        return plan


def _plan(policy: Policy, year: int, overrides: Mapping[str, Any] | None,
          key: tuple[Any, ...]) -> RowPlan:
    ctx = Ctx(year, policy.params.resolve(year, overrides), policy.effective, DUCKDB)
    values = {n: (str(p.value), p.placeholder, p.reform) for n, p in ctx.params.items()}
    disk_key = repr((policy.document["id"], key, sorted(values.items())))
    data = sqlcache.load_bytes(disk_key, _SUFFIX)
    lowered = pickle.loads(data) if data is not None else None
    if not isinstance(lowered, Lowered) or set(lowered.roots) != set(policy.measures):
        lowered = lower_policy(policy, ctx)
        sqlcache.store_bytes(disk_key, pickle.dumps(lowered, pickle.HIGHEST_PROTOCOL), _SUFFIX)
    program = Program(lowered.nodes)
    for root in [*lowered.roots.values(), lowered.sizes]:
        program.relation(root)  # build every closure now: runs then only read them
    return RowPlan(policy, ctx, lowered, program)


def lower_policy(policy: Policy, ctx: Ctx) -> Lowered:
    """Lower every measure's compiled expression (with its detail) and the size derivation;
    an operation the evaluator lacks raises ``lower.Unsupported`` here."""
    from huiqi.engine.compile import layout, measure_relation
    from huiqi.engine.evaluate import derive_sizes, fact_tables
    from huiqi.engine.lower import Lowering

    lowering = Lowering(SUPPORTED)
    t = fact_tables()
    roots, layouts = {}, {}
    for mid, m in policy.measures.items():
        clause = policy.texts[mid].clause
        roots[mid] = lowering.add(measure_relation(m, t, ctx, clause, detail=True).op())
        layouts[mid] = [Label(c.name, c.clause, c.label_zh, c.label_en)
                        for c in layout(m, t, ctx, clause)]
    sizes = lowering.add(derive_sizes().op())
    return Lowered(lowering.nodes, roots, sizes, layouts)
