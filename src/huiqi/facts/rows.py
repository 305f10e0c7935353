"""A case as rows: the facts of each beneficiary, title, project, loan and earlier award, one
dictionary per row in the columnar layout of ``tables.SCHEMAS`` (money as integer fen).

Plain Python, no Arrow: the in-process evaluator reads these rows as they are, and
``tables.to_tables`` turns the same rows into Arrow tables for DuckDB and Spark.
"""

from __future__ import annotations

from huiqi.engine.money import yuan_to_fen
from huiqi.facts.case import Beneficiary, Case, Loan

# Where each column comes from in a case file, so "missing" can ask for exactly that field.
# {y}, {y1}, {y2}: the year and the two before it; {item}: the project or loan id.
FACT_PATHS: dict[str, str] = {
    "size": "size.class (or size.industry, employees, revenue, assets)",
    "rc_fen": "regional_contribution.{y}",
    "rc_prev_fen": "regional_contribution.{y1}",
    "rc_prev2_fen": "regional_contribution.{y2}",
    "rc_since_intro_fen": "regional_contribution (every year since introduced_by.recognised_on)",
    "rd_fen": "rd_investment.{y}",
    "revenue_fen": "size.revenue",
    "subfund_investment_fen": "subfund.district_investment",
    "subfund_excess_fen": "subfund.excess_return",
    "fm_investment_fen": "fund_manager.investment_scale",
    "fm_exit_prev_fen": "fund_manager.exit_return_prev_year",
    "talent_tier": "talent.tier",
    "inst_renowned": "institution.renowned",
    "inst_settled_on": "institution.settled_on",
    "item_investment_fen": "projects[{item}].investment",
    "item_interest_paid_fen": "loans[{item}].interest_paid",
    "item_guarantee_fee_paid_fen": "loans[{item}].guarantee_fee_paid",
    "item_loss_fen": "loans[{item}].principal_loss",
    "item_loss_on": "loans[{item}].loss_on",
    "item_borrower_size": "loans[{item}].borrower_size_class (or the borrower's size)",
    "member_rc_fen": "regional_contribution.{y} of every introduced enterprise",
    "item_rc_fen": "regional_contribution.{y} of the introduced enterprise {item}",
    "item_revenue_fen": "size.revenue of the introduced enterprise {item}",
    "member_rc_since_intro_fen": "regional_contribution since introduction of every member",
}


def fact_path(column: str, year: int, item: str | None) -> str:
    """The case-file field behind a column, e.g. ``regional_contribution.2024``."""
    template = FACT_PATHS.get(column, column)
    return template.format(y=year, y1=year - 1, y2=year - 2, item=item or "")


def _fen(value: object) -> int | None:
    return None if value is None else yuan_to_fen(value)  # type: ignore[arg-type]


def _since_intro(b: Beneficiary, year: int) -> int | None:
    """Σ RC from the year of introduction through ``year``; unknown if any year is absent."""
    if b.introduced_by is None:
        return None
    first = b.introduced_by.recognised_on.year
    years = range(first, year + 1)
    if not years or any(y not in b.regional_contribution for y in years):
        return None
    return sum(yuan_to_fen(b.regional_contribution[y]) for y in years)


def subject_row(b: Beneficiary, year: int) -> dict[str, object]:
    """One ``subjects`` row: the beneficiary's facts as they stand for ``year``."""
    rc = b.regional_contribution
    size, intro, inst = b.size, b.introduced_by, b.institution
    sub, fm, tal = b.subfund, b.fund_manager, b.talent
    return {
        "id": b.id, "kind": b.kind.value, "one_matter": b.one_matter,
        "size_class": size.size_class.value if size and size.size_class else None,
        "industry": size.industry if size else None,
        "employees": size.employees if size else None,
        "revenue_fen": _fen(size.revenue) if size else None,
        "assets_fen": _fen(size.assets) if size else None,
        "rc_fen": _fen(rc.get(year)), "rc_prev_fen": _fen(rc.get(year - 1)),
        "rc_prev2_fen": _fen(rc.get(year - 2)),
        "chain_leader": b.chain_leader.status if b.chain_leader else None,
        "chain_leader_since": b.chain_leader.since if b.chain_leader else None,
        "introducer": intro.introducer if intro else None,
        "introducer_kind": intro.kind.value if intro else None,
        "introduced_on": intro.recognised_on if intro else None,
        "rc_since_intro_fen": _since_intro(b, year),
        "rd_fen": _fen(b.rd_investment.get(year)), "listed_on": b.listed_on,
        "key_enterprise": b.key_enterprise, "fits_positioning": b.fits_industry_positioning,
        "platform_signed": b.attraction_platform_signed,
        "inst_field": inst.field.value if inst else None,
        "inst_renowned": inst.renowned if inst else None,
        "inst_settled_on": inst.settled_on if inst else None,
        "subfund_contribution_fen": _fen(sub.district_contribution) if sub else None,
        "subfund_investment_fen": _fen(sub.district_investment) if sub else None,
        "subfund_excess_fen": _fen(sub.excess_return) if sub else None,
        "fm_investment_fen": _fen(fm.investment_scale) if fm else None,
        "fm_exit_prev_fen": _fen(fm.exit_return_prev_year) if fm else None,
        "talent_selected_on": tal.selected_on if tal else None,
        "talent_tier": tal.tier if tal else None,
        "home_purchased_on": tal.home_purchased_on if tal else None,
    }


def loan_row(loan: Loan) -> dict[str, object]:
    """One ``loans`` row."""
    return {
        "id": loan.id, "borrower": loan.borrower, "lender": loan.lender,
        "borrower_size_class": loan.borrower_size_class.value
        if loan.borrower_size_class else None,
        "principal_fen": _fen(loan.principal), "drawn_on": loan.drawn_on,
        "repaid_on": loan.repaid_on, "first_loan": loan.first_loan,
        "guaranteed": loan.guaranteed, "credit": loan.credit, "green": loan.green,
        "interest_paid_fen": _fen(loan.interest_paid),
        "guarantee_fee_paid_fen": _fen(loan.guarantee_fee_paid),
        "loss_fen": _fen(loan.principal_loss), "loss_on": loan.loss_on,
    }


def to_rows(case: Case, year: int) -> dict[str, list[dict[str, object]]]:
    """A case as the engine's five tables for ``year``, each a list of rows."""
    bs = case.beneficiaries
    return {
        "subjects": [subject_row(b, year) for b in bs],
        "titles": [
            {"subject": b.id, "kind": t.kind.value, "level": t.level.value, "date": t.date,
             "relocated": t.relocated} for b in bs for t in b.titles],
        "projects": [
            {"id": p.id, "subject": b.id, "kind": p.kind.value, "date": p.date,
             "investment_fen": _fen(p.investment), "mode": p.mode.value if p.mode else None,
             "results_recognised": p.results_recognised} for b in bs for p in b.projects],
        "loans": [loan_row(loan) for loan in case.loans],
        "history": [
            {"subject": b.id, "measure": h.measure, "year": h.year, "item": h.item,
             "kind": h.kind.value if h.kind else None, "level": h.level.value if h.level else None,
             "amount_fen": _fen(h.amount)}
            for b in bs for h in b.history],
    }
