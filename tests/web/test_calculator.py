"""The public calculator: it asks only what the engine reports missing, one question per page,
until nothing is left; then the explained results and the case file to reuse."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import yaml
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from huiqi.app.api.main import create_app
from huiqi.app.config import Config
from huiqi.app.db import upgrade
from huiqi.calculator import calculate, parse_case
from huiqi.policy.tongzhou_2024_8 import policy
from tests.web.conftest import HTML, soup


def heading(page: BeautifulSoup) -> str:
    h1 = page.find("h1")
    return h1.get_text(strip=True)


def form_of(page: BeautifulSoup) -> dict[str, str]:
    form = page.find("form", action=re.compile("^/calculator"))
    return {i["name"]: i.get("value", "") for i in form.find_all("input", type="hidden")}


def answer(client: TestClient, page: BeautifulSoup, value: str | None) -> BeautifulSoup:
    data = form_of(page)
    data |= {"skip": "1"} if value is None else {"value": value}
    return soup(client.get("/calculator/answer", params=data).text)


def test_an_enterprise_is_asked_only_what_is_missing_then_sees_its_results(client: TestClient) -> None:
    start = soup(client.get("/calculator").text)
    assert heading(start) == "您是？"
    page = soup(client.get("/calculator/start", params={"who": "enterprise"}).text)
    asked = []
    answers = {"贵单位的企业规模是？": "small", "2025年度的区域贡献是多少？": "1,200,000",
               "2024年度的区域贡献是多少？": "¥800000.00", "2023年度的区域贡献是多少？": "600000",
               "2025年度的研发投入是多少？": "3000000"}
    while page.find("form", action="/calculator/answer"):
        asked.append(heading(page))
        page = answer(client, page, answers[asked[-1]])
    assert asked == list(answers)  # in this order, each once, nothing else
    assert heading(page) == "测算结果"
    # the results agree with the calculator on the same facts
    case = {"year": 2025, "beneficiaries": [{
        "id": "91110112MA01E00028", "kind": "enterprise", "size": {"class": "small"},
        "regional_contribution": {2025: "1200000.00", 2024: "800000.00", 2023: "600000.00"},
        "rd_investment": {2025: "3000000.00"}}]}
    expected = calculate(policy(), parse_case(case))
    eligible = [r for r in expected.results if r.status == "eligible"]
    text = page.get_text(" ", strip=True)
    assert f"可享受 {len(eligible)} 项政策" in text
    for r in eligible:
        assert r.title_zh in text
    # the download is a case file that gives the same results
    link = page.find("a", string=re.compile("case.yaml"))["href"]
    r = client.get(link)
    assert r.headers["content-disposition"] == 'attachment; filename="case.yaml"'
    again = calculate(policy(), parse_case(yaml.safe_load(r.text)))
    assert again.total_ceiling == expected.total_ceiling > Decimal(0)


def test_a_skipped_question_is_not_asked_again_and_shows_as_missing(client: TestClient) -> None:
    page = soup(client.get("/calculator/start", params={"who": "fund_manager"}).text)
    asked = []
    while page.find("form", action="/calculator/answer"):
        asked.append(heading(page))
        page = answer(client, page, None)
    assert asked == ["2025年度的实际投资规模是多少？", "2024年度项目退出的投资收益是多少？"]
    text = page.get_text(" ", strip=True)
    assert "尚缺：2025年度实际投资规模、2024年度项目退出投资收益" in text


def test_a_bad_amount_is_an_error_on_the_same_question(client: TestClient) -> None:
    page = soup(client.get("/calculator/start", params={"who": "enterprise", "measure": "m07.rd"}).text)
    assert heading(page) == "2025年度的研发投入是多少？"
    for bad, message in (("", "请输入金额"), ("12.345", "最多两位小数"), ("-5", "不小于零"), ("abc", "数字")):
        again = answer(client, page, bad)
        assert again.title.string.startswith("错误：")
        assert heading(again) == "2025年度的研发投入是多少？"
        assert message in again.find(class_="govuk-error-summary").get_text()
        assert again.find(id="value-error")


def test_who_must_be_chosen_and_must_fit_the_measure(client: TestClient) -> None:
    page = soup(client.get("/calculator/start").text)
    assert "请选择您的身份" in page.find(class_="govuk-error-summary").get_text()
    page = soup(client.get("/calculator?measure=m22.risk").text)
    assert [i["value"] for i in page.find_all("input", attrs={"name": "who"})] == ["bank"]
    page = soup(client.get("/calculator/start", params={"who": "person", "measure": "m22.risk"}).text)
    assert page.find(class_="govuk-error-summary")


def test_a_broken_token_starts_again(client: TestClient) -> None:
    for token in ("", "not-base64!", "e30", "x" * 5000):
        r = client.get("/calculator/questions", params={"c": token}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/calculator"


def test_the_results_in_english(client: TestClient) -> None:
    page = soup(client.get("/calculator/start", params={"who": "bank", "lang": "en"}).text)
    assert heading(page) == "Your results"  # a bank is asked nothing: no fact of it is missing
    text = page.get_text(" ", strip=True)
    assert "not met:" in text  # each measure a bank cannot use says which condition failed
    assert "You do not qualify yet" in text


def test_the_calculator_pages_are_rate_limited_with_a_page_that_says_when_to_retry(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'calc.db'}"
    upgrade(url)
    app = create_app(url, config=Config(calc_page_rate="2/minute"))
    with TestClient(app, headers=HTML) as client:
        first = client.get("/calculator/start", params={"who": "enterprise"}, follow_redirects=False)
        asked = [client.get(first.headers["location"]) for _ in range(3)]
        assert [r.status_code for r in asked] == [200, 200, 429]
        page = soup(asked[2].text)
        assert heading(page) == "操作过于频繁"
        wait = int(asked[2].headers["Retry-After"])
        assert 1 <= wait <= 60 and f"请在 {wait} 秒后再试。" in page.get_text()
        assert client.get("/policies").status_code == 200  # only the calculator is limited
