"""Reasons read as people say them: what is not met, and missing facts named in words."""

from __future__ import annotations

from huiqi.calculator import calculate, parse_case
from huiqi.engine.explain import Result
from huiqi.policy.tongzhou_2024_8 import policy

USCC = "91110112MA01E00028"


def _results(**beneficiary: object) -> dict[str, Result]:
    case = parse_case({"year": 2025, "beneficiaries": [{"id": USCC, "kind": "enterprise", **beneficiary}]})
    return {r.measure: r for r in calculate(policy(), case).results}


def test_an_enterprise_without_a_loan_is_told_the_loan_is_what_is_not_met() -> None:
    r = _results()["m22.interest"]
    assert r.reason("zh") == "未满足：有贷款"
    assert r.reason("en") == "not met: has a loan"


def test_missing_facts_are_named_in_words_and_the_json_keeps_the_field_paths() -> None:
    r = _results()["m05"]
    assert r.reason("zh") == ("尚缺：企业规模（或行业、从业人员、营业收入、资产总额）、2025年度区域贡献、"
                              "2024年度区域贡献、2023年度区域贡献")
    assert r.reason("en") == ("missing: size class (or industry, employees, revenue and total assets); "
                              "regional contribution in 2025; regional contribution in 2024; "
                              "regional contribution in 2023")
    assert r.to_json()["missing"] == [
        "size.class (or size.industry, employees, revenue, assets)", "regional_contribution.2025",
        "regional_contribution.2024", "regional_contribution.2023"]
