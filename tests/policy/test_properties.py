"""Invariants that hold for any facts (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.calculator import calculate, parse_case
from huiqi.engine.policy import Policy

ENTERPRISE = "91110112MA01E00015"
OPERATOR = "91110112MA01E0003B"
MEMBERS = ["91110112MA01E0004E", "91110112MA01E0005H", "91110112MA01E0006L"]
BANK = "91110000100000001W"

money = st.integers(min_value=0, max_value=10**12).map(lambda fen: Decimal(fen) / 100)
days = st.integers(min_value=0, max_value=700).map(lambda d: date(2024, 1, 1) + timedelta(days=d))
rates = st.integers(min_value=0, max_value=10000).map(lambda bp: Decimal(bp) / 10000)
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _ceilings(policy: Policy, data: dict[str, Any], year: int, measures: list[str],
              overrides: dict[str, Any] | None = None) -> dict[tuple[str, str | None], Decimal]:
    calc = calculate(policy, parse_case(data), year, overrides, measures)
    return {(r.measure, r.item): r.ceiling for r in calc.results if r.ceiling is not None}


def _enterprise(rc: Decimal, rc_prev: Decimal, **extra: Any) -> dict[str, Any]:
    return {"id": ENTERPRISE, "kind": "enterprise",
            "regional_contribution": {2024: str(rc_prev), 2025: str(rc)}, **extra}


@SETTINGS
@given(rc=money, rc_prev=money, rd=money, investment=money, loss=money, principal=money,
       drawn=days, status=st.sampled_from(["new", "existing"]))
def test_ceilings_are_never_negative_and_never_above_their_cap(
    policy: Policy, rc: Decimal, rc_prev: Decimal, rd: Decimal, investment: Decimal,
    loss: Decimal, principal: Decimal, drawn: date, status: str,
) -> None:
    data = {
        "beneficiaries": [
            _enterprise(rc, rc_prev, chain_leader={"status": status, "since": "2025-03-01"},
                        rd_investment={2025: str(rd)}, size={"class": "small"},
                        projects=[{"id": "P1", "kind": "renovation", "date": "2025-06-01",
                                   "investment": str(investment), "mode": "leased"}]),
            {"id": BANK, "kind": "bank"},
        ],
        "loans": [{"id": "L1", "borrower": ENTERPRISE, "lender": BANK, "principal": str(principal),
                   "drawn_on": drawn.isoformat(), "first_loan": True, "credit": True,
                   "green": True, "interest_paid": str(principal), "principal_loss": str(loss),
                   "loss_on": "2025-05-05"}],
    }
    ids = ["m01.new", "m01.existing", "m07.rd", "m17", "m22.interest", "m22.risk", "m26"]
    got = _ceilings(policy, data, 2025, ids)
    params = policy.params.resolve(2025)
    for (measure, _), ceiling in got.items():
        assert ceiling >= 0
        cap = policy.measures[measure].cap
        if cap:
            assert ceiling <= params[cap].value
        assert ceiling == ceiling.quantize(Decimal("0.01"))


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rc=money, rc_prev=money)
def test_one_matter_enterprises_get_nothing_under_any_measure(
    policy: Policy, rc: Decimal, rc_prev: Decimal
) -> None:
    data = {"beneficiaries": [_enterprise(
        rc, rc_prev, one_matter=True, chain_leader={"status": "new", "since": "2025-03-01"},
        rd_investment={2025: "1000000.00"}, listed_on="2025-05-01", key_enterprise=True,
        fits_industry_positioning=True, size={"class": "small"},
        titles=[{"kind": "smart_factory", "level": "municipal", "date": "2025-04-01"}],
    )]}
    calc = calculate(policy, parse_case(data), 2025)
    assert calc.results
    assert all(r.status == "ineligible" for r in calc.results)
    assert calc.total_ceiling == 0


@SETTINGS
@given(rc=money, rc_prev=money, growth=money)
def test_m01_ceilings_never_decrease_when_contribution_grows(
    policy: Policy, rc: Decimal, rc_prev: Decimal, growth: Decimal
) -> None:
    for status in ("new", "existing"):
        leader = {"status": status, "since": "2025-03-01" if status == "new" else "2020-01-01"}
        before = _ceilings(policy, {"beneficiaries": [_enterprise(rc, rc_prev, chain_leader=leader)]},
                           2025, ["m01.new", "m01.existing"])
        after = _ceilings(policy, {"beneficiaries": [
            _enterprise(rc + growth, rc_prev, chain_leader=leader)]}, 2025,
            ["m01.new", "m01.existing"])
        for key, value in before.items():
            assert after.get(key, Decimal(0)) >= value


@SETTINGS
@given(rcs=st.lists(money, min_size=1, max_size=3), member=st.integers(0, 2), growth=money)
def test_m02_ceiling_never_decreases_when_a_member_contribution_grows(
    policy: Policy, rcs: list[Decimal], member: int, growth: Decimal
) -> None:
    def case(values: list[Decimal]) -> dict[str, Any]:
        members = [
            {"id": MEMBERS[i], "kind": "enterprise", "regional_contribution": {2025: str(v)},
             "introduced_by": {"introducer": OPERATOR, "kind": "park_operator",
                               "recognised_on": "2025-01-15"}}
            for i, v in enumerate(values)
        ]
        return {"beneficiaries": [{"id": OPERATOR, "kind": "park_operator"}, *members]}

    grown = list(rcs)
    grown[member % len(rcs)] += growth
    before = _ceilings(policy, case(rcs), 2025, ["m02"])
    after = _ceilings(policy, case(grown), 2025, ["m02"])
    for key, value in before.items():
        assert after.get(key, Decimal(0)) >= value


@SETTINGS
@given(rc=money, investment=money, low=rates, extra=rates)
def test_raising_a_rate_in_a_reform_never_lowers_a_ceiling(
    policy: Policy, rc: Decimal, investment: Decimal, low: Decimal, extra: Decimal
) -> None:
    high = min(low + extra, Decimal(1))  # a rate is a share: a reform above 100% is refused
    data = {"beneficiaries": [_enterprise(
        rc, Decimal(0), chain_leader={"status": "new", "since": "2025-03-01"},
        projects=[{"id": "P1", "kind": "renovation", "date": "2025-06-01",
                   "investment": str(investment), "mode": "self"}],
    )]}
    ids = ["m01.new", "m17"]
    for rate in ("m01.rate", "m17.rate"):
        before = _ceilings(policy, data, 2025, ids, {rate: str(low)})
        after = _ceilings(policy, data, 2025, ids, {rate: str(high)})
        for key, value in before.items():
            assert after[key] >= value
