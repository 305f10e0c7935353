"""The applicant's own space: matches, offers (confirmed with the registered account, nothing
re-typed), applications with their timelines — and never another organisation's."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.conftest import api_headers, csrf_of, log_in, soup


def offer_link(client: TestClient) -> str:
    page = soup(client.get("/").text)
    links = [a["href"] for a in page.find_all("a", href=re.compile(r"^/me/offers/\d+$"))]
    assert links, "ent5 has an open offer in the demo"
    return links[0]


def test_an_enterprise_confirms_an_offer_into_its_registered_account(fresh: TestClient) -> None:
    log_in(fresh, "ent5")
    link = offer_link(fresh)
    html = fresh.get(link).text
    page = soup(html)
    text = page.get_text(" ", strip=True)
    assert "宋庄文旅科技有限公司" in text and "北京银行通州支行 **********0004" in text  # pre-filled, masked
    assert page.find(class_="govuk-notification-banner")  # the deadline
    token = csrf_of(html)
    # nothing chosen: the errors, on the same page, with 200 for htmx
    r = fresh.post(link, data={"csrftoken": token})
    errors = soup(r.text)
    assert r.status_code == 200 and errors.title.string.startswith("错误：")
    assert [a["href"] for a in errors.find(class_="govuk-error-summary").find_all("a")] == [
        "#willing", "#signatory"]
    # check answers, then confirm
    r = fresh.post(link, data={"csrftoken": token, "willing": "yes", "signatory": "王经理"})
    check = soup(r.text)
    assert check.h1.get_text(strip=True) == "确认您的选择"
    assert "**********0004" in check.get_text()
    r = fresh.post(f"{link}/confirm", data={"csrftoken": token, "willing": "yes", "signatory": "王经理"},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{link}/done"
    done = soup(fresh.get(r.headers["location"]).text)
    assert done.h1.get_text(strip=True) == "已确认领取"
    # the offer now awaits the office's decision, to be paid into the registered account
    offer_id = int(link.rsplit("/", 1)[1])
    app = fresh.get(f"/applications/{offer_id}", headers=api_headers(fresh, "office")).json()
    assert app["state"] == "approved"
    timeline = soup(fresh.get(f"/me/applications/{offer_id}").text)
    titles = [h.get_text(strip=True) for h in timeline.select(".huiqi-timeline__title")]
    assert titles[0] == "确认领取"  # newest first
    # a second confirmation is refused: the form is gone
    again = soup(fresh.get(link).text)
    assert not again.find("form", action=link)


def test_an_enterprise_may_decline_an_offer(fresh: TestClient) -> None:
    log_in(fresh, "ent5")
    link = offer_link(fresh)
    token = csrf_of(fresh.get(link).text)
    form = {"csrftoken": token, "willing": "no", "signatory": "王经理", "reason": "已享受市级同类支持"}
    check = soup(fresh.post(link, data=form).text)  # check answers repeats the reason
    assert "已享受市级同类支持" in check.find(class_="govuk-summary-list").get_text()
    too_long = soup(fresh.post(link, data=form | {"reason": "原" * 501}).text)
    assert too_long.find(class_="govuk-error-summary").find("a")["href"] == "#reason"
    r = fresh.post(f"{link}/confirm", data=form)
    assert soup(r.text).h1.get_text(strip=True) == "已提交"
    offer_id = int(link.rsplit("/", 1)[1])
    office = api_headers(fresh, "office")
    app = fresh.get(f"/applications/{offer_id}", headers=office).json()
    assert app["state"] == "withdrawn"
    assert app["steps"][-1]["note"] == "offer declined by 王经理: 已享受市级同类支持"


def test_an_enterprise_never_sees_another_organisations_records(client: TestClient) -> None:
    log_in(client, "ent5")
    link = offer_link(client)
    mine = re.findall(r'href="/me/applications/(\d+)"', client.get("/").text)
    client.cookies.clear()
    log_in(client, "ent1")
    theirs = re.findall(r'href="/me/applications/(\d+)"', client.get("/").text)
    assert theirs and not set(theirs) & set(mine)
    assert client.get(link).status_code == 403
    assert soup(client.get(link).text).h1.get_text(strip=True) == "无权访问此页面"
    for other in mine:
        assert client.get(f"/me/applications/{other}").status_code == 403
    assert client.get(f"/me/applications/{theirs[0]}").status_code == 200
    assert client.get("/me/applications/999999").status_code == 404


def test_the_enterprise_pages_need_an_applicant(client: TestClient) -> None:
    r = client.get("/me/applications/1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fme%2Fapplications%2F1"
    log_in(client, "office")
    assert client.get("/me/applications/1").status_code == 403


def test_the_timeline_names_roles_never_people(client: TestClient) -> None:
    log_in(client, "ent1")
    first = re.findall(r'href="/me/applications/(\d+)"', client.get("/").text)[0]
    page = soup(client.get(f"/me/applications/{first}").text)
    by = " ".join(p.get_text(" ", strip=True) for p in page.select(".huiqi-timeline__by"))
    for username in ("ent1", "econ", "sci", "fin", "office", "finance"):
        assert username not in by
    assert page.find("time")["datetime"]


def test_an_enterprise_files_a_request_and_follows_it(fresh: TestClient) -> None:
    log_in(fresh, "ent2")
    html = fresh.get("/me/requests/new").text
    token = csrf_of(html)
    r = fresh.post("/me/requests/new", data={"csrftoken": token, "kind": "", "subject": " ", "body": ""})
    page = soup(r.text)
    assert r.status_code == 200 and page.title.string.startswith("错误：")
    assert [a["href"] for a in page.find(class_="govuk-error-summary").find_all("a")] == [
        "#kind", "#subject", "#body"]
    r = fresh.post("/me/requests/new", data={"csrftoken": token, "kind": "request",
                                             "subject": "厂房租金补贴咨询", "body": "请问（十七）如何申报？"},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/me/requests?filed=")
    page = soup(fresh.get(r.headers["location"]).text)
    filed = r.headers["location"].split("=")[1]
    assert f"您的诉求已提交，编号 {filed}。" in page.find(class_="govuk-notification-banner").get_text()
    assert page.find("h2", string=re.compile("厂房租金补贴咨询"))
    # the office sees it, waiting to be routed
    opened = fresh.get("/requests?state=open", headers=api_headers(fresh, "office")).json()
    assert any(x["id"] == int(filed) and x["subject"] == "厂房租金补贴咨询" for x in opened)
    fresh.cookies.clear()
    log_in(fresh, "office")
    assert fresh.get("/me/requests").status_code == 403
