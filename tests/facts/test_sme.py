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


# 或: "微型企业只须满足所列指标中的一项即可"; an SME is below the large bound in X or Y
# (工业 X < 1000 或 Y < 40000万). Each row: one indicator given, the other missing.
@pytest.mark.parametrize(("industry", "employees", "revenue_wan", "expected"), [
    ("3911", 5, None, "micro"),          # 工业 X 5 < 20: micro whatever the revenue
    ("3911", 19, None, "micro"),
    ("3911", 20, None, "sme"),           # 20 ≤ X < 1000: an SME, its class open
    ("3911", 999, None, "sme"),
    ("3911", 1000, None, None),          # X ≥ 1000: large or not, the revenue decides
    ("3911", None, 299, "micro"),        # Y < 300万: micro
    ("3911", None, 300, "sme"),
    ("3911", None, 39999, "sme"),        # Y < 40000万: an SME
    ("3911", None, 40000, None),         # Y ≥ 40000万: the headcount decides
    ("5137", None, 39999, "sme"),        # 批发: Y < 40000万 (X < 200)
    ("5137", None, 40000, None),
    ("5137", 4, None, "micro"),          # 批发 micro: X < 5
    ("6513", 299, None, "sme"),          # 软件: X < 300 (Y < 10000万)
    ("6513", 300, None, None),
    ("6513", None, 49, "micro"),         # 软件 micro: Y < 50万
])
def test_one_indicator_decides_where_the_standard_says_or(
    industry: str, employees: int | None, revenue_wan: int | None, expected: str | None,
) -> None:
    revenue = None if revenue_wan is None else revenue_wan * WAN
    assert _classify(industry=industry, employees=employees, revenue_fen=revenue) == expected


def test_a_missing_indicator_with_nothing_decided_leaves_the_class_unknown() -> None:
    assert _classify(industry="3911") is None
    # 建筑: Y 80000万 is not below the large bound; whether Z is (< 80000万) is unknown
    assert _classify(industry="4710", revenue_fen=80000 * WAN) is None
    assert _classify(industry="4710", revenue_fen=79999 * WAN) == "sme"


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
