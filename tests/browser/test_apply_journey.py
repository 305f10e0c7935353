"""An enterprise applies for （七） R&D support with a fact missing, attaches a PDF, signs, sees the
estimated ceiling, submits; a reviewer returns it; the enterprise reads the reason, corrects and
resubmits. A talent applies for its housing subsidy. In Chinese and in English.

Own data: ent4 (zh) and ent2 (en) apply for m07.rd of the last full year, for which the demo's
registry holds no R&D figure of theirs; talent1 (zh) and talent2 (en) apply for m21.housing. No
other browser test uses them."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from huiqi.app.demo import PASSWORD
from tests import totp
from tests.browser.conftest import _api, log_in, shot
from tests.browser.test_a11y import _violations

# the smallest valid PDF: a catalogue, a page tree with no pages, the cross-reference table
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000056 00000 n \n"
       b"trailer<</Size 3/Root 1 0 R>>\nstartxref\n103\n%%EOF\n")

WORDS: dict[str, dict[str, str]] = {
    "zh": {"start": "开始申请", "title": "以研发促创新（研发投入）", "facts": "申报事项",
           "question": "2025年度的研发投入是多少？", "save": "保存并继续", "documents": "证明材料",
           "label": "材料名称", "upload": "上传", "done_docs": "完成，返回申请任务",
           "commitment": "承诺声明", "signatory": "签署人姓名", "accept": "我已阅读并同意以上承诺",
           "sign": "签署并继续", "check": "检查填报内容并提交申请", "check_h1": "提交前请检查",
           "submit": "提交申请", "submitted": "申请已提交", "fix": "按意见修改", "back": "返回申请任务",
           "change": "修改", "returned": "退回修改"},
    "en": {"start": "Start application", "title": "Innovation through R&D (R&D investment)",
           "facts": "What you apply with", "question": "What was the R&D investment in 2025?",
           "save": "Save and continue", "documents": "Supporting documents", "label": "Document name",
           "upload": "Upload", "done_docs": "Done, back to the application tasks",
           "commitment": "Commitment", "signatory": "Name of the signatory",
           "accept": "I have read and accept the commitment above", "sign": "Sign and continue",
           "check": "Check your answers and submit the application",
           "check_h1": "Check your answers before submitting", "submit": "Submit application",
           "submitted": "Application submitted", "fix": "Make the changes asked for",
           "back": "Back to the application tasks", "change": "Change", "returned": "Returned for changes"},
}


def _h1(page: Page) -> Any:
    return expect(page.get_by_role("heading", level=1))


def _return(server: str, app_id: int, reason: str) -> None:
    """The 科委 reviewer returns the application over the API (password, then its code)."""
    pending = _api(server, "POST", "/auth/login", {"username": "sci", "password": PASSWORD})
    token = _api(server, "POST", "/auth/totp", {"code": totp.code(server, "sci")}, pending["token"])["token"]
    _api(server, "POST", f"/applications/{app_id}/review", {"approve": False, "reason": reason}, token)


def _sign(page: Page, w: dict[str, str], name: str) -> None:
    page.get_by_role("link", name=w["commitment"]).click()
    page.get_by_label(w["signatory"]).fill(name)
    page.get_by_label(w["accept"]).check()
    page.get_by_role("button", name=w["sign"]).click()


@pytest.mark.parametrize(("lang", "username"), [("zh", "ent4"), ("en", "ent2")])
def test_an_enterprise_applies_is_returned_corrects_and_resubmits(page: Page, server: str, lang: str,
                                                                  username: str) -> None:
    w = WORDS[lang]
    page.goto(f"{server}/?lang={lang}")
    log_in(page, server, username)
    page.goto(f"{server}/policies/m07.rd")
    page.get_by_role("button", name=w["start"]).click()
    expect(page).to_have_url(re.compile(r"/me/applications/\d+/tasks$"))
    app_id = int(page.url.split("/")[-2])
    _h1(page).to_have_text(w["title"])
    shot(page, f"apply-tasks-{lang}")

    page.get_by_role("link", name=w["facts"]).click()
    _h1(page).to_have_text(w["question"])
    page.get_by_role("button", name=w["save"]).click()  # nothing typed: the error, named
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    page.get_by_label(w["question"]).fill("1234567.80")
    page.get_by_role("button", name=w["save"]).click()
    _h1(page).to_have_text(w["facts"])
    expect(page.get_by_text("¥1,234,567.80")).to_be_visible()
    page.get_by_role("button", name=w["back"]).click()

    page.get_by_role("link", name=w["documents"]).click()
    page.get_by_label(w["label"]).fill("研发费用专项审计报告")
    page.locator("#file").set_input_files(files=[{"name": "审计报告.pdf", "mimeType": "application/pdf",
                                                  "buffer": PDF}])
    page.get_by_role("button", name=w["upload"], exact=True).click()
    expect(page.get_by_role("link", name="审计报告.pdf")).to_be_visible()
    page.get_by_role("button", name=w["done_docs"]).click()

    _sign(page, w, "周洁")
    page.get_by_role("link", name=w["check"]).click()
    _h1(page).to_have_text(w["check_h1"])
    # （七）: 10% × the R&D investment, at most 3,000,000 a year: 10% × 1,234,567.80 = 123,456.78
    expect(page.locator(".govuk-summary-card")).to_contain_text("¥123,456.78")
    shot(page, f"apply-check-{lang}")
    assert _violations(page) == []
    page.get_by_role("button", name=w["submit"]).click()
    _h1(page).to_have_text(w["submitted"])
    expect(page.locator(".govuk-panel__body")).to_contain_text(str(app_id))
    shot(page, f"apply-confirmation-{lang}")
    assert _violations(page) == []

    reason = "研发投入应以专项审计报告为准：请按报告金额 1,000,000.00 元填写"
    _return(server, app_id, reason)
    page.goto(f"{server}/me/applications/{app_id}")
    expect(page.get_by_text(reason, exact=False).first).to_be_visible()
    page.get_by_role("link", name=w["fix"]).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(reason)
    shot(page, f"apply-returned-{lang}")
    page.get_by_role("link", name=w["facts"]).click()
    change = re.escape(w["change"]) + r"\s*[：:]\s*" + re.escape(w["question"])
    page.get_by_role("link", name=re.compile(change)).click()
    page.get_by_label(w["question"]).fill("1000000")
    page.get_by_role("button", name=w["save"]).click()
    page.get_by_role("button", name=w["back"]).click()
    _sign(page, w, "周洁")
    page.get_by_role("link", name=w["check"]).click()
    # 10% × 1,000,000.00 = 100,000.00
    expect(page.locator(".govuk-summary-card")).to_contain_text("¥100,000.00")
    page.get_by_role("button", name=w["submit"]).click()
    _h1(page).to_have_text(w["submitted"])


TALENT = {
    "zh": {"home": "人才专属空间", "start": "^开始申请", "title": "实施“运河英才”计划（购房补贴）",
           "date": "2025年3月15日"},
    "en": {"home": "Talent space", "start": "^Start application",
           "title": "Implementing the 'Canal Talents' programme (home-purchase subsidy)",
           "date": "15 March 2025"},
}


@pytest.mark.parametrize(("lang", "username", "name"), [("zh", "talent1", "李明"), ("en", "talent2", "张婷")])
def test_a_talent_applies_for_its_housing_subsidy(page: Page, server: str, lang: str, username: str,
                                                  name: str) -> None:
    w, t = WORDS[lang], TALENT[lang]
    question = {"zh": "您在城市副中心购房的日期是？",
                "en": "When did you buy your home in the city sub-centre?"}[lang]
    page.goto(f"{server}/?lang={lang}")
    log_in(page, server, username)
    _h1(page).to_have_text(t["home"])
    shot(page, f"talent-home-{lang}")
    page.get_by_role("button", name=re.compile(t["start"])).click()
    _h1(page).to_have_text(t["title"])
    page.get_by_role("link", name=w["facts"]).click()
    _h1(page).to_have_text(question)
    page.get_by_label(question).fill("2025-03-15")
    page.get_by_role("button", name=w["save"]).click()
    expect(page.get_by_text(t["date"])).to_be_visible()
    page.get_by_role("button", name=w["back"]).click()
    _sign(page, w, name)
    page.get_by_role("link", name=w["check"]).click()
    # （二十一）: selected into 运河英才 (2024), a home bought in 2025: the subsidy, whose per-tier
    # amount defaults to the cap, 1,500,000 per person, once
    expect(page.locator(".govuk-summary-card")).to_contain_text("¥1,500,000.00")
    page.get_by_role("button", name=w["submit"]).click()
    _h1(page).to_have_text(w["submitted"])
    shot(page, f"talent-confirmation-{lang}")
