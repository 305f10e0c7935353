"""axe (wcag2a, wcag2aa, wcag21a, wcag21aa) on every page we build: each language on a desktop,
and 长辈版 on a 375-px phone. No violation is allowed; an exception would be written here with its
reason (there is none)."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser

from tests.browser.conftest import PASSWORD, _api, log_in, reset_second_factor, shot

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES = {
    "home": "/", "login": "/login", "library": "/policies", "search": "/policies?q=贷款&who=enterprise",
    "measure": "/policies/m22.interest", "placeholder": "/policies/m04", "service": "/policies/m12",
    "calculator": "/calculator", "question": "/calculator/start?who=enterprise",
    "results": "/calculator/start?who=bank", "not-found": "/policies/none",
    "login-errors": None,  # posted below
}
axe = Axe()


def _opened(browser: Browser, server: str, lang: str, width: int, senior: bool) -> Any:
    """A page of a new browser context in ``lang``, ``width`` pixels wide, in 长辈版 if ``senior``."""
    page = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 800}).new_page()
    page.goto(f"{server}/?lang={lang}")
    if senior:
        page.goto(f"{server}/mode?senior=1&next=/")
    return page


def _violations(page: Any) -> list[str]:
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": TAGS}})
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]]


@pytest.mark.parametrize(("lang", "width", "senior"), [
    ("zh", 1280, False), ("en", 1280, False), ("zh", 375, True), ("en", 375, True)])
def test_every_page_passes_axe(browser: Browser, server: str, lang: str, width: int, senior: bool) -> None:
    page = _opened(browser, server, lang, width, senior)
    context = page.context
    found = {}
    for name, path in PAGES.items():
        if path is None:
            page.goto(f"{server}/login")
            page.get_by_role("button", name="登录" if lang == "zh" else "Log in").click()
        else:
            page.goto(server + path)
        found[name] = _violations(page)
        if width == 375:
            shot(page, f"{name}-{lang}-phone{'-senior' if senior else ''}")
    context.close()
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.parametrize(("lang", "width", "senior"), [("zh", 1280, False), ("en", 375, True)])
def test_the_logged_in_pages_pass_axe(browser: Browser, server: str, lang: str, width: int,
                                      senior: bool) -> None:
    page = _opened(browser, server, lang, width, senior)
    context = page.context
    found = {}
    def code_page(page: Any) -> None:
        found["code"] = _violations(page)
        page.locator("form[action='/login/code'] button[type=submit]").click()  # empty: the errors
        page.wait_for_load_state()
        found["code-errors"] = _violations(page)

    for username in ("ent5", "office"):
        log_in(page, server, username, on_code_page=code_page)
        found[f"home-{username}"] = _violations(page)
        if username == "ent5":
            links = page.locator("a[href^='/me/']").evaluate_all("links => links.map(a => a.pathname)")
            for href in [*links, "/me/requests/new", "/password"]:
                page.goto(server + href)
                found[href] = _violations(page)
                if width == 375:
                    shot(page, f"{href.strip('/').replace('/', '-')}-{lang}-phone-senior")
            page.locator("form[action='/password'] button[type=submit]").click()  # empty: the errors
            page.wait_for_load_state()
            found["password-errors"] = _violations(page)
        page.locator("form[action='/logout'] button").click()
        page.wait_for_load_state()
    context.close()
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.parametrize(("lang", "width", "senior"), [("zh", 1280, False), ("en", 375, True)])
def test_the_second_factor_set_up_passes_axe(browser: Browser, server: str, lang: str, width: int,
                                            senior: bool) -> None:
    reset_second_factor(server, "auditadmin")  # its next login sets up a new second factor
    page = _opened(browser, server, lang, width, senior)
    context = page.context
    log_in(page, server, "auditadmin")
    assert page.url.startswith(f"{server}/login/enrol")
    found = {"enrol": _violations(page)}
    shot(page, f"enrol-{lang}-{width}")
    page.locator("form[action='/login/enrol'] button[type=submit]").click()  # empty: the errors
    page.wait_for_load_state()
    found["enrol-errors"] = _violations(page)
    context.close()
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.parametrize(("lang", "width", "senior", "year"), [("zh", 1280, False, 2029),
                                                               ("en", 375, True, 2030)])
def test_the_application_wizard_passes_axe(browser: Browser, server: str, lang: str, width: int,
                                           senior: bool, year: int) -> None:
    """A draft of ent3's of its own (m07.rd, a year no journey uses) and ent3's returned application
    (m10): every task page and its errors; check answers and the confirmation are checked in
    test_apply_journey."""
    page = _opened(browser, server, lang, width, senior)
    context = page.context
    log_in(page, server, "ent3")
    found = {"home-ent3": _violations(page)}
    page.goto(f"{server}/policies/m07.rd")
    found["measure-logged-in"] = _violations(page)
    token = _api(server, "POST", "/auth/login", {"username": "ent3", "password": PASSWORD})["token"]
    draft = _api(server, "POST", "/applications", {"measure": "m07.rd", "year": year}, token)
    base = f"/me/applications/{draft['id']}"
    for name in ("tasks", "organisation", "account", "documents", "commitment", "facts/rd_fen"):
        page.goto(f"{server}{base}/{name}")
        found[name] = _violations(page)
        if width == 375:
            shot(page, f"apply-{name.replace('/', '-')}-{lang}-phone-senior")
        form = page.locator(f"form[action='{base}/{name}'] button[type=submit]")
        if form.count():
            form.last.click()  # nothing filled in: the errors
            page.wait_for_load_state()
            found[f"{name}-errors"] = _violations(page)
    page.goto(f"{server}/")
    timelines = page.locator("main a[href^='/me/applications/']").evaluate_all(
        "links => links.map(a => a.pathname)")
    for href in timelines:
        page.goto(server + href)
        found[href] = _violations(page)
        fix = page.locator("main a[href$='/tasks']")
        if fix.count() and href != base:
            fix.first.click()
            page.wait_for_load_state()
            found[f"{href}/tasks"] = _violations(page)
    context.close()
    assert {k: v for k, v in found.items() if v} == {}


def test_the_high_contrast_theme_passes_axe(browser: Browser, server: str) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(f"{server}/mode?contrast=1&next=/")
    assert "huiqi-contrast" in (page.locator("html").get_attribute("class") or "")
    found = {}
    for name, path in PAGES.items():
        if path is not None:
            page.goto(server + path)
            found[name] = _violations(page)
    shot(page, "contrast-not-found-zh")
    page.goto(server + "/policies/m01.new")
    shot(page, "contrast-measure-zh")
    context.close()
    assert {k: v for k, v in found.items() if v} == {}


# the enterprise's own space, on ent1 (awards with notices, a payment, an answered request)
SPACE = ["/me/awards", "/me/payments", "/me/profile", "/me/notices", "/me/requests/1"]


@pytest.mark.parametrize(("lang", "width", "senior"), [("zh", 1280, False), ("en", 375, True)])
def test_the_space_pages_pass_axe(browser: Browser, server: str, lang: str, width: int,
                                  senior: bool) -> None:
    page = _opened(browser, server, lang, width, senior)
    context = page.context
    log_in(page, server, "ent1")
    found = {}
    for href in SPACE:
        page.goto(server + href)
        found[href] = _violations(page)
        shot(page, f"{href.strip('/').replace('/', '-')}-{lang}-{width}")
    if page.locator("form[action='/me/requests/1/rate']").count():  # answered: the rating's errors
        page.locator("form[action='/me/requests/1/rate'] button[type=submit]").click()
        page.wait_for_load_state()
        found["rate-errors"] = _violations(page)
    context.close()
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.parametrize(("lang", "width", "senior", "year"), [("zh", 1280, False, 2029),
                                                               ("en", 375, True, 2030)])
def test_the_people_and_assist_pages_pass_axe(browser: Browser, server: str, lang: str, width: int,
                                              senior: bool, year: int) -> None:
    """The administrator's people and consent pages, the officer's 帮办 pages (ent4 consented in the
    demo) and the confirm page, each with its errors, on a draft of its own year."""
    token = _api(server, "POST", "/auth/login", {"username": "ent4", "password": PASSWORD})["token"]
    draft = _api(server, "POST", "/applications", {"measure": "m07.rd", "year": year}, token)["id"]
    page = _opened(browser, server, lang, width, senior)
    context = page.context
    found = {}
    pages = {"ent4": ["/me/people", "/me/people/new", "/me/consents", "/me/consents/new",
                      f"/me/applications/{draft}/confirm"],
             "helper1": ["/staff/assist", "/staff/assist/4", f"/staff/assist/applications/{draft}"]}
    for username, paths in pages.items():
        log_in(page, server, username)
        for path in paths:
            page.goto(server + path)
            found[path] = _violations(page)
            submit = page.locator("main form[method=post] button[type=submit]").last
            if path != "/me/consents" and submit.count():  # empty: the errors
                submit.click()
                page.wait_for_load_state()
                found[f"{path} (errors)"] = _violations(page)
            if width == 375:
                shot(page, f"{path.strip('/').replace('/', '-')}-{lang}-phone-senior")
        page.locator("form[action='/logout'] button").click()
        page.wait_for_load_state()
    context.close()
    assert {k: v for k, v in found.items() if v} == {}
