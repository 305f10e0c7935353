"""Compile measures into one table of results: a row per beneficiary, measure and item.

Each measure becomes a relation of named boolean conditions (NULL = unknown) and an amount; the
engine adds the cross-cutting rules (一事一议, effective date, event in the year, history, one
matter one support), derives the status and the capped ceiling, and lists failed conditions and
missing facts. Ceilings are BIGINT fen. ``detail`` carries every condition, fact and amount as
text so that explanations are built from the very row that was computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ibis
from ibis.expr.types import BooleanValue, Table, Value

from huiqi.engine.context import Ctx
from huiqi.engine.measure import Condition, History, Measure
from huiqi.engine.sources import Group, Items, Members, Subjects, Tables, with_size
from huiqi.engine.status import ELIGIBLE, INCOMPLETE, INELIGIBLE, NOTHING, NULL, SEP

SIZE = "size"  # the derived SME size class, joined only where a measure asks for it

X1_CLAUSE = "附则"



@dataclass(frozen=True)
class Check:
    """A condition as evaluated: its definition and the boolean column."""

    cond: Condition
    value: BooleanValue


def _const(name: str, clause: str, zh: str, en: str, facts: tuple[str, ...] = ()) -> Condition:
    return Condition(name, clause, zh, en, lambda t, c: ibis.literal(True), facts)


X1 = _const("x1_no_one_matter", X1_CLAUSE, "未享受“一事一议”扶持政策",
            "does not enjoy a case-by-case (一事一议) arrangement")
X2 = _const("x2_effective", X1_CLAUSE, "事项发生在本措施施行（{effective}）之后",
            "the event is on or after the measures took effect ({effective})")
IN_YEAR = _const("event_in_year", "", "事项发生在{year}年度内", "the event falls in {year}")
GROUP = _const("has_members", "", "有经认定引进的企业", "has recognised introduced enterprises")
HISTORY = {
    History.ONCE_PER_ITEM: ("此前未就同一事项获得本条支持（一次性）",
                            "not supported under this measure before for the same item"),
    History.ONCE_PER_SUBJECT: ("此前未获得本条支持", "not supported under this measure before"),
    History.SINGLE_ITEM: ("未就其他事项获得过本条支持（首次）",
                          "no other item was supported under this measure (first time)"),
    History.THREE_YEARS: ("在首次获支持当年起连续三年内",
                          "within three consecutive years from the first supported year"),
}
X5 = _const("x5_one_matter_one_support", "X5", "同一事项未在其他措施下获得支持（一事不重复支持）",
            "the same matter was not supported under another measure")


def _history_checks(m: Measure, r: Table, t: Tables, ctx: Ctx, clause: str) -> tuple[
    Table, list[tuple[Condition, str]]
]:
    """Join the earlier awards a measure's history rule needs; return the condition columns."""
    h = t["history"]
    checks: list[tuple[Condition, str]] = []
    if m.history is not None:
        mine = h.filter(h.measure == m.id)
        if isinstance(m.source, Items) and m.source.table == "titles":
            # an award stated by the title's kind and level names the item a title would
            mine = mine.mutate(item=mine.item.coalesce(m.source.key(mine)))
        zh, en = HISTORY[m.history]
        cond = _const(f"history_{m.history.value}", clause, zh, en)
        if m.history is History.ONCE_PER_ITEM:
            a = mine.filter(mine.year < ctx.year).group_by(h1_sid=mine.subject, h1_item=mine.item)
            a = a.aggregate(h1_n=ibis._.count())
            r = r.left_join(a, [r.sid == a.h1_sid, r.item == a.h1_item]).drop("h1_sid", "h1_item")
            checks.append((cond, "h1_n"))
        elif m.history is History.ONCE_PER_SUBJECT:
            a = mine.filter(mine.year < ctx.year).group_by(h1_sid=mine.subject)
            a = a.aggregate(h1_n=ibis._.count())
            r = r.left_join(a, r.sid == a.h1_sid).drop("h1_sid")
            checks.append((cond, "h1_n"))
        elif m.history is History.SINGLE_ITEM:
            a = mine.group_by(h1_sid=mine.subject).aggregate(
                h1_lo=mine.item.min(), h1_hi=mine.item.max()
            )
            r = r.left_join(a, r.sid == a.h1_sid).drop("h1_sid")
            checks.append((cond, "h1_single"))
        else:
            a = mine.group_by(h1_sid=mine.subject, h1_item=mine.item).aggregate(
                h1_first=mine.year.min()
            )
            r = r.left_join(a, [r.sid == a.h1_sid, r.item == a.h1_item]).drop("h1_sid", "h1_item")
            checks.append((cond, "h1_window"))
    if m.one_matter_one_support and ctx.value("x5.one_matter_one_support"):
        other = h.filter(h.measure != m.id)
        a = other.group_by(h5_sid=other.subject, h5_item=other.item).aggregate(
            h5_n=ibis._.count()
        )
        r = r.left_join(a, [r.sid == a.h5_sid, r.item == a.h5_item]).drop("h5_sid", "h5_item")
        checks.append((X5, "h5_n"))
    return r, checks


