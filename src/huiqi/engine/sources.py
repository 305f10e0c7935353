"""Where a measure's rows come from: beneficiaries, their items, or their introduced groups.

Every source yields a table with ``sid`` (the beneficiary), ``item`` (a title, project, loan or
member; NULL for per-beneficiary measures), the beneficiary's facts and, for items, the item's
facts prefixed ``item_``. A beneficiary with no item still yields one row, so that "why not"
("no renovation project") is answered too — unless only ``candidates`` are asked for (a batch
that leaves out the ineligible), when beneficiaries without items are not joined at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import ibis
from ibis.expr.types import BooleanValue, StringValue, Table

from huiqi.engine.context import Ctx
from huiqi.facts import sme

Tables = Mapping[str, Table]
# the beneficiary's columns its size class is derived from
SIZE_FACTS = ("industry", "size_class", *sme.INDICATORS.values())


def with_size(s: Table, t: Tables, derive: bool = False) -> Table:
    """Beneficiaries with their derived size class (``size``) and industry section.

    Read from the table ``sizes`` (derived once per input), or with ``derive`` classified on the
    spot — for a batch's few candidate rows, cheaper than probing a size for every beneficiary."""
    if not derive:
        z = t["sizes"]
        return s.left_join(z, s.id == z.size_id).drop("size_id")
    j = classified(s, t["sme_thresholds"])
    return j.drop(*(c for c in j.columns if c not in s.columns and c not in {"size", "section"}))


def classified(s: Table, thresholds: Table) -> Table:
    """Beneficiaries joined to their division's SME thresholds, with the size class (``size``)
    derived from them: the one classification, for ``sizes`` and for a batch's candidates."""
    j = s.mutate(division=sme.division(s.industry)).left_join(thresholds, "division")
    return j.mutate(size=sme.size_class(j))


@dataclass(frozen=True)
class Subjects:
    """One row per beneficiary of the given kinds (``sized``: with the SME size class)."""

    kinds: tuple[str, ...]
    sized: bool = False

    def rows(self, t: Tables, ctx: Ctx, candidates: bool, reads: frozenset[str] = frozenset()
             ) -> Table:
        s = t["subjects"]
        s = s.filter(s.kind.isin(self.kinds))
        if self.sized and not candidates:  # candidates: joined after the cheap filters
            s = with_size(s, t)
        return s.mutate(sid=s.id, item=ibis.null("string"))


@dataclass(frozen=True)
class Items:
    """One row per item of a beneficiary (a title, project or loan), or one empty row."""

    kinds: tuple[str, ...]
    table: str  # titles | projects | loans
    subject: str  # the item column naming the beneficiary
    where: Callable[[Table], BooleanValue]  # which items this measure counts
    key: Callable[[Table], StringValue]  # the item's identity for history and X5
    label_zh: str
    label_en: str
    sized: bool = False

    def rows(self, t: Tables, ctx: Ctx, candidates: bool, reads: frozenset[str] = frozenset()
             ) -> Table:
        """``reads``: the columns the measure's conditions name; a batch of candidates leaves
        out the borrower's size class when no condition reads it."""
        s = t["subjects"]
        base = s.filter(s.kind.isin(self.kinds))
        if self.sized and not candidates:  # candidates: joined after the cheap filters
            base = with_size(base, t)
        items = t[self.table]
        items = items.filter(self.where(items))
        if self.table == "loans" and not candidates:
            z = t["sizes"]
            items = items.left_join(z, items.borrower == z.size_id)
            items = items.mutate(
                borrower_size=items.size.coalesce(items.borrower_size_class)
            ).drop("size_id", "size", "section")
        elif self.table == "loans" and "item_borrower_size" in reads:
            # the loans' borrowers only, classified after the join
            b = s.select(*SIZE_FACTS, b_id=s.id)
            items = with_size(items.left_join(b, items.borrower == b.b_id), t, derive=True)
            items = items.mutate(
                borrower_size=items.size.coalesce(items.borrower_size_class)
            ).drop("b_id", *SIZE_FACTS, "size", "section")
        if self.table == "titles":
            # 首次: the earliest title of its kind and level this beneficiary holds
            first = items.date.min().over(group_by=[items.subject, items.kind, items.level])
            items = items.mutate(first_of_kind=items.date == first)
        items = items.mutate(item=self.key(items))
        items = items.rename({f"item_{c}": c for c in items.columns if c != "item"})
        join = base.inner_join if candidates else base.left_join
        joined = join(items, base.id == items[f"item_{self.subject}"])
        return joined.mutate(sid=joined.id)


