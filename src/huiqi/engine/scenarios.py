"""Which measures a reform changes: those whose compiled definition differs under its parameters.

A reform sets parameter values, so it changes literals only; a measure whose expression is the
same under both parameter sets gives the same rows in both scenarios and needs evaluating once.
The comparison is of the measures' own compiled expressions (not a list of the parameters each
declares), so a parameter read anywhere — by the measure or by the engine's cross-cutting rules —
is never missed. The answer is kept on disk beside the compiled SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from huiqi.engine import sqlcache
from huiqi.engine.backend import DUCKDB
from huiqi.engine.compile import measure_relation
from huiqi.engine.context import Ctx
from huiqi.engine.evaluate import fact_tables
from huiqi.engine.policy import Policy


def changed_by(policy: Policy, year: int, reform: Mapping[str, Any],
               measures: Sequence[str]) -> list[str]:
    """The measures, of ``measures``, whose results may differ between baseline and ``reform``."""
    base = Ctx(year, policy.params.resolve(year, None), policy.effective, DUCKDB)
    ref = Ctx(year, policy.params.resolve(year, reform), policy.effective, DUCKDB)

    def values(ctx: Ctx) -> list[tuple[str, str]]:
        return sorted((n, str(p.value)) for n, p in ctx.params.items())

    key = repr(("changed_by", policy.document["id"], year, values(base), values(ref),
                tuple(measures)))
    stored = sqlcache.load(key)
    if stored is not None:
        return [m for m in stored.split(",") if m]
    t = fact_tables()
    changed = []
    for mid in measures:
        m, clause = policy.measures[mid], policy.texts[mid].clause
        before = measure_relation(m, t, base, clause, detail=False, drop_ineligible=True)
        after = measure_relation(m, t, ref, clause, detail=False, drop_ineligible=True)
        if not before.equals(after):
            changed.append(mid)
    sqlcache.store(key, ",".join(changed))
    return changed
