"""The whole journey over HTTP: apply, parallel review, decide within the ceiling, pay once, audit."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from tests.app.http import add_users, client, login
from tests.app.world import build


def test_an_enterprise_is_paid_once_and_the_auditor_verifies_the_trail(
        db_url: str, factory: sessionmaker[Session]) -> None:
    world = build(factory)
    add_users(factory, world.org_id)
    c = client(db_url)
    ent, econ, sci = login(c, "ent1"), login(c, "econ1"), login(c, "sci1")
    office, finance, auditor = login(c, "office1"), login(c, "finance1"), login(c, "auditor1")

    r = c.post("/applications", json={"measure": "m01.new", "year": 2024}, headers=ent)
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    r = c.post(f"/applications/{app_id}/submit", json={"accept_commitment": True, "signatory": "张三"},
               headers=ent)
    assert r.status_code == 200, r.text
    assert r.json()["ceiling"] == "8400000.00"  # （一）70% × 12,000,000.00

    for who in (econ, sci):  # 并联审批: both departments review the same round
        r = c.post(f"/applications/{app_id}/review", json={"approve": True}, headers=who)
        assert r.status_code == 200, r.text
    assert c.get(f"/applications/{app_id}", headers=office).json()["state"] == "approved"

    r = c.post(f"/applications/{app_id}/decision", json={"award": True, "amount": "8400000.01"},
               headers=office)
    assert r.status_code == 422 and "exceeds the ceiling 8400000.00" in r.json()["detail"]
    r = c.post(f"/applications/{app_id}/decision", json={"award": True, "amount": "8400000.00"},
               headers=office)
    assert r.status_code == 200, r.text

    r = c.post("/payments/batches", json={}, headers=finance)
    assert r.status_code == 201 and r.json()["total"] == "8400000.00", r.text
    first = c.post("/payments/run", json={}, headers=finance).json()
    retry = c.post("/payments/run", json={}, headers=finance).json()
    assert (first["paid"], retry["paid"]) == (1, 0)

    (payment,) = c.get("/payments", headers=ent).json()
    assert (payment["state"], payment["amount"], payment["payee_name"]) == (
        "paid", "8400000.00", "通州智造科技有限公司")
    assert c.get(f"/applications/{app_id}", headers=ent).json()["state"] == "paid"
    budgets = c.get("/budgets?year=2024", headers=auditor).json()["lines"]
    assert budgets == [{"measure": "m01.new", "year": 2024, "budget": "20000000.00",
                        "committed": "8400000.00", "paid": "8400000.00", "remaining": "11600000.00",
                        "unpaid": "0.00", "consistent": True}]

    check = c.get("/audit/verify", headers=auditor).json()
    assert check["ok"] and check["broken"] == []
    assert c.post("/payments/run", json={}, headers=auditor).status_code == 403
