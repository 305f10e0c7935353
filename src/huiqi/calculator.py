"""The calculator: a case file in, every measure for every beneficiary out, explained.

A case runs in-process (``engine.rowplan``: the compiled measure expressions evaluated over the
case's own rows, a millisecond or two); ``reference=True`` runs the same expressions as SQL in an
embedded DuckDB instead — the batch path, kept as the reference the parity tests compare with.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from huiqi.engine.explain import Result, explain
from huiqi.engine.policy import Policy
from huiqi.engine.rowplan import row_plan
from huiqi.facts.case import REGISTERED, Case
from huiqi.facts.rows import to_rows

if TYPE_CHECKING:
    from huiqi.engine.evaluate import CaseRunner


class InputError(ValueError):
    """Bad input: the message names the field and what was expected."""


@dataclass
class Calculation:
    year: int
    results: list[Result]

    @property
    def total_ceiling(self) -> Decimal:
        return sum((r.ceiling for r in self.results if r.ceiling is not None), Decimal("0.00"))

    def to_json(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "total_ceiling": f"{self.total_ceiling:.2f}",
            "results": [r.to_json() for r in self.results],
        }


# Fields keyed by year: their keys print as ``regional_contribution.2024``, not as list indexes.
_BY_YEAR = {"regional_contribution", "rd_investment"}


def _loc(loc: tuple[int | str, ...]) -> str:
    out, prev = "", None
    for part in loc:
        if isinstance(part, int) and prev not in _BY_YEAR:
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
        prev = part
    return out or "(case)"


def describe(exc: ValidationError) -> str:
    """Every validation error as 'field: problem (got value)', one per line."""
    lines = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field (not in the case schema; see `huiqi schema`)"
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
        lines.append(f"{_loc(tuple(loc))}: {msg}{shown}")
    return "\n".join(lines)


class _CaseLoader(yaml.SafeLoader):
    """YAML with dates left as text, so that the case schema checks them and an impossible date
    (2024-02-30) is reported with its field, like any other bad value."""


_CaseLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_case(path: Path) -> Case:
    """Read and validate a JSON or YAML case file; errors name the file and the field."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_CaseLoader)
    except OSError as exc:
        raise InputError(f"cannot read case file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML or JSON: {exc}") from None
    try:
        return parse_case(data)
    except InputError as exc:
        raise InputError(f"{path}:\n{exc}") from None


def parse_case(data: Any, *, registered: bool = False) -> Case:
    """A case from its JSON form; ``registered``: its beneficiaries' ids are registered
    organisations' USCCs, checked when they were registered, and not checked again."""
    try:
        return Case.model_validate(data, context={REGISTERED: True} if registered else None)
    except ValidationError as exc:
        raise InputError(describe(exc)) from None


def check_year(policy: Policy, year: int | None) -> int:
    if year is None:
        raise InputError("year: give the year in the case file or with --year")
    if year < policy.effective.year:
        raise InputError(
            f"year: {year} is before the measures took effect on {policy.effective} "
            f"(本措施自{policy.effective}起施行); use {policy.effective.year} or later"
        )
    return year


# Embedded connections are not shared between threads: each call borrows one from a pool and
# gives it back, so a server's many worker threads warm up only as many as run at once.
_idle: queue.SimpleQueue[CaseRunner] = queue.SimpleQueue()


@contextmanager
def _runner() -> Iterator[CaseRunner]:
    from huiqi.engine.evaluate import CaseRunner

    try:
        runner = _idle.get_nowait()
    except queue.Empty:
        runner = CaseRunner()
    try:
        yield runner
    finally:
        _idle.put(runner)


def calculate(
    policy: Policy, case: Case, year: int | None = None,
    overrides: Mapping[str, Any] | None = None, measures: list[str] | None = None,
    *, reference: bool = False,
) -> Calculation:
    """Every measure (or those named) for every beneficiary of the case, explained
    (``reference``: through DuckDB, the batch path, instead of in-process)."""
    y = check_year(policy, year if year is not None else case.year)
    if measures is None:
        # only the measures whose beneficiaries this case has: the others yield no rows
        kinds = {b.kind.value for b in case.beneficiaries}
        measures = [mid for mid, m in policy.measures.items() if kinds & set(m.source.kinds)]
    unknown = [m for m in measures if m not in policy.measures]
    if unknown:
        raise ValueError(f"unknown measure ids {unknown}; see `huiqi measures`")
    if reference:
        from huiqi.engine.evaluate import compile_policy
        from huiqi.facts.tables import to_tables

        compiled = compile_policy(policy, y, overrides, measures=measures)
        with _runner() as runner:
            rows = runner.run(compiled, to_tables(case, y))
        return Calculation(y, [explain(compiled, row) for row in rows])
    plan = row_plan(policy, y, overrides)
    try:
        rows = plan.run(to_rows(case, y), measures)
    except OverflowError:
        raise InputError(
            "a figure is too large: an amount computed from it exceeds the range of exact "
            "arithmetic (BIGINT fen); check the amounts and rates (金额或比例过大，超出精确计算范围)"
        ) from None
    return Calculation(y, [explain(plan, row) for row in rows])
