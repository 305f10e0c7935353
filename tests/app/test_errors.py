"""No input makes a 500 (issue 10, finding 4), and every error answers in one shape."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.api.guard import Hostile, inspect_json
from huiqi.engine.params import ParamError, coerce
from huiqi.engine.params import Unit as ParamUnit
from tests.app.http import add_users, client, login
from tests.app.world import build

SHAPE = {"detail", "code", "field", "message", "message_en", "message_zh"}


def raw(c: TestClient, method: str, path: str, text: str, **headers: str) -> tuple[int, dict[str, object],
                                                                                   bytes]:
    """Send ``text`` as the JSON body exactly as written (escapes included)."""
    r = c.request(method, path, content=text.encode("utf-8"),
                  headers={"Content-Type": "application/json", **headers})
    return r.status_code, r.json(), r.content


def staff(db_url: str, factory: sessionmaker[Session]) -> TestClient:
    world = build(factory)
    add_users(factory, world.org_id)
    return client(db_url)


def test_a_lone_surrogate_in_the_login_user_name_is_refused_without_echoing_it(db_url: str) -> None:
    status, body, content = raw(client(db_url), "POST", "/auth/login",
                                '{"username": "ad\\ud800min", "password": "x"}')
    assert status == 422
    assert body["field"] == "body.username" and body["code"] == "invalid"
    assert b"\\ud800" not in content and "\ud800" not in content.decode("utf-8")


def test_a_lone_surrogate_in_a_request_subject_is_refused(db_url: str,
                                                          factory: sessionmaker[Session]) -> None:
    c = staff(db_url, factory)
    status, body, _ = raw(c, "POST", "/requests",
                          '{"kind": "complaint", "subject": "\\udfff", "body": "路"}', **login(c, "ent1"))
    assert (status, body["field"]) == (422, "body.subject")


def test_an_amount_of_1e400_on_a_budget_is_refused_naming_the_field(db_url: str,
                                                                    factory: sessionmaker[Session]) -> None:
    c = staff(db_url, factory)
    status, body, _ = raw(c, "PUT", "/budgets/m01.new/2024", '{"amount": 1e400}', **login(c, "finance1"))
    assert (status, body["field"], body["code"]) == (422, "body.amount", "invalid")
    assert "finite" in str(body["detail"])


@pytest.mark.parametrize("spelling", ["NaN", "Infinity", "-Infinity", "-1e400"])
def test_json_constants_that_are_not_finite_numbers_are_refused(db_url: str, spelling: str,
                                                                factory: sessionmaker[Session]) -> None:
    c = staff(db_url, factory)
    status, body, _ = raw(c, "PUT", "/budgets/m01.new/2024", f'{{"amount": {spelling}}}',
                          **login(c, "finance1"))
    assert (status, body["field"]) == (422, "body.amount")


def test_minus_zero_is_an_ordinary_zero() -> None:
    inspect_json(b'{"amount": -0.0, "n": -0}', max_depth=8)  # finite: no refusal


def test_a_nul_character_deep_in_a_list_is_named_by_its_path() -> None:
    with pytest.raises(Hostile) as caught:
        inspect_json(b'{"beneficiaries": [{"id": "a"}, {"id": "b\\u0000"}]}', max_depth=8)
    assert caught.value.field == "body.beneficiaries.1.id"


def test_of_several_unstorable_texts_the_first_in_reading_order_is_named() -> None:
    with pytest.raises(Hostile) as caught:
        inspect_json(b'{"a": ["ok", "\\ud800"], "b": "\\u0000"}', max_depth=8)
    assert caught.value.field == "body.a.1"


def test_nesting_beyond_the_limit_is_refused_and_within_passes() -> None:
    inspect_json(b"[" * 8 + b"]" * 8, max_depth=8)
    with pytest.raises(Hostile):
        inspect_json(b"[" * 9 + b"]" * 9, max_depth=8)
    with pytest.raises(Hostile):
        inspect_json(b"[" * 200_000, max_depth=8)  # beyond the interpreter's recursion too


@pytest.mark.parametrize("text", ["Infinity", "NaN", "1e400", "-inf", "sNaN"])
def test_an_administrative_parameter_refuses_numbers_that_are_not_finite(text: str) -> None:
    with pytest.raises(ParamError, match="finite"):
        coerce("m01.rate", ParamUnit.RATIO, text)


def test_an_administrative_parameter_refuses_an_absurd_magnitude() -> None:
    with pytest.raises(ParamError, match="below 10"):
        coerce("m09.amount", ParamUnit.YUAN, "1e999999")
    assert coerce("m09.amount", ParamUnit.YUAN, "300000.00") == Decimal("300000.00")


def test_a_validation_error_has_the_one_shape_with_every_problem_listed(db_url: str) -> None:
    r = client(db_url).post("/auth/login", json={"username": "", "extra": 1})
    assert r.status_code == 422
    body = r.json()
    assert set(body) >= SHAPE and body["code"] == "invalid"
    assert [e["field"] for e in body["errors"]] == ["body.username", "body.password", "body.extra"]
    assert body["field"] == "body.username"
    assert body["detail"] == "body.username: String should have at least 1 character"
    assert body["message_zh"] == "body.username：太短（至少 1 个字符）"
    assert all("input" not in e for e in body["errors"])  # nothing the client sent is echoed


def test_the_message_follows_accept_language_and_defaults_to_chinese(db_url: str) -> None:
    c = client(db_url)
    login_body = {"username": "nobody", "password": "wrong"}
    zh = c.post("/auth/login", json=login_body).json()
    en = c.post("/auth/login", json=login_body, headers={"Accept-Language": "en-GB,zh;q=0.5"}).json()
    preferring_zh = c.post("/auth/login", json=login_body,
                           headers={"Accept-Language": "en;q=0.3, zh-CN"}).json()
    assert en["message"] == en["message_en"] == en["detail"]
    assert zh["message"] == zh["message_zh"] == preferring_zh["message"]
    assert zh["code"] == "unauthorised" and zh["message_zh"].startswith("请先登录")


def test_a_domain_error_names_the_field_its_message_starts_with(db_url: str,
                                                               factory: sessionmaker[Session]) -> None:
    c = staff(db_url, factory)
    r = c.put("/parameters/m01.nothing", json={"value": "0.5", "effective_from": "2025-01-01",
                                               "reference": "产促办〔2025〕1号"}, headers=login(c, "office1"))
    assert r.status_code == 404
    assert (r.json()["code"], r.json()["field"]) == ("not_found", "name")


def test_an_unknown_route_and_a_wrong_method_answer_in_the_shape(db_url: str) -> None:
    c = client(db_url)
    missing, wrong = c.get("/nowhere"), c.delete("/measures")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert (wrong.status_code, wrong.json()["code"]) == (405, "method_not_allowed")
    assert set(missing.json()) >= SHAPE and set(wrong.json()) >= SHAPE
