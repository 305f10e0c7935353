"""The registry: exactly the measures of MEASURES.md, each with its text, parameters and cases."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from huiqi.engine.policy import Policy

CASES = Path(__file__).with_name("cases")
NOTICE = Path(__file__).parents[2] / "src" / "huiqi" / "policy" / "tongzhou_2024_8" / "notice.zh.txt"

EXPECTED_IDS = [
    "m01.new", "m01.existing", "m02", "m03", "m04", "m05", "m06.fund", "m06.platform",
    "m07.rd", "m07.consortium", "m08", "m09", "m10", "m11", "m12", "m13", "m14", "m15", "m16",
    "m17", "m18", "m19", "m20", "m21.card", "m21.apartment", "m21.housing", "m22.interest",
    "m22.guarantee", "m22.risk", "m23", "m24", "m25", "m26",
]
CEILINGS = {
    "m01.new", "m01.existing", "m02", "m03", "m04", "m05", "m06.fund", "m06.platform", "m07.rd",
    "m07.consortium", "m08", "m09", "m10", "m11", "m13", "m14", "m17", "m21.housing",
    "m22.interest", "m22.guarantee", "m22.risk", "m23", "m24", "m25", "m26",
}


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_exactly_the_measures_of_the_notice_are_defined_in_text_order(policy: Policy) -> None:
    assert list(policy.measures) == EXPECTED_IDS
    assert list(policy.texts) == EXPECTED_IDS


def test_every_measure_quotes_its_clause_verbatim(policy: Policy) -> None:
    notice = _flat(NOTICE.read_text(encoding="utf-8"))
    for text in policy.texts.values():
        assert text.text_zh and text.text_en and text.title_zh and text.title_en
        assert _flat(text.text_zh) in notice, text.id
        assert text.clause in notice, text.id


def test_monetary_measures_have_a_basis_and_parameters_and_services_have_none(
    policy: Policy,
) -> None:
    for mid, m in policy.measures.items():
        kind = policy.texts[mid].kind.value
        if mid in CEILINGS:
            assert kind == "ceiling" and m.basis is not None and m.all_params, mid
        else:
            assert kind in {"service", "programme"} and m.basis is None, mid
            assert m.note_zh and m.note_en, mid


def test_every_measure_parameter_has_a_reference_and_a_date(policy: Policy) -> None:
    for name, decl in policy.params.decls.items():
        for value in decl.values:
            assert value.reference.document == "通政发〔2024〕8号", name
            assert value.since.isoformat() >= "2024-02-26", name


def test_every_measure_has_hand_worked_cases(policy: Policy) -> None:
    covered: set[str] = set()
    for path in CASES.glob("*.yaml"):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            covered |= {e["measure"] for e in case["expect"]}
    assert sorted(set(EXPECTED_IDS) - covered) == []


def test_no_measure_module_writes_a_number_of_the_text(policy: Policy) -> None:
    # numbers live in parameters.yaml; measure code may only use 0, 1 and 100 (fen per yuan)
    src = Path(__file__).parents[2] / "src" / "huiqi" / "policy" / "tongzhou_2024_8"
    for module in src.glob("*.py"):
        code = "\n".join(
            line.split("#")[0] for line in module.read_text(encoding="utf-8").splitlines()
            if not line.lstrip().startswith(("\"", "'", "（", "“"))
        )
        code = re.sub(r'"[^"]*"', '""', code)
        numbers = set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w])", code))
        assert numbers <= {"0", "1", "100"}, (module.name, numbers)
