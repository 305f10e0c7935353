"""An enterprise (ent1) files a request through the pages; the office routes it and the
department answers it (over the API, as staff with their second factor); the enterprise sees the
站内信 in its header, follows it, rates the answer, and downloads its decision notice (核定通知书)
— a PDF read back here. In Chinese and in English; each language files its own request."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from huiqi.app.demo import PASSWORD
from tests import totp
from tests.browser.conftest import _api, log_in, shot


def staff_token(server: str, username: str) -> str:
    pending = _api(server, "POST", "/auth/login", {"username": username, "password": PASSWORD})
    token: str = _api(server, "POST", "/auth/totp", {"code": totp.code(server, username)},
                      pending["token"])["token"]
    return token


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_enterprise_rates_an_answer_and_downloads_its_decision_notice(page: Page, server: str,
                                                                         lang: str) -> None:
    zh = lang == "zh"
    subject = f"研发楼消防验收进度（{lang}）"
    page.goto(f"{server}/?lang={lang}")
    log_in(page, server, "ent1")
    page.goto(f"{server}/me/requests/new")
    page.get_by_role("radio", name="诉求" if zh else "Request", exact=True).check()
    page.get_by_label("标题" if zh else "Subject").fill(subject)
    page.get_by_label("具体内容" if zh else "Details").fill("研发楼已申请消防验收，请协调加快办理。")
    page.get_by_role("button", name="提交" if zh else "Send").click()
    request_id = int(parse_qs(urlsplit(page.url).query)["filed"][0])

    office = staff_token(server, "office")
    _api(server, "POST", f"/requests/{request_id}/route", {"department": "区经济和信息化局"}, office)
    econ = staff_token(server, "econ")
    _api(server, "POST", f"/requests/{request_id}/answer",
         {"answer": "已协调消防部门，下周三现场验收。"}, econ)

    page.goto(f"{server}/")
    inbox = re.compile(r"^站内信（\d+条未读）$" if zh else r"^Notices \(\d+ unread\)$")
    page.get_by_role("link", name=inbox).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("站内信" if zh else "Notices")
    card = page.locator(".govuk-summary-card", has_text=subject)
    expect(card).to_contain_text("未读" if zh else "Unread")
    shot(page, f"notices-{lang}")
    card.get_by_role("link", name=re.compile("^查看详情" if zh else "^View details")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    expect(page.get_by_text("已协调消防部门，下周三现场验收。").first).to_be_visible()
    page.get_by_role("button", name="提交评价" if zh else "Send rating").click()  # nothing chosen
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    page.get_by_role("radio", name="满意" if zh else "Satisfied", exact=True).check()
    page.get_by_label("意见（选填）" if zh else "Comment (optional)").fill("答复及时")
    page.get_by_role("button", name="提交评价" if zh else "Send rating").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "这项诉求已办结" if zh else "The request is closed.")
    expect(page.locator(".huiqi-timeline__title").first).to_have_text("评价答复" if zh else "Rate the answer")
    shot(page, f"request-rated-{lang}")

    page.goto(f"{server}/me/awards")
    expect(page.get_by_role("heading", level=1)).to_have_text("我的奖励" if zh else "My awards")
    shot(page, f"awards-{lang}")
    with page.expect_download() as download:
        page.locator("a[href='/me/awards/1/notice.pdf']").click()
    assert download.value.suggested_filename == "HQ-2024-000001-0001.pdf"
    path = download.value.path()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)
    text = text.replace("\n", "")
    # 70% × 12,000,000.00 = 8,400,000.00 ceiling; 8,000,000.00 awarded (app/demo.py)
    assert "支持上限¥8,400,000.00（840.00万元）" in text and "核定金额¥8,000,000.00（800.00万元）" in text
    assert "通州智造科技有限公司" in text and "HQ-2024-000001-0001" in text
