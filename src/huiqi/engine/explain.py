"""Explanations built from the computed rows: which conditions held, which facts and parameters
were used, the formula with its numbers, and what is still missing — in Chinese and English."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from huiqi.engine.context import Ctx
from huiqi.engine.measure import Measure
from huiqi.engine.money import fen_to_yuan, format_yuan
from huiqi.engine.params import Resolved, Unit
from huiqi.engine.policy import Policy
from huiqi.engine.status import ELIGIBLE, INCOMPLETE, NOTHING, NULL, SEP
from huiqi.facts.rows import fact_path
from huiqi.facts.words import fact_words

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class Labelled(Protocol):
    """A condition as listed in a row's detail: its name, clause and labels."""

    @property
    def name(self) -> str: ...
    @property
    def clause(self) -> str: ...
    @property
    def label_zh(self) -> str: ...
    @property
    def label_en(self) -> str: ...


class Explainable(Protocol):
    """What computed rows are explained against: the SQL path's ``Compiled`` or a ``RowPlan``."""

    @property
    def policy(self) -> Policy: ...
    @property
    def ctx(self) -> Ctx: ...
    @property
    def layouts(self) -> Mapping[str, Sequence[Labelled]]: ...


@dataclass(frozen=True)
class ConditionResult:
    name: str
    clause: str
    label_zh: str
    label_en: str
    holds: bool | None


@dataclass(frozen=True)
class FactUse:
    name: str
    label_zh: str
    label_en: str
    value: str | None


@dataclass
class Result:
    """One measure for one beneficiary (and item): status, ceiling and why."""

    measure: str
    beneficiary: str
    item: str | None
    status: str
    ceiling: Decimal | None
    clause: str
    title_zh: str
    title_en: str
    kind: str
    conditions: list[ConditionResult]
    facts: list[FactUse]
    parameters: list[Resolved]
    missing: list[str]
    placeholder: bool
    basis_zh: str = ""
    basis_en: str = ""
    note_zh: str = ""
    note_en: str = ""
    failed: list[str] = field(default_factory=list)
    missing_zh: list[str] = field(default_factory=list)  # ``missing`` in words, for people
    missing_en: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)  # the engine's names (what to ask)

    def reason(self, lang: str) -> str:
        """One line saying why."""
        zh = lang == "zh"
        if self.status == ELIGIBLE:
            if self.basis_zh:
                return self.basis_zh if zh else self.basis_en
            return self.note_zh if zh else self.note_en
        if self.status == INCOMPLETE:
            words = (self.missing_zh if zh else self.missing_en) or self.missing
            return "尚缺：" + "、".join(words) if zh else "missing: " + "; ".join(words)
        if self.status == NOTHING:
            return (
                "符合条件，但本年度无可支持金额：" + self.basis_zh if zh
                else "eligible in principle, nothing to support this year: " + self.basis_en
            )
        # each label says what the clause requires; the prefix says it is not met
        failed = [c for c in self.conditions if c.holds is False]
        labels = [c.label_zh if zh else c.label_en for c in failed]
        return ("未满足：" if zh else "not met: ") + "；".join(labels)

    def to_json(self) -> dict[str, Any]:
        """The calculator's JSON contract for one result."""
        out: dict[str, Any] = {
            "measure": self.measure,
            "beneficiary": self.beneficiary,
            "item": self.item,
            "status": self.status,
            "clause": self.clause,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "kind": self.kind,
        }
        if self.ceiling is not None:
            out["ceiling"] = f"{self.ceiling:.2f}"
        out |= {
            "basis": self.basis_en,
            "basis_zh": self.basis_zh,
            "reason_zh": self.reason("zh"),
            "reason_en": self.reason("en"),
            "conditions": [
                {"name": c.name, "clause": c.clause, "label_zh": c.label_zh,
                 "label_en": c.label_en, "holds": c.holds}
                for c in self.conditions
            ],
            "facts": [
                {"name": f.name, "label_zh": f.label_zh, "label_en": f.label_en, "value": f.value}
                for f in self.facts
            ],
            "parameters": [param_json(p) for p in self.parameters],
            "missing": self.missing,
            "placeholder": self.placeholder,
        }
        if self.note_zh:
            out |= {"note_zh": self.note_zh, "note_en": self.note_en}
        return out


