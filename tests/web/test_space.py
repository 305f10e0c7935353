"""The rest of the enterprise's space: my awards and the decision notice (核定通知书, a PDF read
back here), my payments, my organisation, a request's own page (reopen, rate), 站内信 — and
never another organisation's, whose records are not found.

Amounts by hand from the demo (``app/demo.py``): ent1's m01.new ceiling is 70% × 12,000,000.00 =
8,400,000.00, awarded 8,000,000.00 ("按区域贡献核定") and paid into 北京银行通州支行 20000010000000;
its m10 (little giant) is awarded its ceiling of 3,000,000.00. ent1's applications are the demo's
first two (ids 1 and 2), decided first and second (decisions 1 and 2).
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.web.conftest import api_headers, csrf_of, log_in, soup


def main_text(html: str) -> str:
    return soup(html).find("main").get_text(" ", strip=True)


def h1(html: str) -> str:
    return soup(html).h1.get_text(strip=True)


def today_zh() -> str:
    d = datetime.now(UTC).date()  # the demo decides as it loads
    return f"{d.year}年{d.month}月{d.day}日"


def test_my_awards_list_each_decision_with_ceiling_award_and_date(client: TestClient) -> None:
    log_in(client, "ent1")
    r = client.get("/me/awards")
    assert r.status_code == 200 and h1(r.text) == "我的奖励"
    page = soup(r.text)
    cards = page.select(".govuk-summary-card")
    assert len(cards) == 2
    text = main_text(r.text)
    for shown in ("¥8,400,000.00（840.00万元）", "¥8,000,000.00（800.00万元）", "¥3,000,000.00（300.00万元）",
                  "已兑付", "已核定", "按区域贡献核定", today_zh()):
        assert shown in text
    links = sorted(a["href"] for a in page.find_all("a", href=re.compile(r"notice\.pdf$")))
    assert links == ["/me/awards/1/notice.pdf", "/me/awards/2/notice.pdf"]
    en = client.get("/me/awards?lang=en")
    assert h1(en.text) == "My awards" and "¥8,000,000.00 (¥8.00 million)" in main_text(en.text)


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "".join(p.extract_text() for p in reader.pages).replace("\n", "")


def test_the_decision_notice_is_a_chinese_pdf_with_the_clause_and_amounts(client: TestClient) -> None:
    log_in(client, "ent1")
    r = client.get("/me/awards/1/notice.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == 'attachment; filename="HQ-2024-000001-0001.pdf"'
    assert r.content.startswith(b"%PDF")
    text = pdf_text(r.content)
    for shown in ("核定通知书", "编号：HQ-2024-000001-0001", "通州智造科技有限公司",
                  "统一社会信用代码：9111**********001D", "通政发〔2024〕8号", "第（一）条",
                  "对新增产业链头部企业最高按年度区域贡献的70%给予扶持", "2024年度",
                  "支持上限¥8,400,000.00（840.00万元）", "核定金额¥8,000,000.00（800.00万元）",
                  f"核定日期{today_zh()}", "核定理由按区域贡献核定"):
        assert shown in text, shown
    assert "91110112MA01D0001D" not in text  # the full code is never printed
    # awarded at its ceiling: no reasons row
    m10 = pdf_text(client.get("/me/awards/2/notice.pdf").content)
    assert "核定金额¥3,000,000.00（300.00万元）" in m10 and "核定理由" not in m10
    assert "HQ-2024-000002-0002" in m10 and "第（十）条" in m10


def test_another_enterprise_never_gets_a_notice_or_a_rejection_notice(client: TestClient) -> None:
    log_in(client, "ent2")
    for path in ("/me/awards/1/notice.pdf", "/me/awards/2/notice.pdf", "/me/awards/999999/notice.pdf"):
        assert client.get(path).status_code == 404
    client.cookies.clear()
    log_in(client, "ent5")  # its m01.new was rejected: listed, with no notice to download
    r = client.get("/me/awards")
    assert "未予支持" in main_text(r.text) and "不符合产业链头部企业认定范围" in main_text(r.text)
    assert not soup(r.text).find("a", href=re.compile(r"notice\.pdf$"))
    rejected = re.findall(r'href="/me/applications/(\d+)"', r.text)[0]
    assert client.get(f"/me/awards/{rejected}/notice.pdf").status_code == 404


def test_my_payments_show_the_amount_into_the_masked_account(client: TestClient) -> None:
    log_in(client, "ent1")
    r = client.get("/me/payments")
    assert r.status_code == 200 and h1(r.text) == "我的资金拨付"
    rows = soup(r.text).select("tbody tr")
    assert len(rows) == 1
    cells = [td.get_text(" ", strip=True) for td in rows[0].find_all("td")]
    assert cells[1:] == ["¥8,000,000.00", "北京银行通州支行 **********0000", today_zh(), "已到账"]
    assert "20000010000000" not in r.text
    client.cookies.clear()
    log_in(client, "ent2")
    assert "还没有拨付记录。" in main_text(client.get("/me/payments").text)


def test_my_organisation_shows_the_registry_read_only(client: TestClient) -> None:
    log_in(client, "ent1")
    r = client.get("/me/profile")
    assert r.status_code == 200 and h1(r.text) == "我的单位信息"
    text = main_text(r.text)
    for shown in ("通州智造科技有限公司", "9111**********001D", "重点企业 是",
                  "北京银行通州支行 **********0000",
                  "2024 区域贡献 ¥12,000,000.00 区税务局", "2024 研发投入 ¥25,000,000.00 区统计局",
                  "请联系产促办更正"):
        assert shown in text, shown
    main = soup(r.text).find("main")
    recognitions = [li.get_text("", strip=True) for li in main.select("ul.govuk-list--bullet li")]
    assert recognitions == ["产业链头部企业（链主）（新增）：2024年5月1日· 区产促委认定",
                            "称号（国家级，国家级专精特新“小巨人”企业）：2024年7月15日"]
    assert not main.find("form") and not main.find("input")  # nothing to edit
    assert main.find("a", href="/password")


def test_the_pages_need_an_applicant_and_come_in_english(client: TestClient) -> None:
    for path in ("/me/awards", "/me/payments", "/me/profile", "/me/notices", "/me/requests/1"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    log_in(client, "office")
    for path in ("/me/awards", "/me/payments", "/me/profile", "/me/awards/1/notice.pdf", "/me/requests/1"):
        assert client.get(path).status_code == 403, path
    client.cookies.clear()
    log_in(client, "ent1")
    for path, heading in (("/me/awards", "My awards"), ("/me/payments", "My payments"),
                          ("/me/profile", "My organisation"), ("/me/notices", "Notices"),
                          ("/me/requests/1", "新厂房用电增容")):
        r = client.get(path + "?lang=en")
        assert r.status_code == 200 and h1(r.text) == heading, path


def test_a_request_has_its_own_page_with_its_timeline(client: TestClient) -> None:
    log_in(client, "ent1")
    listing = client.get("/me/requests").text
    assert soup(listing).find("a", href="/me/requests/1")
    r = client.get("/me/requests/1")
    assert r.status_code == 200 and h1(r.text) == "新厂房用电增容"
    titles = [h.get_text(strip=True) for h in soup(r.text).select(".huiqi-timeline__title")]
    assert titles == ["部门答复", "分派承办部门", "提出诉求"]  # newest first
    by = " ".join(p.get_text(" ", strip=True) for p in soup(r.text).select(".huiqi-timeline__by"))
    assert "区经济和信息化局" in by and "econ" not in by and "office" not in by
    assert soup(r.text).find("form", action="/me/requests/1/rate")
    client.cookies.clear()
    log_in(client, "ent2")
    assert client.get("/me/requests/1").status_code == 404  # ent1's
    assert client.get("/me/requests/999999").status_code == 404
    own = soup(client.get("/me/requests").text).find("a", href=re.compile(r"^/me/requests/\d+$"))["href"]
    page = soup(client.get(own).text)
    assert not page.find("form", action=re.compile("rate|reopen"))  # not answered yet


def test_rating_an_answer_closes_the_request(fresh: TestClient) -> None:
    log_in(fresh, "ent1")
    token = csrf_of(fresh.get("/me/requests/1").text)
    assert fresh.post("/me/requests/1/rate", data={"rating": "5"}).status_code == 403  # no token
    r = fresh.post("/me/requests/1/rate", data={"csrftoken": token, "comment": "x" * 4001})
    page = soup(r.text)
    assert r.status_code == 200 and page.title.string.startswith("错误：")
    assert [a["href"] for a in page.find(class_="govuk-error-summary").find_all("a")] == [
        "#rating", "#comment"]
    r = fresh.post("/me/requests/1/rate", data={"csrftoken": token, "rating": "4", "comment": "办理及时"},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/me/requests/1?done=rated"
    text = main_text(fresh.get(r.headers["location"]).text)
    assert "这项诉求已办结" in text and "已办结" in text and "满意 · 办理及时" in text
    api = fresh.get("/requests/1", headers=api_headers(fresh, "office")).json()
    assert (api["state"], api["rating"], api["rating_comment"]) == ("closed", 4, "办理及时")
    # a second rating (an old form posted again) changes nothing and shows how it stands
    r = fresh.post("/me/requests/1/rate", data={"csrftoken": token, "rating": "1"}, follow_redirects=False)
    assert r.headers["location"] == "/me/requests/1"
    assert fresh.get("/requests/1", headers=api_headers(fresh, "office")).json()["rating"] == 4
    fresh.cookies.clear()
    log_in(fresh, "ent2")
    assert fresh.post("/me/requests/1/rate", data={"csrftoken": csrf_of(fresh.get("/me/requests").text),
                                                   "rating": "1"}).status_code == 404


def test_reopening_sends_the_request_back_with_the_reason(fresh: TestClient) -> None:
    log_in(fresh, "ent1")
    token = csrf_of(fresh.get("/me/requests/1").text)
    r = fresh.post("/me/requests/1/reopen", data={"csrftoken": token, "reason": "  "})
    assert r.status_code == 200 and "请说明答复没有解决的问题" in main_text(r.text)
    r = fresh.post("/me/requests/1/reopen", data={"csrftoken": token, "reason": "两周已过，仍未勘查"})
    text = main_text(r.text)
    assert "诉求已重新提出" in text and "办理中" in text
    titles = [h.get_text(strip=True) for h in soup(r.text).select(".huiqi-timeline__title")]
    assert titles[0] == "重新提出" and "两周已过，仍未勘查" in text
    api = fresh.get("/requests/1", headers=api_headers(fresh, "office")).json()
    assert (api["state"], api["reopened"]) == ("routed", 1)


def test_notices_unread_first_counted_in_the_header_and_marked_read(fresh: TestClient) -> None:
    log_in(fresh, "ent1")
    home = soup(fresh.get("/").text)
    nav = [a.get_text(strip=True) for a in home.select(".govuk-service-navigation a")]
    assert "站内信（2条未读）" in nav  # the payment made and the request answered
    r = fresh.get("/me/notices")
    assert h1(r.text) == "站内信"
    subjects = [h.get_text(strip=True) for h in soup(r.text).select(".govuk-summary-card__title")]
    assert set(subjects) == {"资金已拨付：壮大链主企业（新增链主）", "诉求已答复：新厂房用电增容"}
    forms = soup(r.text).find_all("form", action=re.compile(r"^/me/notices/\d+/read$"))
    assert len(forms) == 2
    first = forms[0]["action"]
    assert fresh.post(first).status_code == 403  # no CSRF token
    r = fresh.post(first, data={"csrftoken": csrf_of(r.text)}, follow_redirects=False)
    assert r.status_code == 303
    page = soup(fresh.get("/me/notices").text)
    tags = [t.get_text(strip=True) for t in page.select(".govuk-summary-card .govuk-tag")]
    assert tags == ["未读", "已读"]  # unread first
    assert "站内信（1条未读）" in page.get_text()
    en = soup(fresh.get("/me/notices?lang=en").text).get_text(" ", strip=True)
    assert "Payment made" in en and "Notices (1 unread)" in en
    # another organisation: not its notice
    fresh.cookies.clear()
    log_in(fresh, "ent2")
    token = csrf_of(fresh.get("/me/notices").text)
    assert fresh.post(first, data={"csrftoken": token}).status_code == 404
    assert "没有站内信。" in main_text(fresh.get("/me/notices").text)


def test_the_notices_api(fresh: TestClient) -> None:
    ent1, ent2 = api_headers(fresh, "ent1"), api_headers(fresh, "ent2")
    mine = fresh.get("/notices", headers=ent1).json()
    assert sorted(n["kind"] for n in mine) == ["payment_made", "request_answered"]
    assert all(n["read_at"] is None for n in mine)
    assert fresh.get("/notices", headers=ent2).json() == []
    target = mine[0]["id"]
    assert fresh.post(f"/notices/{target}/read", headers=ent2).status_code == 404
    done = fresh.post(f"/notices/{target}/read", headers=ent1).json()
    assert done["read_at"] is not None
    assert fresh.get("/notices", headers=ent1).json()[0]["read_at"] is None  # unread first


def test_the_home_page_links_to_the_space(client: TestClient) -> None:
    log_in(client, "ent1")
    links = {a["href"] for a in soup(client.get("/").text).find("main").find_all("a")}
    assert {"/me/awards", "/me/payments", "/me/notices", "/me/profile"} <= links


def test_a_talents_notice_names_the_person_by_masked_id_number() -> None:
    """A talent's housing subsidy (（二十一）), awarded 1,000,000.00 of a 1,500,000.00 ceiling."""
    from huiqi.app.applications.awards import Award, Beneficiary
    from huiqi.app.parameters.service import policy
    from huiqi.app.web import notice

    award = Award(application_id=42, measure="m21.housing", year=2025, item=None, state="awarded",
                  ceiling_fen=1_500_000_00, award_fen=1_000_000_00,
                  decided_at=datetime(2025, 3, 1, 2, tzinfo=UTC), reasons="购房合同价款的一部分",
                  on_appeal=True, decision_id=7)
    pol = policy()
    text = pdf_text(notice.render(award, Beneficiary("张伟", "110105**********2X", is_person=True),
                                  pol.texts["m21.housing"], pol.document))
    for shown in ("张伟（身份证号：110105**********2X）", "你本人2025年度", "第（二十一）条",
                  "在城市副中心购房给予最高150万元购房补贴。", "支持上限¥1,500,000.00（150.00万元）",
                  "核定金额¥1,000,000.00（100.00万元）", "核定日期2025年3月1日",
                  "核定理由购房合同价款的一部分", "本决定为复核后的决定", "HQ-2025-000042-0007"):
        assert shown in text, shown
