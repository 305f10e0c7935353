"""Users log in through the page and land on their role's home; log out again."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot


@pytest.mark.parametrize(("username", "heading", "lang"), [
    ("office", "工作台", "zh"), ("econ", "Workspace", "en"), ("ent1", "企业专属空间", "zh"),
    ("ent1", "Enterprise space", "en")])
def test_a_user_logs_in_and_sees_its_role_home(page: Page, server: str, username: str, heading: str,
                                               lang: str) -> None:
    page.goto(f"{server}/?lang={lang}")
    page.get_by_role("link", name="登录" if lang == "zh" else "Log in").first.click()
    page.get_by_label("用户名" if lang == "zh" else "Username").fill(username)
    page.get_by_label("密码" if lang == "zh" else "Password", exact=True).fill("huiqi-demo-2024")
    page.get_by_role("button", name="登录" if lang == "zh" else "Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    shot(page, f"home-{username}-{lang}")
    page.get_by_role("button", name="退出登录" if lang == "zh" else "Log out").click()
    expect(page.get_by_role("link", name="登录" if lang == "zh" else "Log in").first).to_be_visible()
