"""Money and dates for people, worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from huiqi.app.web.format import long_date, wan, yuan


def test_money_to_the_fen_in_both_languages() -> None:
    assert yuan(Decimal("1234567.89"), "zh_CN") == "¥1,234,567.89"
    assert yuan(Decimal("1234567.89"), "en") == "¥1,234,567.89"
    assert yuan(Decimal("0"), "zh_CN") == "¥0.00"
    assert yuan(Decimal("5000000000"), "zh_CN") == "¥5,000,000,000.00"


def test_ten_thousands_round_half_up_for_display() -> None:
    assert wan(Decimal("1234567.89"), "zh_CN") == "123.46万元"
    assert wan(Decimal("33469.95"), "zh_CN") == "3.35万元"
    assert wan(Decimal("125.00"), "zh_CN") == "0.01万元"  # 0.0125 → 0.01
    assert wan(Decimal("150.00"), "zh_CN") == "0.02万元"  # 0.015 → 0.02 (half-up, not to even)
    assert wan(Decimal("5000000000"), "zh_CN") == "500,000.00万元"
    assert wan(Decimal("1234567.89"), "en") == "¥1.23 million"


def test_long_dates() -> None:
    assert long_date(date(2026, 11, 30), "zh_CN") == "2026年11月30日"
    assert long_date(date(2026, 11, 30), "en") == "30 November 2026"
    assert long_date(date(2025, 3, 1), "zh_CN") == "2025年3月1日"
