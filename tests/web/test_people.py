"""The enterprise's people and the service centre's help (帮办) through the pages: the
administrator adds a clerk (the initial password shown once, changed at first login) and sets who
signs; the enterprise records a consent; the officer prepares an application and the enterprise
confirms it. Each page refuses every other role, and another organisation's people are not found."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from huiqi.app.demo import PASSWORD
from tests.web.conftest import api_headers, csrf_of, log_in, soup
from tests.web.test_pages import check_page

NEW_PASSWORD = "经办人自己的密码 2026"


def add_clerk(c: TestClient, name: str, username: str, signs: str) -> str:
    """The administrator adds a clerk; the initial password shown once."""
    token = csrf_of(c.get("/me/people/new").text)
    r = c.post("/me/people/new", data={"csrftoken": token, "display_name": name, "username": username,
                                       "may_sign": signs})
    assert r.status_code == 200
    page = soup(r.text)
    assert page.h1.get_text(strip=True).startswith("已添加经办人")
    return page.find(id="initial-password").get_text(strip=True)


def first_login(c: TestClient, username: str, password: str) -> None:
    c.cookies.clear()
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"username": username, "password": password, "csrftoken": token},
               follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/", follow_redirects=False).headers["location"] == "/password"  # change it first
    token = csrf_of(c.get("/password").text)
    r = c.post("/password", data={"csrftoken": token, "current_password": password,
                                  "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
               follow_redirects=False)
    assert r.status_code == 303, r.text


def test_the_administrator_adds_a_clerk_who_logs_in_and_is_given_the_signing_right(fresh: TestClient) -> None:
    log_in(fresh, "ent4")
    home = soup(fresh.get("/").text)
    assert home.find("a", href="/me/people") and home.find("a", href="/me/consents")
    people = check_page(fresh, "/me/people")
    assert [td.get_text(strip=True) for td in people.select("tbody tr")[0].find_all("td")][:4] == [
        "潞城新材料股份有限公司", "ent4", "单位管理员", "可以签署"]
    # nothing filled: the errors, named, on the same page
    token = csrf_of(fresh.get("/me/people/new").text)
    r = fresh.post("/me/people/new", data={"csrftoken": token})
    errors = soup(r.text)
    assert r.status_code == 200 and errors.title.string.startswith("错误：")
    assert [a["href"] for a in errors.find(class_="govuk-error-summary").find_all("a")] == [
        "#display_name", "#username", "#may_sign"]
    taken = soup(fresh.post("/me/people/new", data={"csrftoken": token, "display_name": "王五",
                                                   "username": "ent1", "may_sign": "no"}).text)
    assert "该用户名已被使用" in taken.find(class_="govuk-error-summary").get_text()
    password = add_clerk(fresh, "李经办", "ent4.li", "no")
    listed = soup(fresh.get("/me/people").text).select("tbody tr")[1]
    assert [td.get_text(strip=True) for td in listed.find_all("td")][:5] == [
        "李经办", "ent4.li", "经办人", "不可签署", "待首次登录"]
    clerk_link = listed.find("a")["href"]
    # the clerk: the initial password, changed first; no people pages for a clerk
    first_login(fresh, "ent4.li", password)
    assert fresh.get("/").status_code == 200
    assert fresh.get("/me/people").status_code == 403
    # the administrator gives the signing right
    fresh.cookies.clear()
    log_in(fresh, "ent4")
    check_page(fresh, clerk_link)
    token = csrf_of(fresh.get(clerk_link).text)
    r = fresh.post(clerk_link, data={"csrftoken": token, "signs": "yes", "active": "yes"},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/me/people?changed=")
    row = soup(fresh.get("/me/people").text).select("tbody tr")[1]
    assert [td.get_text(strip=True) for td in row.find_all("td")][3:5] == ["可以签署", "启用"]


def test_another_organisations_people_are_not_found(fresh: TestClient) -> None:
    log_in(fresh, "ent4")
    add_clerk(fresh, "李经办", "ent4.li", "no")
    clerk_link = soup(fresh.get("/me/people").text).select("tbody tr")[1].find("a")["href"]
    fresh.cookies.clear()
    log_in(fresh, "ent3")
    assert fresh.get(clerk_link).status_code == 404
    token = csrf_of(fresh.get("/me/people/new").text)
    r = fresh.post(clerk_link, data={"csrftoken": token, "signs": "yes", "active": "no"})
    assert r.status_code == 404


def test_the_enterprise_records_and_revokes_a_consent(fresh: TestClient) -> None:
    log_in(fresh, "ent3")
    assert "还没有授权" in check_page(fresh, "/me/consents").get_text()
    check_page(fresh, "/me/consents/new")
    token = csrf_of(fresh.get("/me/consents/new").text)
    r = fresh.post("/me/consents/new", data={"csrftoken": token, "scope": "some"})
    errors = soup(r.text)
    assert [a["href"] for a in errors.find(class_="govuk-error-summary").find_all("a")] == [
        "#officer", "#scope", "#until"]
    r = fresh.post("/me/consents/new", data={"csrftoken": token, "officer": "centre", "scope": "some",
                                             "measures": ["m07.rd"], "day": "1", "month": "1",
                                             "year": "2020"})
    assert "截止日期不能早于今天" in soup(r.text).find(class_="govuk-error-summary").get_text()
    r = fresh.post("/me/consents/new", data={"csrftoken": token, "officer": "centre", "scope": "some",
                                             "measures": ["m07.rd"], "day": "31", "month": "12",
                                             "year": str(date.today().year)},
                   follow_redirects=False)
    assert r.status_code == 303
    listed = soup(fresh.get(r.headers["location"]).text)
    card = listed.find(class_="govuk-summary-card").get_text(" ", strip=True)
    assert "有效" in card and "研发投入" in card and "政务服务中心（全体帮办人员）" in card
    revoke = listed.find("form", action=re.compile(r"/revoke$"))
    r = fresh.post(revoke["action"], data={"csrftoken": token}, follow_redirects=False)
    assert r.status_code == 303
    card = soup(fresh.get("/me/consents").text).find(class_="govuk-summary-card").get_text(" ", strip=True)
    assert "已撤销" in card


def test_the_officer_prepares_and_the_enterprise_confirms(fresh: TestClient) -> None:
    log_in(fresh, "helper1")
    home = soup(fresh.get("/").text)
    assert home.find("a", href="/staff/assist")
    listing = check_page(fresh, "/staff/assist")
    link = listing.find("a", string="潞城新材料股份有限公司")["href"]
    check_page(fresh, link)
    token = csrf_of(fresh.get(link).text)
    r = fresh.post(link, data={"csrftoken": token, "measure": "m07.rd", "year": "2024"},
                   follow_redirects=False)
    assert r.status_code == 303
    app_page = r.headers["location"]
    page = check_page(fresh, app_page)
    assert page.find("label", attrs={"for": "rd_fen"}).get_text(strip=True) == "2024年度的研发投入是多少？"
    bad = soup(fresh.post(app_page, data={"csrftoken": token, "rd_fen": "三百万"}).text)
    assert bad.title.string.startswith("错误：") and bad.find(class_="govuk-error-summary")
    r = fresh.post(app_page, data={"csrftoken": token, "rd_fen": "3,000,000"}, follow_redirects=False)
    assert r.status_code == 303
    page = soup(fresh.get(app_page).text)
    # 10% × 3,000,000.00 R&D investment = 300,000.00
    assert "¥300,000.00" in page.get_text() and not page.find("input", attrs={"name": "rd_fen"})
    r = fresh.post(f"{app_page}/ready", data={"csrftoken": token}, follow_redirects=False)
    assert r.status_code == 303 and "ready=" in r.headers["location"]
    app_id = int(app_page.rsplit("/", 1)[1])
    # the officer neither signs nor opens the enterprise's pages
    assert fresh.get(f"/me/applications/{app_id}/confirm").status_code == 403
    fresh.cookies.clear()
    log_in(fresh, "ent4")
    home = soup(fresh.get("/").text)
    assert home.find("h2", string="待确认：服务中心代办")
    confirm = f"/me/applications/{app_id}/confirm"
    assert home.find("a", href=confirm)
    page = check_page(fresh, confirm)
    assert "¥300,000.00" in page.get_text() and "政务服务中心（帮办）代为准备" in page.get_text()
    token = csrf_of(fresh.get(confirm).text)
    errors = soup(fresh.post(confirm, data={"csrftoken": token}).text)
    assert [a["href"] for a in errors.find(class_="govuk-error-summary").find_all("a")] == [
        "#signatory", "#accept"]
    r = fresh.post(confirm, data={"csrftoken": token, "signatory": "赵总", "accept": "yes"},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/me/applications/{app_id}"
    timeline = soup(fresh.get(r.headers["location"]).text)
    events = [(h.get_text(strip=True), h.find_next("p").get_text(strip=True).split("·")[0].strip())
              for h in timeline.select(".huiqi-timeline__title")]
    assert events == [("提交申请", "本单位"), ("代为准备，待本单位确认", "政务服务中心"),
                      ("创建申请", "政务服务中心")]
    app = fresh.get(f"/applications/{app_id}", headers=api_headers(fresh, "office")).json()
    assert (app["state"], app["ceiling"], app["commitment"]["prepared_by"],
            app["commitment"]["signed_by"]) == ("in_review", "300000.00", "helper1", "ent4")


def test_a_clerk_without_the_signing_right_sees_no_form_to_sign(fresh: TestClient) -> None:
    log_in(fresh, "ent4")
    password = add_clerk(fresh, "钱经办", "ent4.qian", "no")
    first_login(fresh, "ent4.qian", password)
    headers = {"accept": "application/json"}
    body = fresh.post("/auth/login", json={"username": "ent4.qian", "password": NEW_PASSWORD},
                      headers=headers).json()
    auth = headers | {"authorization": f"Bearer {body['token']}"}
    app = fresh.post("/applications", json={"measure": "m07.rd", "year": 2025}, headers=auth).json()
    page = check_page(fresh, f"/me/applications/{app['id']}/confirm")
    assert "您没有代表本单位签署告知承诺的权限" in page.get_text()
    assert not page.find("form", action=f"/me/applications/{app['id']}/confirm")


@pytest.mark.parametrize(("username", "path"), [
    ("helper1", "/me/people"), ("helper1", "/me/consents"), ("office", "/me/people"),
    ("ent4", "/staff/assist"), ("office", "/staff/assist"), ("ent1", "/staff/assist/4")])
def test_each_page_refuses_the_other_roles(client: TestClient, username: str, path: str) -> None:
    log_in(client, username)
    assert client.get(path).status_code == 403


def test_the_forms_refuse_a_post_without_the_token(client: TestClient) -> None:
    log_in(client, "ent4")
    for path in ("/me/people/new", "/me/consents/new", "/me/applications/1/confirm", "/staff/assist/4"):
        assert client.post(path, data={"x": "1"}).status_code == 403, path


def test_the_pages_in_english(fresh: TestClient) -> None:
    log_in(fresh, "ent4")
    fresh.get("/?lang=en")
    for path, heading in (("/me/people", "People"), ("/me/people/new", "Add a clerk"),
                          ("/me/consents", "Service centre consents")):
        page = check_page(fresh, path)
        assert page.html["lang"] == "en" and page.h1.get_text(strip=True) == heading, path
    assert PASSWORD  # the demo's password, used by log_in
