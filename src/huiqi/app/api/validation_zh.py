"""Chinese wording of pydantic's validation errors, by error type (the English is pydantic's own)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ZH: dict[str, str] = {
    "missing": "缺少此字段",
    "extra_forbidden": "不接受此字段（未知字段）",
    "string_type": "应为文本",
    "string_too_short": "太短（至少 {min_length} 个字符）",
    "string_too_long": "太长（最多 {max_length} 个字符）",
    "string_pattern_mismatch": "格式不符",
    "int_type": "应为整数", "int_parsing": "应为整数", "int_from_float": "应为整数",
    "float_type": "应为数字", "float_parsing": "应为数字",
    "decimal_type": "应为数字", "decimal_parsing": "应为数字",
    "finite_number": "应为有限数值",
    "decimal_max_digits": "位数过多（最多 {max_digits} 位）",
    "decimal_max_places": "小数位过多（最多 {decimal_places} 位）",
    "decimal_whole_digits": "整数位过多（最多 {whole_digits} 位）",
    "greater_than_equal": "应不小于 {ge}", "greater_than": "应大于 {gt}",
    "less_than_equal": "应不大于 {le}", "less_than": "应小于 {lt}",
    "too_short": "项数太少（至少 {min_length} 项）", "too_long": "项数太多（最多 {max_length} 项）",
    "literal_error": "应为以下之一：{expected}", "enum": "应为以下之一：{expected}",
    "bool_type": "应为 true 或 false", "bool_parsing": "应为 true 或 false",
    "date_type": "应为日期（YYYY-MM-DD）", "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "datetime_type": "应为日期时间", "datetime_parsing": "应为日期时间",
    "json_invalid": "不是有效的 JSON", "dict_type": "应为对象", "model_type": "应为对象",
    "model_attributes_type": "应为对象", "list_type": "应为列表",
}


def zh_message(field: str | None, kind: str, ctx: Mapping[str, Any], english: str) -> str:
    """``field：问题`` in Chinese; a rule's own message (value_error) is kept in English after it."""
    template = ZH.get(kind)
    try:
        text = template.format(**ctx) if template else f"取值无效（{english}）"
    except (KeyError, IndexError, ValueError):
        text = template or "取值无效"
    return f"{field}：{text}" if field else text
