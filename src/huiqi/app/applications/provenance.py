"""Who vouches for each fact of an application (trust boundaries, DESIGN §7).

The registry owns recognitions and flags (chain leader, introduced-by, titles, 一事一议, key
enterprise, industry positioning, listing, the kind of organisation, a talent's selection): the
engine sees the registry's value or nothing, whatever was typed. Figures (regional contribution,
R&D, size figures) are the registry's where it holds them; where it holds none the applicant's
are used, marked as given by the applicant. The size class is derived from figures, never typed.

Anything typed that the engine does not use as typed becomes a **claim**: kept with the
application and shown to reviewers and the office, never counted until the office records it
in the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from huiqi.facts.case import Beneficiary

# only the registry vouches for these; a typed value never reaches the engine
RECOGNITIONS = ("kind", "name", "one_matter", "key_enterprise", "fits_industry_positioning",
                "listed_on", "chain_leader", "introduced_by", "titles")
# an organisation the registry does not know: its favourable recognitions are claims
UNREGISTERED = ("chain_leader", "introduced_by", "titles", "listed_on", "key_enterprise",
                "fits_industry_positioning")
FIGURES = ("regional_contribution", "rd_investment", "size")
SELECTION = ("selected_on", "tier")  # a talent's 入选: the registry's; the purchase date is theirs
NESTED = ("size", "talent")


@dataclass
class Vouched:
    """One beneficiary as the engine must see it, where each field came from, and the claims."""

    beneficiary: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)
    claims: list[dict[str, Any]] = field(default_factory=list)


def organisation(typed: dict[str, Any], known: dict[str, Any] | None) -> Vouched:
    """An organisation's typed facts with the registry's (``known``; None when not registered)."""
    if known is None:
        out = {k: v for k, v in typed.items() if k not in UNREGISTERED}
        if isinstance(out.get("size"), dict):
            out["size"] = {k: v for k, v in out["size"].items() if k != "class"}
        return _finish(typed, out, {})
    out = {k: v for k, v in typed.items() if k not in RECOGNITIONS and k != "history"}
    registry_fields = {k: v for k, v in known.items() if k in RECOGNITIONS or k in FIGURES
                       or k == "history"}
    out.update(registry_fields)
    size = {k: v for k, v in (typed.get("size") or {}).items() if k != "class"}
    size.update(known.get("size") or {})  # figures the registry lacks may still be given
    if size:
        out["size"] = size
    return _finish(typed, out, known)


def person(typed: dict[str, Any], known: dict[str, Any] | None) -> Vouched:
    """A person's typed facts with the registry's selection and the ledger's history."""
    out = {k: v for k, v in typed.items() if k != "history"}
    talent = {k: v for k, v in (typed.get("talent") or {}).items() if k not in SELECTION}
    if known is not None:
        talent.update(known.get("talent") or {})
        if "history" in known:
            out["history"] = known["history"]
    out["talent"] = talent
    return _finish(typed, out, known or {})


def _finish(typed: dict[str, Any], used: dict[str, Any], known: dict[str, Any]) -> Vouched:
    t, u = _normal(typed), _normal(used)
    sources = {}
    for key, value in used.items():
        if key in NESTED and isinstance(value, dict):
            inner = known.get(key) or {}
            for sub in value:
                sources[f"{key}.{sub}"] = "registry" if sub in inner else "applicant"
        elif key != "id":
            sources[key] = ("ledger" if key == "history" else
                            "registry" if key in known else "applicant")
    claims = []
    for key in typed:
        if key == "id":
            continue
        if key in NESTED and isinstance(typed[key], dict):
            typed_sub, used_sub = t.get(key) or {}, u.get(key) or {}
            held = known.get(key) or {}
            for sub in typed[key]:
                claim = _claim(typed["id"], f"{key}.{sub}", typed_sub.get(sub), used_sub.get(sub),
                               used_sub.get(sub) if sub in held else None)
                if claim:
                    claims.append(claim)
        elif claim := _claim(typed["id"], key, t.get(key), u.get(key),
                             u.get(key) if key in known else None):
            claims.append(claim)
    return Vouched(used, sources, claims)


def _empty(value: Any) -> bool:
    """A default: nothing, false, an empty list or mapping (but 0 is a figure)."""
    return value is None or value is False or value == [] or value == {}


def _claim(ben: str, name: str, claimed: Any, used: Any, registry: Any) -> dict[str, Any] | None:
    if claimed == used or _empty(claimed):  # defaults claim nothing
        return None
    return {"beneficiary": ben, "field": name, "claimed": claimed, "registry": registry,
            "source": "applicant",
            "status": "awaiting_registry" if _empty(registry) else "registry_differs"}


def _normal(b: dict[str, Any]) -> dict[str, Any]:
    """A beneficiary's fields in one canonical JSON form, so "1.0" and "1.00" compare equal."""
    try:
        return Beneficiary.model_validate(b).model_dump(mode="json", by_alias=True)
    except ValueError:
        return b


def refresh(claims: list[dict[str, Any]], used: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The claims against the facts the engine uses now: one the registry has come to hold is
    ``confirmed``; ``used`` maps beneficiary id → its vouched facts."""
    out = []
    for c in claims:
        ben = used.get(c["beneficiary"])
        now = None
        if ben is not None:
            key, _, sub = c["field"].partition(".")
            value = _normal(ben).get(key)
            now = value.get(sub) if sub and isinstance(value, dict) else value
        out.append({**c, "status": "confirmed" if now == c["claimed"] else c["status"]})
    return out
