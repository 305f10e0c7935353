"""The command line as a user meets it: the JSON contract, tables, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huiqi.cli import app

EXAMPLES = Path(__file__).parents[1] / "examples"
runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_calc_json_follows_the_contract() -> None:
    code, out, _ = _run("calc", str(EXAMPLES / "chain-leader.yaml"), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["year"] == 2024
    # 70% × 12,000,000 + min(3,000,000, 10% × 25,000,000) + 3,000,000 (little giant, 2024)
    assert data["total_ceiling"] == "13900000.00"
    m01 = next(r for r in data["results"] if r["measure"] == "m01.new")
    assert m01["status"] == "eligible" and m01["ceiling"] == "8400000.00"
    assert m01["beneficiary"] == "91110112MA01E00015"
    assert "70%" in m01["basis"] and "12,000,000.00" in m01["basis"]
    assert {"clause", "label_zh", "label_en", "holds"} <= set(m01["conditions"][0])
    assert m01["parameters"][0] == {
        "name": "m01.rate", "value": "0.70", "since": "2024-02-26",
        "reference": "通政发〔2024〕8号 （一）", "kind": "statutory", "placeholder": False,
        "reform": False,
    }
    assert m01["missing"] == []
    ineligible = next(r for r in data["results"] if r["measure"] == "m01.existing")
    assert "ceiling" not in ineligible
    assert [c["holds"] for c in ineligible["conditions"] if c["name"] == "existing_chain_leader"] \
        == [False]


def test_an_incomplete_result_asks_only_for_what_is_missing(tmp_path: Path) -> None:
    case = tmp_path / "c.yaml"
    case.write_text("year: 2025\nbeneficiaries:\n  - {id: 91110112MA01E00015, kind: enterprise,"
                    " chain_leader: {status: existing, since: 2020-01-01},"
                    " regional_contribution: {2025: '5.00'}}\n", encoding="utf-8")
    code, out, _ = _run("calc", str(case), "--json", "--measures", "m01.existing")
    assert code == 0
    (result,) = json.loads(out)["results"]
    assert result["status"] == "incomplete"
    assert result["missing"] == ["regional_contribution.2024"]


def test_the_table_shows_status_ceiling_and_reason() -> None:
    code, out, _ = _run("calc", str(EXAMPLES / "park-operator.yaml"), "--lang", "en")
    assert code == 0
    assert "2,100,000.00" in out and "210" in out


def test_a_set_override_changes_the_ceiling_and_is_flagged() -> None:
    code, out, _ = _run("calc", str(EXAMPLES / "chain-leader.yaml"), "--json",
                        "--set", "m01.rate=0.6", "--measures", "m01.new")
    assert code == 0
    (result,) = json.loads(out)["results"]
    assert result["ceiling"] == "7200000.00"
    assert result["parameters"][0]["reform"] is True


def test_a_reform_file_applies_like_set(tmp_path: Path) -> None:
    reform = tmp_path / "r.yaml"
    reform.write_text("m02.standard: '12000000.00'\n", encoding="utf-8")
    code, out, _ = _run("calc", str(EXAMPLES / "park-operator.yaml"), "--json",
                        "--reform", str(reform), "--measures", "m02")
    assert code == 0
    result = next(r for r in json.loads(out)["results"] if r["beneficiary"] == "91110112MA01E0003B")
    assert result["ceiling"] == "700000.00"  # 70% × (13,000,000 − 12,000,000)


@pytest.mark.parametrize(("args", "message"), [
    (["--year", "2023"], "before the measures took effect on 2024-02-26"),
    (["--set", "m01.rat=0.6"], "unknown parameter 'm01.rat'"),
    (["--set", "m01.rate=abc"], "parameter m01.rate: expected a ratio"),
    (["--set", "m01.rate=1.5"], "parameter m01.rate: a rate above 100% (got '1.5')"),
    (["--set", "m07.rd.cap=-5"], "parameter m07.rd.cap: must not be negative"),
    (["--measures", "m99"], "unknown measure ids ['m99']"),
    (["--lang", "fr"], "--lang: expected zh or en"),
])
def test_bad_options_fail_with_a_message_naming_the_problem(args: list[str], message: str) -> None:
    code, out, err = _run("calc", str(EXAMPLES / "chain-leader.yaml"), *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out


def test_a_typo_in_a_case_file_fails_naming_the_field(tmp_path: Path) -> None:
    case = tmp_path / "c.yaml"
    case.write_text("year: 2024\nbeneficiaries:\n  - {id: 91110112MA01E00015, kind: enterprise,"
                    " regional_contributon: {2024: '1.00'}}\n", encoding="utf-8")
    code, _, err = _run("calc", str(case))
    assert code == 2
    assert "beneficiaries[0].regional_contributon: unknown field" in err


def test_an_impossible_date_in_a_case_file_names_the_file_and_the_field(tmp_path: Path) -> None:
    case = tmp_path / "c.yaml"
    case.write_text("year: 2024\nbeneficiaries:\n  - {id: 91110112MA01E00015, kind: enterprise,"
                    " listed_on: 2024-02-30}\n", encoding="utf-8")
    code, out, err = _run("calc", str(case))
    assert code == 2 and "Traceback" not in err + out
    assert str(case) in err
    assert "beneficiaries[0].listed_on" in err and "2024-02-30" in err


def test_a_multiple_may_exceed_one_in_a_reform() -> None:
    # 返投 2 倍 is a multiple, not a share: a reform may ask for 3 times
    code, _, err = _run("calc", str(EXAMPLES / "chain-leader.yaml"), "--set", "m23.ratio=3")
    assert code == 0, err


def test_a_missing_case_file_is_reported() -> None:
    code, _, err = _run("calc", "no-such-file.yaml")
    assert code == 2 and "cannot read case file" in err


def test_measures_json_lists_every_measure_with_its_text() -> None:
    code, out, _ = _run("measures", "--json")
    assert code == 0
    items = json.loads(out)
    assert len(items) == 33
    assert {"id", "clause", "title_zh", "title_en", "kind", "text_zh", "text_en"} <= set(items[0])
    assert items[0]["id"] == "m01.new" and items[0]["clause"] == "（一）"


def test_params_shows_values_in_force_with_placeholders() -> None:
    code, out, _ = _run("params", "--date", "2024-03-01", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["m01.rate"]["value"] == "0.70" and rows["m01.rate"]["kind"] == "statutory"
    assert rows["m02.standard"]["placeholder"] is True


def test_params_before_the_notice_says_nothing_was_in_force() -> None:
    code, _, err = _run("params", "--date", "2023-12-31")
    assert code == 2 and "no value in force" in err


def test_schema_is_a_json_schema_of_the_case_file() -> None:
    code, out, _ = _run("schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["title"] == "Case"
    assert schema["additionalProperties"] is False
    assert "regional_contribution" in schema["$defs"]["Beneficiary"]["properties"]


def test_schema_documents_the_open_lists_and_the_named_levels() -> None:
    code, out, _ = _run("schema")
    assert code == 0
    schema = json.loads(out)
    defs = schema["$defs"]
    assert "other" in defs["RenovationMode"]["enum"] and "等" in defs["RenovationMode"]["description"]
    assert "mode_description" in defs["Project"]["properties"]
    assert "intellectual_property" in defs["ServiceField"]["enum"]
    assert "field_description" in defs["Institution"]["properties"]
    assert "a level the text names" in schema["description"].lower()


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_example_runs(example: str) -> None:
    code, out, _ = _run("calc", str(EXAMPLES / example), "--json")
    assert code == 0 and json.loads(out)["results"]
