"""Several people per enterprise and the service centre's help (帮办), in zh and in en:

- an enterprise's administrator adds a clerk who may sign; the clerk logs in with the initial
  password, changes it, and applies through the application wizard (the R&D figure asked,
  the commitment signed, the estimated ceiling checked, submitted);
- the service centre's officer (with its second factor) prepares an application for 潞城新材料
  (ent4, who consented in the demo) and the enterprise confirms it.

Own data: ent5 (zh) adds a clerk who starts （七） for the last full year; ent3 (en) adds one who
continues the demo's draft of it; ent4 is assisted for （七） 2024 (zh) and 2026 (en)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import log_in, shot
from tests.browser.test_apply_journey import WORDS as APPLY

WORDS = {
    "zh": {"people": "单位人员", "manage": "管理经办人和签署权限", "add": "添加经办人",
           "name": "经办人姓名", "username": "用户名",
           "may": "可以签署", "added": "已添加经办人", "current": "当前密码", "new": "新密码",
           "again": "再次输入新密码", "signatory": "签署人姓名", "accept": "本单位已阅读并同意上述告知承诺",
           "confirm": "确认并提交", "submitted": "提交申请", "assist": "帮办：授权企业",
           "measure": "政策", "year": "年度", "start": "开始申请", "save": "保存",
           "ready": "标记为待企业确认", "readied": "已交企业确认", "to_confirm": "待确认：服务中心代办",
           "prepared": "代为准备，待本单位确认", "centre": "政务服务中心",
           "rd": "{year}年度的研发投入是多少？"},
    "en": {"people": "People", "manage": "Manage clerks and who may sign", "add": "Add a clerk",
           "name": "Clerk’s name", "username": "Username",
           "may": "May sign", "added": "Clerk added", "current": "Current password", "new": "New password",
           "again": "Confirm the new password", "signatory": "Name of the signatory",
           "accept": "We have read and accept the commitment above", "confirm": "Confirm and submit",
           "submitted": "Application submitted", "assist": "Assisted applications: consenting enterprises",
           "measure": "Measure", "year": "Year", "start": "Start application", "save": "Save",
           "ready": "Mark as ready for the enterprise to confirm", "readied": "Sent for confirmation",
           "to_confirm": "To confirm: prepared by the service centre",
           "prepared": "Prepared for us, awaiting our confirmation", "centre": "Government service centre",
           "rd": "What was the R&D investment in {year}?"},
}
CLERK_PASSWORD = "经办人自己的密码 2026"


def fresh_page(browser: Browser, server: str, lang: str) -> Page:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/?lang={lang}")
    return page


def log_in_with(page: Page, server: str, username: str, password: str) -> None:
    page.goto(f"{server}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.parametrize(("lang", "admin", "clerk"), [("zh", "ent5", "ent5.li"), ("en", "ent3", "ent3.li")])
def test_an_administrator_adds_a_clerk_who_applies(browser: Browser, server: str, lang: str, admin: str,
                                                   clerk: str) -> None:
    w = WORDS[lang]
    page = fresh_page(browser, server, lang)
    log_in(page, server, admin)
    page.get_by_role("link", name=w["manage"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(w["people"])
    shot(page, f"people-{lang}")
    page.get_by_role("button", name=w["add"]).click()
    page.get_by_label(w["name"]).fill("李经办")
    page.get_by_label(w["username"]).fill(clerk)
    page.get_by_role("radio", name=w["may"], exact=True).check()
    shot(page, f"people-new-{lang}")
    page.get_by_role("button", name=w["add"]).click()
    expect(page.locator(".govuk-panel__title")).to_have_text(w["added"])
    initial = page.locator("#initial-password").inner_text()
    shot(page, f"people-added-{lang}")
    # the clerk: the initial password, changed at once, then the application confirmed and submitted
    page.context.clear_cookies()
    page.goto(f"{server}/?lang={lang}")
    log_in_with(page, server, clerk, initial)
    expect(page).to_have_url(f"{server}/password")
    page.get_by_label(w["current"]).fill(initial)
    page.get_by_label(w["new"], exact=True).fill(CLERK_PASSWORD)
    page.get_by_label(w["again"]).fill(CLERK_PASSWORD)
    page.locator("form[action='/password'] button[type=submit]").click()
    page.wait_for_load_state()
    # the wizard, as the clerk: 开始申请 on the measure's page (a draft started, or the open one continued)
    a = APPLY[lang]
    page.goto(f"{server}/policies/m07.rd")
    page.get_by_role("button", name=a["start"]).click()
    expect(page).to_have_url(re.compile(r"/me/applications/\d+/tasks$"))
    page.get_by_role("link", name=a["facts"]).click()
    page.get_by_label(a["question"]).fill("3000000")
    page.get_by_role("button", name=a["save"]).click()
    page.get_by_role("button", name=a["back"]).click()
    page.get_by_role("link", name=a["commitment"]).click()
    page.get_by_label(a["signatory"]).fill("李经办")
    page.get_by_label(a["accept"]).check()
    page.get_by_role("button", name=a["sign"]).click()
    page.get_by_role("link", name=a["check"]).click()
    # （七）: 10% × the R&D investment: 10% × 3,000,000.00 = 300,000.00
    expect(page.locator(".govuk-summary-card")).to_contain_text("¥300,000.00")
    shot(page, f"apply-check-clerk-{lang}")
    page.get_by_role("button", name=a["submit"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(a["submitted"])
    page.context.close()


@pytest.mark.parametrize(("lang", "year"), [("zh", 2024), ("en", 2026)])
def test_the_service_centre_prepares_and_the_enterprise_confirms(browser: Browser, server: str, lang: str,
                                                                 year: int) -> None:
    w = WORDS[lang]
    page = fresh_page(browser, server, lang)
    log_in(page, server, "helper1")
    page.get_by_role("link", name=w["assist"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(w["assist"])
    shot(page, f"assist-{lang}")
    page.get_by_role("link", name="潞城新材料股份有限公司").click()
    page.get_by_label(w["measure"], exact=True).select_option("m07.rd")
    page.get_by_label(w["year"], exact=True).fill(str(year))
    shot(page, f"assist-enterprise-{lang}")
    page.get_by_role("button", name=w["start"]).click()
    page.get_by_label(w["rd"].format(year=year)).fill("3000000")
    shot(page, f"assist-application-{lang}")
    page.get_by_role("button", name=w["save"]).click()
    expect(page.get_by_text("¥300,000.00")).to_be_visible()  # 10% × 3,000,000.00
    page.get_by_role("button", name=w["ready"]).click()
    expect(page.locator(".govuk-notification-banner__title")).to_have_text(w["readied"])
    # the enterprise: its home lists what the centre prepared; it confirms, signing the commitment
    page.context.clear_cookies()
    page.goto(f"{server}/?lang={lang}")
    log_in(page, server, "ent4")
    expect(page.get_by_role("heading", name=w["to_confirm"])).to_be_visible()
    page.locator("main a[href$='/confirm']").first.click()
    expect(page.get_by_text("¥300,000.00")).to_be_visible()
    shot(page, f"assist-confirm-{lang}")
    page.get_by_role("button", name=w["confirm"]).click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    page.get_by_label(w["signatory"]).fill("赵总")
    page.get_by_role("checkbox", name=w["accept"]).check()
    page.get_by_role("button", name=w["confirm"]).click()
    titles = page.locator(".huiqi-timeline__title")
    expect(titles.nth(0)).to_have_text(w["submitted"])
    expect(titles.nth(1)).to_have_text(w["prepared"])
    expect(page.locator(".huiqi-timeline__by").nth(1)).to_contain_text(w["centre"])
    shot(page, f"assist-timeline-{lang}")
    page.context.close()
