"""Anonymous visitors, in Chinese and in English: read a measure, then use the calculator until
it asks nothing more. Located by role and name, as a person finds things."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

WORDS = {
    "zh": {"library": "政策库", "start": "我能享受吗？开始测算", "enterprise": "企业", "continue": "继续",
           "skip": "不清楚，跳过", "results": "测算结果", "size": "小型企业", "download": "下载测算数据"},
    "en": {"library": "Policy library", "start": "Can I use it? Start the calculator",
           "enterprise": "Enterprise", "continue": "Continue", "skip": "I don't know, skip",
           "results": "Your results", "size": "Small enterprise", "download": "Download the figures"},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_anonymous_reads_a_measure_and_uses_the_calculator(page: Page, server: str, lang: str) -> None:
    w = WORDS[lang]
    page.goto(f"{server}/?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if lang == "zh" else "en")
    page.get_by_role("link", name=w["library"]).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(w["library"])
    page.locator("a[href='/policies/m05']").click()
    expect(page).to_have_url(re.compile("/policies/m05$"))
    expect(page.locator("blockquote[lang=zh-CN]")).to_be_visible()
    shot(page, f"measure-m05-{lang}")
    page.get_by_role("button", name=w["start"]).click()
    page.get_by_role("radio", name=w["enterprise"], exact=True).check()
    with page.expect_navigation():
        page.get_by_role("button", name=w["continue"]).click()
    asked = 0
    while page.get_by_role("button", name=w["skip"]).count():
        asked += 1
        assert asked < 10, "the calculator kept asking"
        radios = page.get_by_role("radio")
        if radios.count():
            page.get_by_role("radio", name=w["size"]).check()
        else:
            page.get_by_role("textbox").fill("1000000")
        if asked == 1:
            shot(page, f"calculator-question-{lang}")
        with page.expect_navigation():  # the answer redirects to the next question or the results
            page.get_by_role("button", name=w["continue"]).click()
    assert asked >= 2  # m05 needs at least the size class and a year's regional contribution
    expect(page.get_by_role("heading", level=1)).to_have_text(w["results"])
    expect(page.get_by_role("link", name=re.compile(w["download"]))).to_be_visible()
    shot(page, f"calculator-results-{lang}")
