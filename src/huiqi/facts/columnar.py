"""From the columnar layout back to case files: a population's beneficiaries as cases.

The inverse of ``tables.to_tables`` for the facts a case file can carry, so that any row of a
population can be put to the calculator (and its answer compared with a batch run). A case for a
beneficiary brings along what its group rules need: the enterprises an introducer brought in,
and a bank's borrowers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from huiqi.engine.money import fen_to_yuan

K = TypeVar("K")


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else str(fen_to_yuan(fen))


def _drop_none(d: Mapping[K, Any]) -> dict[K, Any]:
    return {k: v for k, v in d.items() if v is not None}


def beneficiary(row: dict[str, Any], year: int, titles: list[dict[str, Any]],
                projects: list[dict[str, Any]], history: list[dict[str, Any]]) -> dict[str, Any]:
    """One ``subjects`` row (with its items) as a case-file beneficiary."""
    b: dict[str, Any] = {"id": row["id"], "kind": row["kind"], "one_matter": row["one_matter"]}
    size = _drop_none({
        "class": row["size_class"], "industry": row["industry"], "employees": row["employees"],
        "revenue": _yuan(row["revenue_fen"]), "assets": _yuan(row["assets_fen"]),
    })
    if size:
        b["size"] = size
    rc = {year - k: _yuan(row[c]) for k, c in enumerate(("rc_fen", "rc_prev_fen", "rc_prev2_fen"))}
    b["regional_contribution"] = _drop_none(rc)
    if row["chain_leader"]:
        b["chain_leader"] = {"status": row["chain_leader"], "since": row["chain_leader_since"]}
    if row["introducer"]:
        b["introduced_by"] = {"introducer": row["introducer"], "kind": row["introducer_kind"],
                              "recognised_on": row["introduced_on"]}
    if row["rd_fen"] is not None:
        b["rd_investment"] = {year: _yuan(row["rd_fen"])}
    b |= _drop_none({"listed_on": row["listed_on"]})
    b |= {"key_enterprise": row["key_enterprise"],
          "fits_industry_positioning": row["fits_positioning"],
          "attraction_platform_signed": row["platform_signed"]}
    if row["inst_field"] is not None:
        b["institution"] = {"field": row["inst_field"], "renowned": row["inst_renowned"],
                            "settled_on": row["inst_settled_on"]}
    if row["subfund_contribution_fen"] is not None:
        b["subfund"] = _drop_none({
            "district_contribution": _yuan(row["subfund_contribution_fen"]),
            "district_investment": _yuan(row["subfund_investment_fen"]),
            "excess_return": _yuan(row["subfund_excess_fen"]),
        })
    if row["fm_investment_fen"] is not None or row["fm_exit_prev_fen"] is not None:
        b["fund_manager"] = _drop_none({
            "investment_scale": _yuan(row["fm_investment_fen"]),
            "exit_return_prev_year": _yuan(row["fm_exit_prev_fen"]),
        })
    if row["kind"] == "person":
        b["talent"] = _drop_none({"selected_on": row["talent_selected_on"],
                                  "tier": row["talent_tier"],
                                  "home_purchased_on": row["home_purchased_on"]})
    b["titles"] = [{"kind": t["kind"], "level": t["level"], "date": t["date"],
                    "relocated": t["relocated"]} for t in titles]
    b["projects"] = [_drop_none({
        "id": p["id"], "kind": p["kind"], "date": p["date"],
        "investment": _yuan(p["investment_fen"]), "mode": p["mode"],
        "results_recognised": p["results_recognised"]}) for p in projects]
    b["history"] = [_drop_none({"measure": h["measure"], "year": h["year"], "item": h["item"],
                                "kind": h["kind"], "level": h["level"],
                                "amount": _yuan(h["amount_fen"])})
                    for h in history]
    return b


def loan(row: dict[str, Any]) -> dict[str, Any]:
    """One ``loans`` row as a case-file loan."""
    return _drop_none({
        "id": row["id"], "borrower": row["borrower"], "lender": row["lender"],
        "borrower_size_class": row["borrower_size_class"],
        "principal": _yuan(row["principal_fen"]), "drawn_on": row["drawn_on"],
        "repaid_on": row["repaid_on"], "first_loan": row["first_loan"],
        "guaranteed": row["guaranteed"], "credit": row["credit"], "green": row["green"],
        "interest_paid": _yuan(row["interest_paid_fen"]),
        "guarantee_fee_paid": _yuan(row["guarantee_fee_paid_fen"]),
        "principal_loss": _yuan(row["loss_fen"]), "loss_on": row["loss_on"],
    })


def _rows(table: pa.Table, column: str, values: Iterable[str]) -> list[dict[str, Any]]:
    mask = pc.is_in(table[column], value_set=pa.array(sorted(set(values)), pa.string()))
    rows: list[dict[str, Any]] = table.filter(mask).to_pylist()
    return rows


def case_for(tables: dict[str, pa.Table], ids: Iterable[str], year: int) -> dict[str, Any]:
    """A case holding the given beneficiaries and everything their group rules need."""
    wanted = set(ids)
    subjects = tables["subjects"]
    members = _rows(subjects, "introducer", wanted)
    loans = _rows(tables["loans"], "borrower", wanted) + _rows(tables["loans"], "lender", wanted)
    loans = list({r["id"]: r for r in loans}.values())
    everyone = wanted | {m["id"] for m in members} | {r["borrower"] for r in loans}
    by_subject: dict[str, dict[str, list[dict[str, Any]]]] = {
        i: {"titles": [], "projects": [], "history": []} for i in everyone
    }
    for name in ("titles", "projects", "history"):
        for r in _rows(tables[name], "subject", everyone):
            by_subject[r["subject"]][name].append(r)
    rows = _rows(subjects, "id", everyone)
    return {
        "year": year,
        "beneficiaries": [beneficiary(r, year, **by_subject[r["id"]]) for r in rows],
        "loans": [loan(r) for r in loans],
    }


__all__ = ["beneficiary", "case_for", "loan"]
