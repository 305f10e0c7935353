"""Dated parameters: every number of a policy, with the date it holds from and its reference.

A parameter file is YAML: ``name → {description_zh, description_en, kind, unit, values}``, each
value ``{since, value, reference: {document, clause}, placeholder}``. Statutory values are written
in the policy text; administrative ones are set by the office, and those the text leaves open ship
as placeholders (待核定) that every result using them must flag.

A calculation for year Y uses the values in force on 31 December of Y. Reforms (what-if) are
overrides applied to the resolved copy, never to the stored files.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from huiqi.engine import yamltext


class ParamError(ValueError):
    """A parameter file or override is invalid; the message names the parameter."""


MAX_DIGITS = 15  # digits before the point: money is DECIMAL(18,2) / int64 fen downstream


class Unit(StrEnum):
    RATIO = "ratio"  # a rate, e.g. 0.70
    YUAN = "yuan"  # money, at most two decimals
    TABLE = "table"  # a list of rows of named decimals (tiers)
    FLAG = "flag"  # on / off
    COUNT = "count"  # a whole number (years, …)


class ParamKind(StrEnum):
    STATUTORY = "statutory"  # 法定参数: written in the text; changing it is a reform
    ADMINISTRATIVE = "administrative"  # 核定参数: set by the office


class Reference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    document: str = Field(min_length=1)
    clause: str = Field(min_length=1)


class DatedValue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    since: date
    value: Any
    reference: Reference
    placeholder: bool = False


class ParamDecl(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    description_zh: str
    description_en: str
    kind: ParamKind
    unit: Unit
    values: list[DatedValue] = Field(min_length=1)
    # a ratio is a share of a base (≤ 100%) unless it is a multiple (返投 2 倍)
    multiple: bool = False

    @model_validator(mode="after")
    def _dates_in_order(self) -> ParamDecl:
        dates = [v.since for v in self.values]
        if any(b <= a for a, b in itertools.pairwise(dates)):
            raise ValueError(f"values must be in strictly increasing order of 'since', got {dates}")
        return self


@dataclass(frozen=True)
class Resolved:
    """One parameter's value in force for a calculation, with its provenance."""

    name: str
    value: Any
    unit: Unit
    kind: ParamKind
    since: date | None
    reference: str
    placeholder: bool
    reform: bool = False


def coerce(name: str, unit: Unit, raw: Any) -> Any:
    """Check and convert a raw value to the unit's Python type; errors name the parameter."""
    try:
        if unit is Unit.FLAG:
            if isinstance(raw, bool):
                return raw
            if str(raw).lower() in {"true", "on", "yes", "1"}:
                return True
            if str(raw).lower() in {"false", "off", "no", "0"}:
                return False
            raise ParamError(f"parameter {name}: expected true/false, got {raw!r}")
        if unit is Unit.COUNT:
            if isinstance(raw, bool) or int(raw) != Decimal(str(raw)) or int(raw) < 0:
                raise ParamError(f"parameter {name}: expected a whole number ≥ 0, got {raw!r}")
            return int(raw)
        if unit is Unit.TABLE:
            rows = yaml.safe_load(raw) if isinstance(raw, str) else raw
            if not isinstance(rows, list) or not rows:
                raise ParamError(f"parameter {name}: expected a non-empty list of rows")
            return tuple(
                {str(k): _decimal(f"{name}[{i}].{k}", v) for k, v in row.items()}
                for i, row in enumerate(rows)
            )
        text = str(raw).strip()
        value = Decimal(text[:-1]) / 100 if text.endswith("%") else Decimal(text)
    except (InvalidOperation, ValueError, TypeError, AttributeError) as exc:
        if isinstance(exc, ParamError):
            raise
        raise ParamError(f"parameter {name}: expected a {unit.value}, got {raw!r}") from None
    _bounded(name, value, raw)
    if value < 0:
        raise ParamError(f"parameter {name}: must not be negative, got {raw!r} (不得为负数)")
    if unit is Unit.YUAN and value != value.quantize(Decimal("0.01")):
        raise ParamError(f"parameter {name}: money has at most 2 decimals, got {raw!r}")
    return value