def _history_value(col: str, r: Table, ctx: Ctx, measure_id: str) -> BooleanValue:
    if col in {"h1_n", "h5_n"}:
        return r[col].isnull()
    if col == "h1_single":
        return r.h1_lo.isnull() | ((r.h1_lo == r.item) & (r.h1_hi == r.item)).fill_null(False)
    years = int(ctx.value(f"{measure_id}.years"))
    return r.h1_first.isnull() | (ctx.year - r.h1_first < years)


def _early(m: Measure, r: Table, ctx: Ctx, clause: str) -> tuple[
    list[tuple[Condition, BooleanValue]], list[tuple[Condition, BooleanValue]]
]:
    """The engine's conditions known from the row itself: the source's, then the timing's."""
    pre: list[tuple[Condition, BooleanValue]] = [(X1, ~r.one_matter)]
    src = m.source
    if isinstance(src, Items | Members):
        pre.append((_const("has_item", clause, src.label_zh, src.label_en), r.item.notnull()))
    if isinstance(src, Group):
        pre.append((GROUP, r.member_count > 0))
    timing: list[tuple[Condition, BooleanValue]] = []
    if m.event is not None:
        ev = r[m.event]
        timing = [(X2, ev >= ctx.effective)]
        if m.event_in_year:
            timing.append((IN_YEAR, (ev >= ctx.start) & (ev < ctx.end)))
        if isinstance(src, Subjects):
            # No event at all is one reason ("not listed"), not a date failing every test.
            zh, en = m.event_label
            pre.append((_const("event_occurred", clause, zh, en), ev.notnull()))
            timing = [(c, ibis.ifelse(ev.notnull(), v, ibis.null("boolean"))) for c, v in timing]
    return pre, timing


def _sized(m: Measure) -> bool:
    return bool(getattr(m.source, "sized", False))


def _passes(m: Measure, r: Table, ctx: Ctx, clause: str) -> list[BooleanValue]:
    """What a candidate row must not fail before the size class and the history are joined:
    every condition but those reading the size class (NULL, unknown, passes)."""
    pre, timing = _early(m, r, ctx, clause)
    own = [c.test(r, ctx) for c in m.conditions if not (_sized(m) and SIZE in c.facts)]
    return [v.fill_null(True) for v in [v for _, v in pre + timing] + own]


def _checks(
    m: Measure, r: Table, t: Tables, ctx: Ctx, clause: str, candidates: bool = False
) -> tuple[Table, list[Check]]:
    """Every condition of a measure as a column: the engine's, the history's, the clause's.

    With ``candidates`` rows that already fail a condition are dropped before the history is
    joined, which is what makes a batch over millions of rows cheap."""
    if candidates:
        r = r.filter(*_passes(m, r, ctx, clause))
        if _sized(m):
            r = with_size(r, t, derive=True)
    pre, timing = _early(m, r, ctx, clause)
    r, hist = _history_checks(m, r, t, ctx, clause)
    if candidates:
        # what ``_passes`` could not ask yet: the history, and the conditions on the size class
        rest = [_history_value(col, r, ctx, m.id) for _, col in hist]
        rest += [c.test(r, ctx) for c in m.conditions if _sized(m) and SIZE in c.facts]
        if rest:
            r = r.filter(*(v.fill_null(True) for v in rest))
    later = timing + [(c, _history_value(col, r, ctx, m.id)) for c, col in hist]
    later += [(c, c.test(r, ctx)) for c in m.conditions]
    gate = _gate(m, r)
    if gate is not None:
        # Without an item (or members) the other requirements are not asked: "why not" is
        # the missing item, not a list of everything an absent item would have failed.
        later = [(c, ibis.ifelse(gate, v, ibis.null("boolean"))) for c, v in later]
    return r, [Check(c, v) for c, v in pre + later]


