"""The decision notice (核定通知书) as a PDF, always in Chinese (the legal text): reportlab with
its built-in CJK font STSong-Light (a CID font every PDF reader has; nothing is embedded or
downloaded). The amounts come from the decision as stored; nothing is computed here."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from huiqi.app.applications.awards import Award, Beneficiary
from huiqi.app.web.format import long_date, wan, yuan
from huiqi.engine.money import fen_to_yuan
from huiqi.engine.policy import MeasureText

FONT = "STSong-Light"
ISSUER = "北京市通州区产业发展促进办公室"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
_BODY = ParagraphStyle("body", fontName=FONT, fontSize=12, leading=20, wordWrap="CJK")
_TITLE = ParagraphStyle("title", parent=_BODY, fontSize=20, leading=30, alignment=1)
_RIGHT = ParagraphStyle("right", parent=_BODY, alignment=2)


def _para(text: str) -> Paragraph:
    return Paragraph(escape(text), _BODY)


def _money(fen: int) -> str:
    amount = fen_to_yuan(fen)
    return f"{yuan(amount, 'zh_CN')}（{wan(amount, 'zh_CN')}）"


def render(award: Award, holder: Beneficiary, text: MeasureText, document: dict[str, object]) -> bytes:
    """The notice of one award: the beneficiary, the clause verbatim, ceiling, award, date, number."""
    assert award.award_fen is not None
    ident = "身份证号" if holder.is_person else "统一社会信用代码"
    story = [
        Paragraph("产业政策支持资金核定通知书", _TITLE),
        Paragraph(escape(f"编号：{award.reference}"), _RIGHT),
        Spacer(1, 6 * mm),
        _para(f"{holder.name}（{ident}：{holder.identifier}）："),
        _para(f"根据{document['issuer_zh']}{document['title_zh']}（{document['id']}）第{text.clause}条"
          f"“{text.text_zh}”，经审核，现将你{'本人' if holder.is_person else '单位'}"
          f"{award.year}年度“{text.title_zh}”支持资金核定如下："),
        Spacer(1, 4 * mm),
    ]
    rows = [["政策条款", f"{text.clause} {text.title_zh}"],
            ["支持上限", _money(award.ceiling_fen) if award.ceiling_fen is not None else "—"],
            ["核定金额", _money(award.award_fen)],
            ["核定日期", long_date(award.decided_at.date(), "zh_CN")]]
    if award.below_ceiling and award.reasons:
        rows.append(["核定理由", award.reasons])
    if award.on_appeal:
        rows.append(["说明", "本决定为复核后的决定"])
    table = Table([[_para(k), _para(v)] for k, v in rows], colWidths=[32 * mm, 128 * mm])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "#505a5f"),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [table, Spacer(1, 6 * mm),
              _para("资金将拨付至你方登记的收款账户。如对核定结果有异议，可在收到本通知后通过企业专属空间"
                "申请复核一次；资金拨付指令发出后不再受理复核。"),
              Spacer(1, 12 * mm),
              Paragraph(escape(ISSUER), _RIGHT),
              Paragraph(escape(long_date(award.decided_at.date(), "zh_CN")), _RIGHT)]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=f"核定通知书 {award.reference}", author=ISSUER,
                      leftMargin=25 * mm, rightMargin=25 * mm, topMargin=25 * mm,
                      bottomMargin=25 * mm).build(story)
    return out.getvalue()
