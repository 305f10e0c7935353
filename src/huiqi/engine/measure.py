"""What a measure is: named conditions tied to clause items, a basis and a ceiling.

A measure never computes for one applicant: every piece is a function from a table of rows
(beneficiaries, or their projects, titles or loans) to a column, so the same definition scores
one case or ten million. The engine adds the rules that cut across all measures (一事一议, the
effective date, history, rounding) — measure code states only what its clause says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    # (column, value → parameter): each row reads only its value's parameter (an amount per title
    # or level), so only that one can make its result rest on a placeholder or be listed as used
    params_by: tuple[str, Mapping[str, str]] | None = None
    formula_zh: str = ""
    formula_en: str = ""
    note_zh: str = ""  # what a service or programme measure provides
    note_en: str = ""

    def __post_init__(self) -> None:
        if self.params_by and self.params_by[0] not in {f.column for f in self.facts}:
            raise ValueError(f"{self.id}: params_by column {self.params_by[0]!r} must be a fact "
                             "shown, so that the explanation knows which parameter a row read")

    @property
    def all_params(self) -> tuple[str, ...]:
        """Parameters read, the cap included, without repeats."""
        names = list(self.params) + ([self.cap] if self.cap else [])
        return tuple(dict.fromkeys(names))

    @property
    def shared_params(self) -> tuple[str, ...]:
        """Parameters every row reads (all but those chosen per value by ``params_by``)."""
        chosen = set(self.params_by[1].values()) if self.params_by else set()
        return tuple(p for p in self.all_params if p not in chosen)

    def params_for(self, value: str | None) -> tuple[str, ...]:
        """Parameters a row with this ``params_by`` value reads."""
        own = self.params_by[1].get(value or "") if self.params_by else None
        return tuple(p for p in self.all_params if p in self.shared_params or p == own)
