"""Working days for time limits (工作日): Monday to Friday, less public holidays, plus the weekend
days declared working days (调休). The calendar is a setting the administrator keeps."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)  # weekend days worked (调休)

    @classmethod
    def of(cls, holidays: Iterable[str | date] = (), workdays: Iterable[str | date] = ()) -> Calendar:
        def days(xs: Iterable[str | date]) -> frozenset[date]:
            return frozenset(x if isinstance(x, date) else date.fromisoformat(x) for x in xs)
        return cls(days(holidays), days(workdays))

    def is_working(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (the deadline of a time limit)."""
        day = start
        left = days
        while left > 0:
            day += timedelta(days=1)
            if self.is_working(day):
                left -= 1
        return day

    def between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when the same day)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working(day):
                count += 1
        return count