def _gate(m: Measure, r: Table) -> BooleanValue | None:
    if isinstance(m.source, Items | Members):
        return r.item.notnull()
    if isinstance(m.source, Group):
        return r.member_count > 0
    return None


def _unknown(b: BooleanValue) -> BooleanValue:
    """``b IS NULL`` written with functions only: some generated SQL misplaces ``NOT (x) IS NULL``."""
    return b.fill_null(True) != b.fill_null(False)


def _missing(checks: Sequence[Check], basis_facts: Sequence[str], r: Table) -> Value:
    """Comma-separated columns whose absence leaves the result unknown."""
    needed: dict[str, list[BooleanValue]] = {}
    for ch in checks:
        for f in ch.cond.facts:
            needed.setdefault(f, []).append(_unknown(ch.value))
    for f in basis_facts:
        needed.setdefault(f, []).append(ibis.literal(True))
    parts = [
        ibis.ifelse(r[f"n_{f}"] & ibis.or_(*why), f, ibis.null("string"))
        for f, why in needed.items()
    ]
    return ibis.literal(",").join(parts) if parts else ibis.literal("")


def _uses_placeholder(m: Measure, r: Table, ctx: Ctx) -> BooleanValue:
    """Whether a row's result rests on a placeholder (待核定) parameter it reads."""
    shared = ibis.literal(any(ctx.params[p].placeholder for p in m.shared_params))
    if m.params_by is None:
        return shared
    column, by = m.params_by
    own = ibis.cases(
        *((r[column] == value, ibis.literal(ctx.params[p].placeholder)) for value, p in by.items()),
        else_=ibis.literal(False),
    )
    return shared | own


def _text(v: Value) -> Value:
    return v.cast("string").fill_null(NULL)


def measure_relation(
    m: Measure, t: Tables, ctx: Ctx, clause: str, detail: bool, drop_ineligible: bool = False
) -> Table:
    """One measure's result rows over the given fact tables.

    ``drop_ineligible`` leaves out rows with a failed condition, and those with nothing to
    support, before anything else is computed — what a batch over millions of rows wants."""
    reads = frozenset(f for c in m.conditions for f in c.facts)
    r = m.source.rows(t, ctx, drop_ineligible, reads)
    r, checks = _checks(m, r, t, ctx, clause, drop_ineligible)
    if drop_ineligible:
        return _candidates(m, r, checks, ctx, detail)
    r = r.select("sid", "item", **_named(m, r, checks, ctx))
    conds = [Check(ch.cond, r[f"c{i}"]) for i, ch in enumerate(checks)]
    any_false = ibis.or_(*(~ch.value.fill_null(True) for ch in conds))
    unknown = [_unknown(ch.value) for ch in conds] + [r[f"n_{f}"] for f in m.basis_facts]
    capped, nothing = _capped(m, r, ctx)
    status = ibis.cases(
        (any_false, INELIGIBLE), (ibis.or_(*unknown), INCOMPLETE), (nothing, NOTHING),
        else_=ELIGIBLE,
    )
    ceiling = ibis.ifelse(status == ELIGIBLE, capped, ibis.null("int64"))
    at_cap: Value = ibis.literal(False)
    if m.basis is not None and m.cap is not None:
        at_cap = (status == ELIGIBLE) & (r.basis >= ctx.fen(m.cap))
    failed = ibis.literal(",").join(
        [ibis.ifelse(~ch.value.fill_null(True), ch.cond.name, ibis.null("string"))
         for ch in conds]
    )
    missing = ibis.ifelse(status == INCOMPLETE, _missing(conds, m.basis_facts, r), "")
    return r.select(**_output(m, r, status, ceiling, failed, missing, at_cap, len(conds), detail))


