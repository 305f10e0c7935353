"""A policy: its text, its measures and its dated parameters, checked against each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from huiqi.engine import yamltext
from huiqi.engine.measure import Measure
from huiqi.engine.params import ParamSet

# Parameters the engine itself reads (not any one measure).
ENGINE_PARAMS = ("x5.one_matter_one_support",)


class MeasureKind(StrEnum):
    CEILING = "ceiling"  # C: a monetary ceiling per beneficiary and period
    SERVICE = "service"  # S: a service or entitlement
    PROGRAMME = "programme"  # P: a programme-level target or pool


class MeasureText(BaseModel):
    """A measure's place in the text: clause, titles and the verbatim sentence."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    clause: str
    chapter: int
    title_zh: str
    title_en: str
    kind: MeasureKind
    beneficiary_zh: str
    beneficiary_en: str
    text_zh: str
    text_en: str


class GeneralText(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    text_zh: str
    text_en: str


@dataclass
class Policy:
    """Text + measures + parameters of one policy document."""

    document: dict[str, Any]
    chapters: list[dict[str, Any]]
    texts: dict[str, MeasureText]
    general: dict[str, GeneralText]
    measures: dict[str, Measure]
    params: ParamSet
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def effective(self) -> date:
        value: date = self.document["effective"]
        return value

    @classmethod
    def load(cls, clauses: Path, parameters: Path, measures: list[Measure]) -> Policy:
        """Load the clause file and parameter file and check them against the measures."""
        data = yamltext.load(clauses.read_text(encoding="utf-8"))
        texts = {m["id"]: MeasureText.model_validate(m) for m in data["measures"]}
        defined = {m.id: m for m in measures}
        if list(texts) != list(defined):
            raise ValueError(
                f"clause file and measure code disagree: text only {sorted(set(texts) - set(defined))},"
                f" code only {sorted(set(defined) - set(texts))}"
            )
        declared = {p for m in measures for p in m.all_params} | set(ENGINE_PARAMS)
        return cls(
            document=data["document"],
            chapters=data["chapters"],
            texts=texts,
            general={g["id"]: GeneralText.model_validate(g) for g in data["general"]},
            measures=defined,
            params=ParamSet.load(parameters, declared),
        )
