"""What a measure is: named conditions tied to clause items, a basis and a ceiling.

A measure never computes for one applicant: every piece is a function from a table of rows
(beneficiaries, or their projects, titles or loans) to a column, so the same definition scores
one case or ten million. The engine adds the rules that cut across all measures (一事一议, the
effective date, history, rounding) — measure code states only what its clause says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from ibis.expr.types import BooleanValue, IntegerValue, Table

if TYPE_CHECKING:
    from huiqi.engine.context import Ctx
    from huiqi.engine.sources import Source

Test = Callable[[Table, "Ctx"], BooleanValue]
Amount = Callable[[Table, "Ctx"], IntegerValue]


class History(StrEnum):
    """History rules, checked against the table of earlier awards."""

    ONCE_PER_ITEM = "once_per_item"  # 一次性 / once per title or project
    ONCE_PER_SUBJECT = "once_per_subject"  # once per beneficiary (上市, 购房补贴)
    SINGLE_ITEM = "single_item"  # only one item ever (首次贷款: one loan)
    THREE_YEARS = "three_years"  # 连续三年: years 1–3 from the first supported year


@dataclass(frozen=True)
class Condition:
    """One requirement of a clause, evaluated as a boolean column (NULL = unknown)."""

    name: str
    clause: str
    label_zh: str
    label_en: str
    test: Test
    facts: tuple[str, ...] = ()  # columns it reads: asked for when the result is unknown


@dataclass(frozen=True)
class Fact:
    """A fact column shown in the explanation."""

    column: str
    label_zh: str
    label_en: str
    money: bool = True
    value: Amount | None = None  # a derived fact (e.g. days outstanding) instead of a column


@dataclass(frozen=True)
class Measure:
    """A measure's definition; its text (clause, titles, kind) comes from the clause file."""

    id: str
    source: Source
    conditions: tuple[Condition, ...] = ()
    basis: Amount | None = None  # the amount before the cap, integer fen, already rounded
    basis_facts: tuple[str, ...] = ()  # columns the basis needs
    cap: str | None = None  # parameter name of the statutory cap
    params: tuple[str, ...] = ()  # every parameter the measure reads
    facts: tuple[Fact, ...] = ()
    history: History | None = None
    event: str | None = None  # column holding the date of the supported event
    event_in_year: bool = True  # the event must fall in the year asked about
    event_label: tuple[str, str] = ("事项已发生", "the event has happened")
    one_matter_one_support: bool = False  # X5 applies: the item may not be supported twice
    # per row: does the result rest on a placeholder (待核定) parameter? Measures whose rows read
    # different parameters (an amount per title) say which; otherwise any parameter read counts.
    placeholder: Test | None = None
    formula_zh: str = ""
    formula_en: str = ""
    note_zh: str = ""  # what a service or programme measure provides
    note_en: str = ""

    @property
    def all_params(self) -> tuple[str, ...]:
        """Parameters read, the cap included, without repeats."""
        names = list(self.params) + ([self.cap] if self.cap else [])
        return tuple(dict.fromkeys(names))
