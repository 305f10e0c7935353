"""The pages as a browser gets them: status, language, one h1, labelled fields, local assets only,
no inline script or style, CSRF on every form, login and logout with the cookie session."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from huiqi.app.web import STATIC
from tests.web.conftest import HTML, api_headers, csrf_of, log_in, soup

# every public page, and one of each kind the calculator shows (sitemap for the checks below)
PUBLIC = ["/", "/login", "/policies", "/policies?q=贷款&who=enterprise", "/policies/m05",
          "/policies/m22.interest", "/policies/m04", "/policies/m12", "/calculator",
          "/calculator?measure=m05"]


def vendored() -> set[str]:
    """Files listed in static/vendor/VERSIONS (package⇥version⇥licence⇥files)."""
    out = set()
    for line in (STATIC / "vendor" / "VERSIONS").read_text(encoding="utf-8").splitlines():
        package, version, licence, files = line.split("\t")
        assert package and version and licence
        out |= {f"/static/vendor/{f}" for f in files.split()}
    return out


def check_page(client: TestClient, path: str) -> BeautifulSoup:
    r = client.get(path)
    assert r.status_code == 200, path
    assert r.headers["content-type"].startswith("text/html")
    page = soup(r.text)
    assert len(page.find_all("h1")) == 1 or page.find("legend", class_="govuk-fieldset__legend--l"), path
    assert page.title and page.title.string and page.title.string.strip(), path
    # the skip link comes first and leads to main
    first_link = page.body.find("a")
    assert first_link["href"] == "#main-content" and page.find("main", id="main-content")
    # every visible field has a label, or sits in a fieldset with a legend (radios)
    for field in page.find_all(["input", "select", "textarea"]):
        if field.get("type") in ("hidden", "submit"):
            continue
        labelled = page.find("label", attrs={"for": field.get("id")})
        assert labelled, f"{path}: field {field.get('name')} has no label"
    # nothing external, nothing inline, every asset listed or our own
    allowed = vendored() | {"/static/css/huiqi.css", "/static/js/huiqi.mjs", "/static/img/favicon.svg"}
    for tag in page.find_all("script"):
        assert tag.get("src") in allowed, f"{path}: script {tag.get('src')!r} is inline or not vendored"
    for tag in page.find_all("link"):
        assert tag.get("href") in allowed, f"{path}: link {tag.get('href')!r} is not local or listed"
    for tag in page.find_all(True):
        assert "style" not in tag.attrs, f"{path}: inline style on <{tag.name}>"
        assert not [a for a in tag.attrs if a.startswith("on")], f"{path}: inline handler on <{tag.name}>"
        assert tag.name != "style", f"{path}: <style> element"
    # every POST form carries the CSRF token
    for form in page.find_all("form"):
        if form.get("method", "get").lower() == "post":
            assert form.find("input", attrs={"name": "csrftoken"}), f"{path}: POST form without token"
        assert "novalidate" in form.attrs
    return page


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_in_chinese(client: TestClient, path: str) -> None:
    page = check_page(client, path)
    assert page.html["lang"] == "zh-CN"


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_in_english(client: TestClient, path: str) -> None:
    sep = "&" if "?" in path else "?"
    page = check_page(client, f"{path}{sep}lang=en")
    assert page.html["lang"] == "en"
    # the switch back is marked as Chinese
    assert page.find("a", attrs={"hreflang": "zh-CN"}).get_text(strip=True) == "中文"


def test_vendored_assets_are_served_and_listed(client: TestClient) -> None:
    for path in vendored() | {"/static/css/huiqi.css", "/static/js/huiqi.mjs"}:
        r = client.get(path)
        assert r.status_code == 200 and r.content, path
    css = (STATIC / "vendor" / "govuk-frontend" / "govuk-frontend.min.css").read_text(encoding="utf-8")
    assert "GDS Transport" not in css and "@font-face" not in css
    assert "Noto Sans CJK SC" in css
    for name in Path(STATIC, "vendor").rglob("*"):
        assert "crest" not in name.name and "logotype" not in name.name
        assert not name.suffix.startswith(".woff")


def test_home_is_chinese_and_starts_the_calculator(client: TestClient) -> None:
    page = soup(client.get("/").text)
    assert page.h1.get_text(strip=True) == "惠企：通州区产业扶持政策一网通查"
    start = page.find("a", class_="govuk-button--start")
    assert "开始测算" in start.get_text() and start["href"] == "/calculator"
    assert page.find("a", attrs={"hreflang": "en"}).get_text(strip=True) == "English"


def test_language_is_remembered_in_a_cookie(client: TestClient) -> None:
    r = client.get("/?lang=en")
    assert "lang=en" in r.headers["set-cookie"]
    page = soup(client.get("/policies").text)
    assert page.html["lang"] == "en" and page.h1.get_text(strip=True) == "Policy library"
    assert soup(client.get("/policies?lang=zh").text).h1.get_text(strip=True) == "政策库"


def test_high_contrast_is_a_cookie_and_a_class_independent_of_senior_mode(client: TestClient) -> None:
    r = client.get("/mode?contrast=1&next=/policies", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/policies"
    client.get("/mode?senior=1")
    classes = soup(client.get("/policies").text).html["class"]
    assert "huiqi-contrast" in classes and "huiqi-senior" in classes
    client.get("/mode?contrast=0")
    classes = soup(client.get("/").text).html["class"]
    assert "huiqi-contrast" not in classes and "huiqi-senior" in classes
    link = soup(client.get("/").text).find("a", string="高对比度")
    assert link and link["href"].startswith("/mode?contrast=1")


def test_senior_mode_is_a_cookie_and_a_class(client: TestClient) -> None:
    r = client.get("/mode?senior=1&next=/policies", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/policies"
    assert "huiqi-senior" in soup(client.get("/policies").text).html["class"]
    client.get("/mode?senior=0&next=//evil.example")
    assert "huiqi-senior" not in soup(client.get("/").text).html["class"]
    assert client.get("/mode?next=//evil.example", follow_redirects=False).headers["location"] == "/"


def test_the_library_search_filters_by_keyword_and_by_who(client: TestClient) -> None:
    page = soup(client.get("/policies?q=贷款").text)
    links = {a["href"] for a in page.select("#results a")}
    assert {"/policies/m22.interest", "/policies/m22.guarantee", "/policies/m22.risk"} <= links
    assert "/policies/m01.new" not in links
    page = soup(client.get("/policies?who=bank").text)
    links = {a["href"] for a in page.select("#results a")}
    assert "/policies/m26" in links and "/policies/m22.risk" in links and "/policies/m01.new" not in links


def test_the_library_answers_htmx_with_the_results_block_only(client: TestClient) -> None:
    r = client.get("/policies?q=人才", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text and 'id="results"' in r.text
    assert "HX-Request" in r.headers["vary"]
    assert "HX-Request" in client.get("/policies").headers["vary"]


def test_a_measure_page_quotes_the_clause_and_its_worked_example(client: TestClient) -> None:
    page = soup(client.get("/policies/m22.interest").text)
    quote = page.find("blockquote", attrs={"lang": "zh-CN"})
    assert quote.get_text(strip=True) == "对符合条件的中小微企业首次贷款业务给予1%的利息补贴"
    text = page.get_text(" ", strip=True)
    # examples/sme-first-loan.yaml: 1% × 5,000,000 × 245 days ÷ 366 = 33,469.945… → 33,469.95
    assert "¥33,469.95" in text and "3.35万元" in text
    assert "2024年2月26日" in text  # the rate is in force since the notice took effect
    english = soup(client.get("/policies/m22.interest?lang=en").text)
    translation = english.find("blockquote", attrs={"lang": "en"}).get_text(strip=True)
    assert translation.startswith("For the first loan")
    assert "26 February 2024" in english.get_text(" ", strip=True)


def test_a_placeholder_parameter_is_flagged(client: TestClient) -> None:
    page = soup(client.get("/policies/m04").text)
    assert "待核定" in [t.get_text(strip=True) for t in page.select("strong.govuk-tag")]


def test_an_unknown_page_is_a_404_page_and_the_api_keeps_json(client: TestClient) -> None:
    r = client.get("/policies/m99")
    assert r.status_code == 404 and soup(r.text).h1.get_text(strip=True) == "找不到页面"
    r = client.get("/logout")
    assert r.status_code == 405 and soup(r.text).h1.get_text(strip=True) == "找不到页面"
    r = client.get("/nowhere", headers={"accept": "application/json"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"  # the API's one error shape
    r = client.get("/applications", headers={"accept": "application/json"})
    assert r.status_code == 401 and "detail" in r.json()


def test_a_post_without_the_csrf_token_is_refused(client: TestClient) -> None:
    data = {"username": "ent1", "password": "huiqi-demo-2024"}
    assert client.post("/login", data=data).status_code == 403  # no cookie at all
    token = csrf_of(client.get("/login").text)
    assert client.post("/login", data=data).status_code == 403  # cookie, but no field
    assert client.post("/login", data=data, headers={"HX-Request": "true"}).status_code == 403
    assert client.post("/logout").status_code == 403
    ok = client.post("/login", data=data | {"csrftoken": token}, follow_redirects=False)
    assert ok.status_code == 303
    # htmx sends the token in the x-csrftoken header (from hx-headers on <body>)
    assert client.post("/logout", headers={"x-csrftoken": token, "HX-Request": "true"},
                       follow_redirects=False).status_code == 303


def test_the_api_is_not_subject_to_the_pages_csrf(client: TestClient) -> None:
    client.get("/login")  # the browser now holds the CSRF cookie
    r = client.post("/auth/login", json={"username": "office", "password": "huiqi-demo-2024"},
                    headers={"accept": "application/json"})
    assert r.status_code == 200 and r.json()["token"]


def test_login_errors_are_shown_on_the_page(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": "", "password": "", "csrftoken": token})
    page = soup(r.text)
    assert r.status_code == 200 and page.title.string.startswith("错误：")
    summary = page.find(class_="govuk-error-summary")
    assert [a["href"] for a in summary.find_all("a")] == ["#username", "#password"]
    assert "请输入用户名" in page.find(id="username-error").get_text()
    r = client.post("/login", data={"username": "ent1", "password": "wrong-password", "csrftoken": token})
    assert "用户名或密码不正确" in soup(r.text).find(class_="govuk-error-summary").get_text()


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(demo_app: object) -> None:
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        with TestClient(demo_app, base_url=base, headers=HTML) as c:  # type: ignore[arg-type]
            token = csrf_of(c.get("/login").text)
            r = c.post("/login", data={"username": "ent1", "password": "huiqi-demo-2024",
                                       "csrftoken": token}, follow_redirects=False)
            cookie = next(v for k, v in r.headers.multi_items()
                          if k == "set-cookie" and v.startswith("huiqi_session="))
            assert "HttpOnly" in cookie and "SameSite=lax" in cookie
            assert ("Secure" in cookie) is secure


def test_an_enterprise_lands_on_its_own_space(client: TestClient) -> None:
    log_in(client, "ent1")
    page = soup(client.get("/").text)
    assert page.h1.get_text(strip=True) == "企业专属空间"
    caption = page.find(class_="govuk-caption-l").get_text(strip=True)
    assert "*" in caption  # the USCC is masked
    assert page.find("h2", string="我的申请")


@pytest.mark.parametrize(("username", "first_queue"), [
    ("office", "待核定的申请（含复核）"), ("econ", "待审核的申请"), ("finance", "已核定待兑付的申请"),
    ("auditor", "待审核的申请"),
])
def test_staff_land_on_their_role_home_with_their_queues(client: TestClient, username: str,
                                                         first_queue: str) -> None:
    log_in(client, username)
    page = soup(client.get("/").text)
    assert page.h1.get_text(strip=True) == "工作台"
    keys = [dt.get_text(strip=True) for dt in page.select(".govuk-summary-list__key")]
    assert keys[0] == first_queue


@pytest.mark.parametrize(("username", "role"), [
    ("econ", "审核部门 · 区经济和信息化局"), ("security", "安全管理员"), ("auditadmin", "审计管理员")])
def test_staff_pages_name_the_role_and_list_what_it_can_open(client: TestClient, username: str,
                                                             role: str) -> None:
    log_in(client, username)
    page = soup(client.get("/").text)
    assert page.find(class_="govuk-caption-l").get_text(strip=True) == role
    nav = page.find("nav", attrs={"aria-labelledby": "staff-nav-heading"})
    assert [a["href"] for a in nav.find_all("a")][:2] == ["/", "/policies"]
    assert nav.find("a", attrs={"aria-current": "page"})["href"] == "/"


def test_the_office_queue_counts_agree_with_the_api(client: TestClient) -> None:
    bearer = api_headers(client, "office")
    approved = len(client.get("/applications?state=approved", headers=bearer).json())
    appealed = len(client.get("/applications?state=appealed", headers=bearer).json())
    log_in(client, "office")
    page = soup(client.get("/").text)
    value = page.select(".govuk-summary-list__value")[0].get_text(" ", strip=True)
    assert value.startswith(f"{approved + appealed} 件")


def test_logout_revokes_the_session(client: TestClient) -> None:
    log_in(client, "ent1")
    token = csrf_of(client.get("/").text)
    session = client.cookies.get("huiqi_session")
    r = client.post("/logout", data={"csrftoken": token}, follow_redirects=False)
    assert r.status_code == 303 and 'huiqi_session=""' in r.headers["set-cookie"]
    assert soup(client.get("/").text).h1.get_text(strip=True) == "惠企：通州区产业扶持政策一网通查"
    me = client.get("/auth/me", headers={"authorization": f"Bearer {session}", "accept": "application/json"})
    assert me.status_code == 401