def _candidates(m: Measure, r: Table, checks: Sequence[Check], ctx: Ctx, detail: bool) -> Table:
    """Candidates (``_checks`` kept the rows no condition fails; unknown passes) completed
    once: with no failed condition the status is incomplete (something unknown), nothing to
    support (left out too) or eligible, and the list of failed conditions is empty."""
    r = r.select("sid", "item", **_named(m, r, checks, ctx))
    conds = [Check(ch.cond, r[f"c{i}"]) for i, ch in enumerate(checks)]
    unknown = [_unknown(ch.value) for ch in conds] + [r[f"n_{f}"] for f in m.basis_facts]
    capped, nothing = _capped(m, r, ctx)
    r = r.mutate(incomplete=ibis.or_(*unknown), capped=capped)
    r = r.filter(r.incomplete | ~nothing)
    status = ibis.ifelse(r.incomplete, INCOMPLETE, ELIGIBLE)
    ceiling = ibis.ifelse(r.incomplete, ibis.null("int64"), r.capped)
    at_cap: Value = ibis.literal(False)
    if m.basis is not None and m.cap is not None:
        at_cap = ~r.incomplete & (r.basis >= ctx.fen(m.cap))
    missing = ibis.ifelse(r.incomplete, _missing(conds, m.basis_facts, r), "")
    return r.select(**_output(m, r, status, ceiling, ibis.literal(""), missing, at_cap,
                              len(conds), detail))


def _named(m: Measure, r: Table, checks: Sequence[Check], ctx: Ctx) -> dict[str, Value]:
    """Every condition, fact and amount as a column, so that the status, the lists of failed
    and missing items and the detail refer to them instead of repeating expressions."""
    named: dict[str, Value] = {f"c{i}": ch.value for i, ch in enumerate(checks)}
    for i, f in enumerate(m.facts):
        named[f"f{i}"] = f.value(r, ctx) if f.value else r[f.column]
    named["basis"] = m.basis(r, ctx) if m.basis is not None else ibis.null("int64")
    named["uses_placeholder"] = _uses_placeholder(m, r, ctx)
    needed = dict.fromkeys([f for ch in checks for f in ch.cond.facts] + list(m.basis_facts))
    for col in needed:
        named[f"n_{col}"] = r[col].isnull()
    return named


def _capped(m: Measure, r: Table, ctx: Ctx) -> tuple[Value, BooleanValue]:
    """The ceiling before the status decides it, and whether it is 0.00 (nothing to give)."""
    if m.basis is None:
        return ibis.null("int64"), ibis.literal(False)
    capped: Value = ibis.greatest(r.basis, 0)
    if m.cap is not None:
        capped = ibis.least(capped, ctx.fen(m.cap))
    # A ceiling of 0.00 is not support: the conditions hold, but there is nothing to give.
    return capped, (capped == 0).fill_null(False)


def _output(m: Measure, r: Table, status: Value, ceiling: Value, failed: Value, missing: Value,
            at_cap: Value, n_conds: int, detail: bool) -> dict[str, Value]:
    cols: dict[str, Value] = {
        "beneficiary": r.sid,
        "measure": ibis.literal(m.id),
        "item": r.item.cast("string"),
        "status": status,
        "ceiling_fen": ceiling.cast("int64"),
        "failed": failed,
        "missing": missing,
        "placeholder": r.uses_placeholder,
        "at_cap": at_cap,
    }
    if detail:
        values = [r[f"c{i}"] for i in range(n_conds)]
        values += [r[f"f{i}"] for i in range(len(m.facts))] + [r.basis]
        cols["detail"] = ibis.literal(SEP).join([_text(v) for v in values])
    return cols


def layout(m: Measure, t: Tables, ctx: Ctx, clause: str) -> list[Condition]:
    """The conditions of a measure in the order its ``detail`` lists them."""
    r = m.source.rows(t, ctx, False)
    _, checks = _checks(m, r, t, ctx, clause)
    return [ch.cond for ch in checks]
