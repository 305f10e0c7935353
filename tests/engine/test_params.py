"""The dated-parameter loader and what-if overrides."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from huiqi.engine.params import ParamError, ParamSet, parse_assignments

GOOD = """
a.rate:
  description_zh: 比例
  description_en: rate
  kind: statutory
  unit: ratio
  values:
    - {since: 2024-02-26, value: "0.70", reference: {document: D, clause: （一）}}
    - {since: 2026-01-01, value: "0.60", reference: {document: D2, clause: （一）}}
b.amount:
  description_zh: 金额
  description_en: amount
  kind: administrative
  unit: yuan
  values:
    - {since: 2024-02-26, value: "100.00", placeholder: true, reference: {document: D, clause: x}}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_year_uses_the_value_in_force_on_its_last_day(tmp_path: Path) -> None:
    ps = ParamSet.load(_write(tmp_path, GOOD), ["a.rate", "b.amount"])
    assert ps.resolve(2025)["a.rate"].value == Decimal("0.70")
    assert ps.resolve(2026)["a.rate"].value == Decimal("0.60")
    assert ps.resolve(2026)["a.rate"].reference == "D2 （一）"
    assert ps.at(date(2024, 2, 26))["b.amount"].placeholder is True


def test_a_parameter_not_declared_by_any_measure_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ParamError, match=r"not declared by any measure: \['b.amount'\]"):
        ParamSet.load(_write(tmp_path, GOOD), ["a.rate"])


def test_a_declared_parameter_without_values_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ParamError, match=r"without values: \['c'\]"):
        ParamSet.load(_write(tmp_path, GOOD), ["a.rate", "b.amount", "c"])


def test_a_value_without_a_reference_is_rejected(tmp_path: Path) -> None:
    text = GOOD.replace(", placeholder: true, reference: {document: D, clause: x}}", "}")
    with pytest.raises(ParamError, match=r"b.amount: values.0.reference: Field required"):
        ParamSet.load(_write(tmp_path, text), ["a.rate", "b.amount"])


def test_dates_out_of_order_are_rejected(tmp_path: Path) -> None:
    text = GOOD.replace("since: 2026-01-01", "since: 2023-01-01")
    with pytest.raises(ParamError, match="strictly increasing"):
        ParamSet.load(_write(tmp_path, text), ["a.rate", "b.amount"])


def test_money_with_three_decimals_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ParamError, match="at most 2 decimals"):
        ParamSet.load(_write(tmp_path, GOOD.replace('"100.00"', '"100.001"')),
                      ["a.rate", "b.amount"])


def test_an_override_applies_to_a_copy_and_is_marked_as_a_reform(tmp_path: Path) -> None:
    ps = ParamSet.load(_write(tmp_path, GOOD), ["a.rate", "b.amount"])
    changed = ps.resolve(2025, {"a.rate": "60%"})
    assert changed["a.rate"].value == Decimal("0.6")
    assert changed["a.rate"].reform is True
    assert ps.resolve(2025)["a.rate"].value == Decimal("0.70")


def test_an_override_of_an_unknown_parameter_names_it(tmp_path: Path) -> None:
    ps = ParamSet.load(_write(tmp_path, GOOD), ["a.rate", "b.amount"])
    with pytest.raises(ParamError, match=r"unknown parameter 'a\.rat'"):
        ps.resolve(2025, {"a.rat": "0.5"})


def test_an_override_of_the_wrong_type_names_the_parameter(tmp_path: Path) -> None:
    ps = ParamSet.load(_write(tmp_path, GOOD), ["a.rate", "b.amount"])
    with pytest.raises(ParamError, match=r"parameter b\.amount: expected a yuan"):
        ps.resolve(2025, {"b.amount": "lots"})


def test_set_items_must_be_name_equals_value() -> None:
    assert parse_assignments(["m01.rate=0.6"]) == {"m01.rate": "0.6"}
    with pytest.raises(ParamError, match="NAME=VALUE"):
        parse_assignments(["m01.rate"])


def test_the_shipped_file_flags_every_administrative_value_the_text_leaves_open(policy) -> None:  # type: ignore[no-untyped-def]
    resolved = policy.params.resolve(2024)
    assert resolved["m02.standard"].placeholder
    assert resolved["m07.rd.rate"].placeholder
    assert not resolved["m01.rate"].placeholder
    assert resolved["m01.rate"].kind.value == "statutory"