def param_value(p: Resolved) -> str:
    """A parameter value as text: ratios stay decimals, money has two places."""
    if p.unit is Unit.TABLE:
        return "; ".join(
            ", ".join(f"{k}={v}" for k, v in row.items()) for row in p.value
        )
    if p.unit is Unit.YUAN:
        return f"{p.value:.2f}"
    return str(p.value).lower() if p.unit is Unit.FLAG else str(p.value)


def param_json(p: Resolved) -> dict[str, Any]:
    return {
        "name": p.name,
        "value": param_value(p),
        "since": p.since.isoformat() if p.since else None,
        "reference": p.reference,
        "kind": p.kind.value,
        "placeholder": p.placeholder,
        "reform": p.reform,
    }


def _show_param(p: Resolved) -> str:
    if p.unit is Unit.RATIO:
        pct = (p.value * 100).normalize()
        return f"{pct:f}%" if p.value < 1 else f"{p.value.normalize():f}"
    if p.unit is Unit.YUAN:
        return format_yuan(p.value)
    return param_value(p)


def _holds(text: str | None) -> bool | None:
    return None if text is None else text == "true"


def _fill(template: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def explain(compiled: Explainable, row: dict[str, Any]) -> Result:
    """Turn one computed row (with ``detail``) into a ``Result``."""
    policy, ctx = compiled.policy, compiled.ctx
    m: Measure = policy.measures[row["measure"]]
    text = policy.texts[m.id]
    layout = compiled.layouts[m.id]
    raw = [None if v == NULL else v for v in row["detail"].split(SEP)]
    n = len(layout)
    subst = {"year": str(ctx.year), "effective": policy.effective.isoformat()}
    conditions = [
        ConditionResult(
            c.name, c.clause or text.clause, _fill(c.label_zh, subst), _fill(c.label_en, subst),
            _holds(raw[i]),
        )
        for i, c in enumerate(layout)
    ]
    facts = []
    shown: dict[str, str] = {"days_in_year": str(ctx.days_in_year)}
    for f, v in zip(m.facts, raw[n:n + len(m.facts)], strict=True):
        display = format_yuan(fen_to_yuan(int(v))) if (v is not None and f.money) else v
        facts.append(FactUse(f.column, f.label_zh, f.label_en, display))
        shown[f.column] = display if display is not None else "?"
    basis = raw[n + len(m.facts)]
    if basis is not None:
        shown["basis"] = format_yuan(fen_to_yuan(int(basis)))
    value = raw[n + [f.column for f in m.facts].index(m.params_by[0])] if m.params_by else None
    params = [ctx.params[name] for name in m.params_for(value)]
    shown |= {p.name: _show_param(p) for p in params}
    ceiling = fen_to_yuan(row["ceiling_fen"]) if row["ceiling_fen"] is not None else None
    basis_zh = basis_en = ""
    if m.formula_zh:
        basis_zh, basis_en = _fill(m.formula_zh, shown), _fill(m.formula_en, shown)
        shown_ceiling = Decimal("0.00") if row["status"] == NOTHING else ceiling
        if shown_ceiling is not None:
            basis_zh += f" = {format_yuan(shown_ceiling)} 元"
            basis_en += f" = {format_yuan(shown_ceiling)} yuan"
    columns = [col for col in (row["missing"] or "").split(",") if col]
    missing = [fact_path(col, ctx.year, row["item"]) for col in columns]
    return Result(
        measure=m.id, beneficiary=row["beneficiary"], item=row["item"], status=row["status"],
        ceiling=ceiling, clause=text.clause, title_zh=text.title_zh, title_en=text.title_en,
        kind=text.kind.value, conditions=conditions, facts=facts, parameters=params,
        missing=missing, placeholder=bool(row["placeholder"]), basis_zh=basis_zh,
        basis_en=basis_en, note_zh=m.note_zh, note_en=m.note_en,
        failed=[f for f in (row["failed"] or "").split(",") if f],
        missing_zh=[fact_words(col, ctx.year, row["item"], "zh") for col in columns],
        missing_en=[fact_words(col, ctx.year, row["item"], "en") for col in columns],
        missing_columns=columns,
    )
