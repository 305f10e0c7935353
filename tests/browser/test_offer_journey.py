"""An enterprise logs in, sees its offer on its home page, confirms it with its registered
account (nothing to re-type), checks its answer, and sees the confirmation and the timeline."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot


def test_an_enterprise_confirms_its_offer(page: Page, server: str) -> None:
    page.goto(f"{server}/login")
    page.get_by_label("用户名").fill("ent5")
    page.get_by_label("密码", exact=True).fill("huiqi-demo-2024")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("企业专属空间")
    shot(page, "enterprise-home")
    page.locator("main a[href^='/me/offers/']").first.click()
    expect(page.get_by_text("**********0004")).to_be_visible()  # the registered account, masked
    shot(page, "offer")
    page.get_by_role("button", name="继续").click()
    # govuk-frontend moves focus to the error summary (its outer element holds the alert)
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    page.get_by_role("radio", name="确认领取").check()
    page.get_by_label("签署人姓名").fill("王经理")
    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确认您的选择")
    shot(page, "offer-check")
    page.get_by_role("button", name="确认提交").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("已确认领取")
    shot(page, "offer-done")
    page.get_by_role("link", name="查看办理进度").click()
    expect(page.locator(".huiqi-timeline__title").first).to_have_text("确认领取")
    shot(page, "timeline")
