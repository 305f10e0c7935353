"""Numbers and dates for people, by locale (Babel's CLDR data): money and long dates.

Money is a ``Decimal`` in yuan, shown to the fen (``¥1,234,567.89``) or in 万元 (ten thousands of
yuan, two places, rounded half-up for display only — the amount itself is never rounded here).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from babel.numbers import format_decimal

# Babel locales for our two languages: English dates as 30 November 2026 (day first)
_CLDR = {"zh_CN": "zh_CN", "en": "en_GB"}
_TEN_THOUSAND = Decimal(10000)


def yuan(amount: Decimal, locale: str) -> str:
    """¥1,234,567.89 in both languages."""
    exact = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return "¥" + format_decimal(exact, format="#,##0.00", locale=_CLDR[locale])


def wan(amount: Decimal, locale: str) -> str:
    """123.46万元; English has no unit of ten thousand, so it reads ¥1.23 million."""
    if locale == "zh_CN":
        w = (amount / _TEN_THOUSAND).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return format_decimal(w, format="#,##0.00", locale="zh_CN") + "万元"
    m = (amount / 1_000_000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return "¥" + format_decimal(m, format="#,##0.00", locale="en_GB") + " million"


def long_date(d: date, locale: str) -> str:
    """2026年11月30日 / 30 November 2026."""
    return format_date(d, format="long", locale=_CLDR[locale])
