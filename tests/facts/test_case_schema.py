"""Case-file validation: every bad input names its field; unknown fields are refused."""

from __future__ import annotations

from typing import Any

import pytest

from huiqi.calculator import InputError, parse_case

OK = "91110112MA01E00015"


def _case(**beneficiary: Any) -> dict[str, Any]:
    return {"year": 2024, "beneficiaries": [{"id": OK, "kind": "enterprise", **beneficiary}]}


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(InputError) as info:
        parse_case(data)
    return str(info.value)


def test_a_valid_case_parses() -> None:
    case = parse_case(_case(regional_contribution={2024: "12000000.00"}))
    assert case.beneficiaries[0].regional_contribution[2024] == 12000000


def test_a_misspelt_field_is_refused_and_named() -> None:
    message = _error(_case(regional_contributon={2024: "1.00"}))
    assert "beneficiaries[0].regional_contributon: unknown field" in message


def test_a_misspelt_nested_field_is_refused_and_named() -> None:
    message = _error(_case(chain_leader={"status": "new", "sinse": "2024-05-01"}))
    assert "beneficiaries[0].chain_leader.sinse: unknown field" in message


def test_an_invalid_credit_code_is_refused() -> None:
    data = {"beneficiaries": [{"id": "91110112MA01E00016", "kind": "enterprise"}]}
    assert "统一社会信用代码" in _error(data)


def test_negative_money_is_refused() -> None:
    assert "beneficiaries[0].regional_contribution.2024" in _error(
        _case(regional_contribution={2024: "-1.00"}))


def test_money_with_three_decimals_is_refused() -> None:
    message = _error(_case(rd_investment={2024: "1.001"}))
    assert "rd_investment.2024" in message and "decimal" in message


def test_an_invalid_date_is_refused() -> None:
    message = _error(_case(listed_on="2024-02-30"))
    assert "beneficiaries[0].listed_on" in message


def test_an_unknown_enum_value_is_refused() -> None:
    message = _error(_case(titles=[{"kind": "gold_star", "level": "national",
                                    "date": "2024-05-01"}]))
    assert "beneficiaries[0].titles[0].kind" in message


def test_duplicate_beneficiaries_are_refused() -> None:
    data = _case()
    data["beneficiaries"].append({"id": OK, "kind": "enterprise"})
    assert "appears twice" in _error(data)


def test_a_loan_repaid_before_it_was_drawn_is_refused() -> None:
    data = _case()
    data["loans"] = [{"id": "L1", "borrower": OK, "lender": OK, "principal": "1.00",
                      "drawn_on": "2024-05-01", "repaid_on": "2024-04-01"}]
    assert "repaid_on is before drawn_on" in _error(data)


def test_a_person_needs_no_credit_code_but_a_talent_section() -> None:
    parse_case({"beneficiaries": [{"id": "T1", "kind": "person",
                                   "talent": {"selected_on": "2024-05-01"}}]})
    assert "talent section" in _error({"beneficiaries": [{"id": "T1", "kind": "person"}]})


def test_an_other_renovation_mode_needs_its_description() -> None:
    project = {"id": "R-1", "kind": "renovation", "date": "2024-09-30", "investment": "1.00",
               "mode": "other"}
    message = _error(_case(projects=[project]))
    assert "beneficiaries[0].projects[0]" in message and "mode_description" in message
    described = parse_case(_case(projects=[{**project, "mode_description": "代建改造"}]))
    assert described.beneficiaries[0].projects[0].mode_description == "代建改造"


def test_an_other_service_field_needs_its_description() -> None:
    institution = {"field": "other", "renowned": True, "settled_on": "2024-06-01"}
    message = _error(_case(kind="service_institution", institution=institution))
    assert "beneficiaries[0].institution" in message and "field_description" in message


def test_case_files_written_for_the_closed_lists_stay_valid() -> None:
    case = parse_case(_case(
        projects=[{"id": "R-1", "kind": "renovation", "date": "2024-09-30", "mode": "leased"}],
        institution={"field": "legal", "renowned": True, "settled_on": "2024-06-01"}))
    assert case.beneficiaries[0].projects[0].mode == "leased"