def _decimal(where: str, raw: Any) -> Decimal:
    if isinstance(raw, float):
        raw = repr(raw)
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ParamError(f"parameter {where}: expected a number, got {raw!r}") from None
    _bounded(where, value, raw)
    if value < 0:
        raise ParamError(f"parameter {where}: must not be negative, got {raw!r} (不得为负数)")
    return value


def _bounded(where: str, value: Decimal, raw: Any) -> None:
    """Decimal reads 'Infinity', 'NaN' and '1e400' too; no parameter is any of those."""
    if not value.is_finite() or value.adjusted() >= MAX_DIGITS:
        raise ParamError(f"parameter {where}: expected a finite number below 10^{MAX_DIGITS}, "
                         f"got {raw!r}")


class ParamSet:
    """The declared parameters of a policy, loaded from its YAML file."""

    def __init__(self, decls: Mapping[str, ParamDecl]) -> None:
        self.decls = dict(decls)

    @classmethod
    def load(cls, path: Path, declared: Iterable[str]) -> ParamSet:
        """Load and check a parameter file against the names the measures declare."""
        try:
            data = yamltext.load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ParamError(f"{path}: not valid YAML: {exc}") from None
        wanted = set(declared)
        unknown = sorted(set(data) - wanted)
        if unknown:
            raise ParamError(f"{path}: parameters not declared by any measure: {unknown}")
        absent = sorted(wanted - set(data))
        if absent:
            raise ParamError(f"{path}: declared parameters without values: {absent}")
        decls: dict[str, ParamDecl] = {}
        for name, body in data.items():
            try:
                decl = ParamDecl.model_validate(body)
            except ValidationError as exc:
                err = exc.errors()[0]
                loc = ".".join(str(p) for p in err["loc"])
                raise ParamError(f"{path}: parameter {name}: {loc}: {err['msg']}") from None
            values = [
                v.model_copy(update={"value": coerce(name, decl.unit, v.value)})
                for v in decl.values
            ]
            decls[name] = decl.model_copy(update={"values": values})
        return cls(decls)

    def at(self, day: date) -> dict[str, Resolved]:
        """Every parameter's value in force on ``day``; one not yet in force is an error."""
        out = {}
        for name, decl in self.decls.items():
            current = [v for v in decl.values if v.since <= day]
            if not current:
                raise ParamError(f"parameter {name} has no value in force on {day}")
            v = current[-1]
            ref = f"{v.reference.document} {v.reference.clause}"
            out[name] = Resolved(
                name, v.value, decl.unit, decl.kind, v.since, ref, v.placeholder
            )
        return out

    def resolve(self, year: int, overrides: Mapping[str, Any] | None = None) -> dict[str, Resolved]:
        """Values for a calculation of ``year`` with what-if overrides applied to a copy."""
        resolved = self.at(date(year, 12, 31))
        for name, raw in (overrides or {}).items():
            if name not in resolved:
                raise ParamError(f"unknown parameter {name!r} in override; see `huiqi params`")
            base = resolved[name]
            value = coerce(name, base.unit, raw)
            if base.unit is Unit.RATIO and value > 1 and not self.decls[name].multiple:
                raise ParamError(
                    f"parameter {name}: a rate above 100% (got {raw!r}) would give more than the "
                    f"amount it is a share of; use a value from 0 to 1 (比例不得超过100%)")
            resolved[name] = replace(
                base, value=value, since=None, reference="reform 试算", placeholder=False,
                reform=True,
            )
        return resolved


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """``["m01.rate=0.6"]`` → ``{"m01.rate": "0.6"}``, rejecting malformed items."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParamError(f"--set expects NAME=VALUE, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def load_reform(path: Path) -> dict[str, Any]:
    """A reform file: YAML mapping of parameter name → value."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ParamError(f"reform file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ParamError(f"reform file {path}: expected a mapping of parameter name → value")
    return {str(k): v for k, v in data.items()}
