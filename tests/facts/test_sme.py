"""SME size classification (工信部联企业〔2011〕300号), one row through the column expression."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from huiqi.engine.evaluate import derive_sql, derived_inputs
from huiqi.facts.tables import SCHEMAS

WAN = 1_000_000  # fen per 万元


def _classify(**facts: object) -> str | None:
    table = pa.Table.from_pylist([{"id": "x", "kind": "enterprise", **facts}],
                                 schema=SCHEMAS["subjects"])
    con = duckdb.connect()
    con.register("subjects", table)
    con.register("sme_thresholds", derived_inputs()["sme_thresholds"])
    return con.execute(f"SELECT size FROM ({derive_sql('duckdb')})").fetchone()[0]  # type: ignore[index]


@pytest.mark.parametrize(("industry", "employees", "revenue_wan", "assets_wan", "expected"), [
    ("3911", 300, 2000, None, "medium"),      # 工业: X ≥ 300 and Y ≥ 2000 → medium
    ("3911", 299, 2000, None, "small"),       # one indicator short → one class down
    ("3911", 1000, 40000, None, "large"),
    ("3911", 1000, 39999, None, "medium"),
    ("3911", 19, 100000, None, "micro"),      # micro needs only one indicator below
    ("6513", 10, 50, None, "small"),          # 软件: small at X ≥ 10 and Y ≥ 50
    ("6513", 10, 49, None, "micro"),
    ("5211", 50, 500, None, "medium"),        # 零售: X ≥ 50 and Y ≥ 500
    ("4710", None, 6000, 5000, "medium"),     # 建筑: Y and Z
    ("7010", None, 100, 2000, "small"),       # 房地产开发经营
    ("7020", 300, 1000, None, "medium"),      # 物业管理
    ("7211", 100, None, 8000, "medium"),      # 租赁和商务服务: X and Z
    ("0111", None, 500, None, "medium"),      # 农林牧渔: Y only
    ("7320", 99, None, None, "small"),        # 其他未列明: X only
])
def test_size_class_follows_the_table(
    industry: str, employees: int | None, revenue_wan: int | None, assets_wan: int | None,
    expected: str,
) -> None:
    assert _classify(
        industry=industry, employees=employees,
        revenue_fen=None if revenue_wan is None else revenue_wan * WAN,
        assets_fen=None if assets_wan is None else assets_wan * WAN,
    ) == expected


def test_a_missing_indicator_leaves_the_class_unknown_not_micro() -> None:
    assert _classify(industry="3911", employees=5) is None


def test_finance_is_not_classified_by_this_table() -> None:
    assert _classify(industry="6620", employees=5, revenue_fen=1) is None


def test_a_class_recorded_by_the_office_wins() -> None:
    assert _classify(size_class="large", industry="3911", employees=5, revenue_fen=1) == "large"


def test_the_lookup_has_one_row_per_division() -> None:
    rows = {r["division"]: r for r in derived_inputs()["sme_thresholds"].to_pylist()}
    assert len(rows) == derived_inputs()["sme_thresholds"].num_rows
    assert rows["66"]["industry_group"] is None and rows["66"]["section"] == "J"
    assert rows["65"]["industry_group"] == "software" and rows["65"]["section"] == "I"
    assert rows["701"]["industry_group"] == "real_estate_development"


def test_a_split_division_falls_back_to_other_services() -> None:
    assert _classify(industry="7090", employees=100) == "medium"  # K709: 其他未列明, X ≥ 100
