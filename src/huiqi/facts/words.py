"""Missing facts in words, for people: ``regional_contribution.2024`` reads 2024年度区域贡献.

Keyed like ``tables.FACT_PATHS`` (the case-file field for tools); {y}, {y1}, {y2} are the year and
the two before it, {item} the project or loan.
"""

from __future__ import annotations

FACT_WORDS: dict[str, tuple[str, str]] = {
    "size": ("企业规模（或行业、从业人员、营业收入、资产总额）",
             "size class (or industry, employees, revenue and total assets)"),
    "rc_fen": ("{y}年度区域贡献", "regional contribution in {y}"),
    "rc_prev_fen": ("{y1}年度区域贡献", "regional contribution in {y1}"),
    "rc_prev2_fen": ("{y2}年度区域贡献", "regional contribution in {y2}"),
    "rc_since_intro_fen": ("自认定引进以来各年度区域贡献",
                           "regional contribution in every year since the introduction"),
    "rd_fen": ("{y}年度研发投入", "R&D investment in {y}"),
    "revenue_fen": ("营业收入", "revenue"),
    "subfund_investment_fen": ("子基金在区内的返投金额", "the sub-fund's investment in the district"),
    "subfund_excess_fen": ("区级出资部分的超额收益", "excess return on the district's contribution"),
    "fm_investment_fen": ("{y}年度实际投资规模", "actual investment in {y}"),
    "fm_exit_prev_fen": ("{y1}年度项目退出投资收益", "returns from exits in {y1}"),
    "talent_tier": ("人才层级", "talent tier"),
    "inst_field": ("服务机构的专业领域", "the institution's field"),
    "inst_renowned": ("是否为知名服务机构", "whether the institution is renowned"),
    "inst_settled_on": ("落户日期", "date of settling in the district"),
    "item_investment_fen": ("项目{item}的固定资产投资", "fixed-asset investment of project {item}"),
    "item_mode": ("项目{item}的改造方式", "renovation mode of project {item}"),
    "item_interest_paid_fen": ("贷款{item}当年已付利息", "interest paid in the year on loan {item}"),
    "item_guarantee_fee_paid_fen": ("贷款{item}当年已付担保费",
                                    "guarantee fee paid in the year on loan {item}"),
    "item_loss_fen": ("贷款{item}的本金损失", "principal lost on loan {item}"),
    "item_loss_on": ("贷款{item}损失的确认日期", "date the loss on loan {item} was recognised"),
    "item_borrower_size": ("贷款{item}借款企业的规模", "size class of the borrower of loan {item}"),
    "member_rc_fen": ("每家引进企业的{y}年度区域贡献",
                      "regional contribution in {y} of every introduced enterprise"),
    "item_rc_fen": ("引进企业{item}的{y}年度区域贡献",
                    "regional contribution in {y} of the introduced enterprise {item}"),
    "item_revenue_fen": ("引进企业{item}的营业收入", "revenue of the introduced enterprise {item}"),
    "member_rc_since_intro_fen": ("每家引进企业自引进以来的区域贡献",
                                  "regional contribution since introduction of every introduced enterprise"),
}


def fact_words(column: str, year: int, item: str | None, lang: str) -> str:
    """The missing fact ``column`` named in Chinese (``lang`` "zh") or English."""
    zh, en = FACT_WORDS.get(column, (column, column))
    return (zh if lang == "zh" else en).format(y=year, y1=year - 1, y2=year - 2, item=item or "")
