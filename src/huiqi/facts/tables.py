"""The columnar layout of facts: five tables the engine evaluates, one row per thing.

``subjects`` has one row per beneficiary for the year asked about (money as BIGINT fen, the
year's regional contribution and the two before it side by side); ``titles``, ``projects``,
``loans`` and ``history`` hold the items that measures count per title, project or loan, and the
earlier awards. A population is the same tables with many rows (see ``to_tables``).
"""

from __future__ import annotations

import pyarrow as pa

from huiqi.facts.case import Case
from huiqi.facts.rows import FACT_PATHS, fact_path, loan_row, subject_row, to_rows

S, I64, B, D = pa.string(), pa.int64(), pa.bool_(), pa.date32()

SCHEMAS: dict[str, pa.Schema] = {
    "subjects": pa.schema([
        ("id", S), ("kind", S), ("one_matter", B),
        ("size_class", S), ("industry", S), ("employees", I64),
        ("revenue_fen", I64), ("assets_fen", I64),
        ("rc_fen", I64), ("rc_prev_fen", I64), ("rc_prev2_fen", I64),
        ("chain_leader", S), ("chain_leader_since", D),
        ("introducer", S), ("introducer_kind", S), ("introduced_on", D),
        ("rc_since_intro_fen", I64),
        ("rd_fen", I64), ("listed_on", D),
        ("key_enterprise", B), ("fits_positioning", B), ("platform_signed", B),
        ("inst_field", S), ("inst_renowned", B), ("inst_settled_on", D),
        ("subfund_contribution_fen", I64), ("subfund_investment_fen", I64),
        ("subfund_excess_fen", I64),
        ("fm_investment_fen", I64), ("fm_exit_prev_fen", I64),
        ("talent_selected_on", D), ("talent_tier", S), ("home_purchased_on", D),
    ]),
    "titles": pa.schema([
        ("subject", S), ("kind", S), ("level", S), ("date", D), ("relocated", B),
    ]),
    "projects": pa.schema([
        ("id", S), ("subject", S), ("kind", S), ("date", D), ("investment_fen", I64),
        ("mode", S), ("results_recognised", B),
    ]),
    "loans": pa.schema([
        ("id", S), ("borrower", S), ("lender", S), ("borrower_size_class", S),
        ("principal_fen", I64), ("drawn_on", D), ("repaid_on", D),
        ("first_loan", B), ("guaranteed", B), ("credit", B), ("green", B),
        ("interest_paid_fen", I64), ("guarantee_fee_paid_fen", I64),
        ("loss_fen", I64), ("loss_on", D),
    ]),
    "history": pa.schema([("subject", S), ("measure", S), ("year", I64), ("item", S),
                          ("kind", S), ("level", S), ("amount_fen", I64)]),
}

def to_tables(case: Case, year: int) -> dict[str, pa.Table]:
    """A case as the engine's five Arrow tables for ``year``."""
    return {name: pa.Table.from_pylist(rows, schema=SCHEMAS[name])
            for name, rows in to_rows(case, year).items()}


__all__ = ["FACT_PATHS", "SCHEMAS", "fact_path", "loan_row", "subject_row", "to_rows", "to_tables"]