@dataclass(frozen=True)
class Group:
    """合并计算: one row per introducer with its introduced enterprises aggregated."""

    kinds: tuple[str, ...]
    introducer_kinds: tuple[str, ...]  # kinds of introduction counted

    def rows(self, t: Tables, ctx: Ctx, candidates: bool, reads: frozenset[str] = frozenset()
             ) -> Table:
        s = t["subjects"]
        m = members(s, self.introducer_kinds, ctx)
        agg = m.group_by(g_sid=m.introducer).aggregate(
            member_count=m.count(),
            member_rc_missing=m.rc_fen.isnull().sum(),
            member_rc_sum=m.rc_fen.sum(),
            member_acc_missing=m.rc_since_intro_fen.isnull().sum(),
            member_acc_sum=m.rc_since_intro_fen.sum(),
        )
        base = s.filter(s.kind.isin(self.kinds))
        join = base.inner_join if candidates else base.left_join
        joined = join(agg, base.id == agg.g_sid)
        # A NULL in any member's figure makes the group's figure unknown, never a smaller sum.
        return joined.mutate(
            sid=joined.id,
            item=ibis.null("string"),
            member_count=joined.member_count.fill_null(0),
            member_rc_fen=ibis.ifelse(
                joined.member_rc_missing > 0, ibis.null("int64"), joined.member_rc_sum
            ),
            member_rc_since_intro_fen=ibis.ifelse(
                joined.member_acc_missing > 0, ibis.null("int64"), joined.member_acc_sum
            ),
        ).drop("g_sid", "member_rc_missing", "member_rc_sum", "member_acc_missing",
               "member_acc_sum")


@dataclass(frozen=True)
class Members:
    """One row per enterprise an introducer brought in (counted one by one)."""

    kinds: tuple[str, ...]
    introducer_kinds: tuple[str, ...]
    label_zh: str
    label_en: str

    def rows(self, t: Tables, ctx: Ctx, candidates: bool, reads: frozenset[str] = frozenset()
             ) -> Table:
        s = t["subjects"]
        m = members(s, self.introducer_kinds, ctx)
        m = m.select(
            m_introducer=m.introducer, item=m.id, item_rc_fen=m.rc_fen,
            item_revenue_fen=m.revenue_fen,
        )
        base = s.filter(s.kind.isin(self.kinds))
        join = base.inner_join if candidates else base.left_join
        joined = join(m, base.id == m.m_introducer)
        return joined.mutate(sid=joined.id).drop("m_introducer")


def members(s: Table, introducer_kinds: tuple[str, ...], ctx: Ctx) -> Table:
    """Enterprises recognised as introduced by the end of the year; 一事一议 ones do not count."""
    return s.filter(
        s.introducer_kind.isin(introducer_kinds),
        s.introduced_on < ctx.end,
        ~s.one_matter,
    )


def item_owners(t: Tables) -> Table:
    """The beneficiaries named by any title, project or loan (as holder, borrower or lender):
    every row an item measure can join, so that it may read these instead of ``subjects``."""
    ids = [t["titles"].select(owner=t["titles"].subject),
           t["projects"].select(owner=t["projects"].subject),
           t["loans"].select(owner=t["loans"].borrower),
           t["loans"].select(owner=t["loans"].lender)]
    s = t["subjects"]
    return s.filter(s.id.isin(ibis.union(*ids, distinct=False).owner))


Source = Subjects | Items | Group | Members
