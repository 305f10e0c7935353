"""Users log in through the page and land on their role's home; log out again. Staff give the
动态口令 of their authenticator after the password, or set one up at their first login."""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import Page, expect

from huiqi.app.demo import PASSWORD
from tests import totp
from tests.browser.conftest import reset_second_factor, shot


@pytest.mark.parametrize(("username", "heading", "lang"), [
    ("office", "工作台", "zh"), ("econ", "Workspace", "en"), ("ent1", "企业专属空间", "zh"),
    ("ent1", "Enterprise space", "en")])
def test_a_user_logs_in_and_sees_its_role_home(page: Page, server: str, username: str, heading: str,
                                               lang: str) -> None:
    zh = lang == "zh"
    page.goto(f"{server}/?lang={lang}")
    page.get_by_role("link", name="登录" if zh else "Log in").first.click()
    page.get_by_label("用户名" if zh else "Username").fill(username)
    page.get_by_label("密码" if zh else "Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录" if zh else "Log in").click()
    if username != "ent1":  # staff: the second step, one field that is the page's heading
        expect(page.get_by_role("heading", level=1)).to_have_text("动态口令" if zh else "Security code")
        field = page.get_by_label("动态口令" if zh else "Security code")
        expect(field).to_have_attribute("inputmode", "numeric")
        expect(field).to_have_attribute("autocomplete", "one-time-code")
        shot(page, f"code-{username}-{lang}")
        field.fill(totp.code(server, username))
        page.get_by_role("button", name="继续" if zh else "Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    shot(page, f"home-{username}-{lang}")
    page.get_by_role("button", name="退出登录" if zh else "Log out").click()
    expect(page.get_by_role("link", name="登录" if zh else "Log in").first).to_be_visible()


def test_a_wrong_code_is_shown_with_the_error_summary_focused(page: Page, server: str) -> None:
    page.goto(f"{server}/login")
    page.get_by_label("用户名").fill("finance")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_label("动态口令").fill("12ab")
    page.get_by_role("button", name="继续").click()
    expect(page).to_have_title("错误：动态口令 – 惠企")
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.get_by_role("link", name="动态口令是6位数字")).to_be_visible()
    page.get_by_label("动态口令").fill(totp.code(server, "finance"))
    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("工作台")


def test_a_staff_member_sets_up_the_second_factor_at_login(page: Page, server: str) -> None:
    reset_second_factor(server, "auditor")
    page.goto(f"{server}/login")
    page.get_by_label("用户名").fill("auditor")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("设置动态口令")
    expect(page.get_by_role("img", name="动态口令设置二维码")).to_be_visible()
    shot(page, "enrol")
    secret = page.locator("p[lang=en] code").inner_text().replace(" ", "")
    page.get_by_role("textbox", name="动态口令").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="确认并登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("工作台")
    page.get_by_role("link", name="修改密码").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("修改密码")
