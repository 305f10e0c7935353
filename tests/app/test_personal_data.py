"""Issue 10, finding 12: ID numbers and account numbers are sealed at rest, found by a keyed hash,
masked in every answer, and revealed only where a role needs them — each reveal audited."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app import vault
from huiqi.app.audit.models import AuditEntry
from huiqi.app.budget import payments
from huiqi.app.budget.bank import LocalBank
from huiqi.app.db import alembic_config, make_engine, sessions, transaction, upgrade
from huiqi.app.errors import Conflict
from huiqi.app.registry import personal
from huiqi.app.registry import service as registry
from huiqi.app.registry.schemas import BankAccount, PersonIn
from tests.app.http import add_users, client, login
from tests.app.world import FINANCE, OFFICE, approve, award, build, submit

ID_NUMBER = "11010519491231002X"
ACCOUNT = "62220000111122223"
ORG_ACCOUNT = "20000012345678"  # the world's chain leader's


def talent(factory: sessionmaker[Session]) -> int:
    with transaction(factory) as s:
        return registry.create_person(s, actor=OFFICE, data=PersonIn(
            name="张伟", id_number=ID_NUMBER,
            bank_account=BankAccount(bank_name="北京银行", account_no=ACCOUNT, account_name="张伟"))).id


def dump(engine: Engine) -> str:
    """Every row of every table, as plain SQL reads it (the simulated bank's own table aside: the
    bank receives the full number)."""
    with engine.connect() as c:
        tables = [t for (t,) in c.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'table'" if engine.dialect.name == "sqlite"
            else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))]
        return "\n".join(str(row) for t in tables if t != "bank_transfers"
                         for row in c.execute(text(f"SELECT * FROM {t}")))


def test_no_table_holds_a_clear_id_number_or_account_number(factory: sessionmaker[Session],
                                                             engine: Engine) -> None:
    world = build(factory)
    talent(factory)
    app_id = submit(world)
    approve(world, app_id)
    award(world, app_id, 840_000_000)
    with transaction(factory) as s:
        payments.create_batch(s, actor=FINANCE)
    assert payments.run(factory, LocalBank(engine), actor=FINANCE).paid == 1
    rows = dump(engine)
    for clear in (ID_NUMBER, ACCOUNT, ORG_ACCOUNT):
        assert clear not in rows
    assert "enc1:" in rows and "110105********002X" in rows and "**********5678" in rows


def test_a_person_is_found_by_id_number_and_registered_once(factory: sessionmaker[Session]) -> None:
    pid = talent(factory)
    with transaction(factory) as s:
        found = personal.person_by_id_number(s, ID_NUMBER)
        assert found is not None and found.id == pid
        assert personal.person_by_id_number(s, "110105194912310021") is None
    with pytest.raises(Conflict, match="id_number"), transaction(factory) as s:
        registry.create_person(s, actor=OFFICE, data=PersonIn(name="张伟", id_number=ID_NUMBER))


def test_the_office_finds_a_person_by_id_number_over_http(db_url: str,
                                                        factory: sessionmaker[Session]) -> None:
    world = build(factory)
    pid = talent(factory)
    add_users(factory, world.org_id)
    c = client(db_url)
    office = login(c, "office1")
    r = c.post("/persons/lookup", headers=office, json={"id_number": ID_NUMBER.lower()})
    assert r.status_code == 200
    assert (r.json()["id"], r.json()["id_number"]) == (pid, "110105********002X")
    assert c.post("/persons/lookup", headers=office,
                  json={"id_number": "110105194912310021"}).status_code == 404


def test_answers_mask_id_numbers_and_account_numbers(db_url: str, factory: sessionmaker[Session]) -> None:
    world = build(factory)
    pid = talent(factory)
    add_users(factory, world.org_id)
    c = client(db_url)
    office = login(c, "office1")
    person = c.get(f"/persons/{pid}", headers=office).json()
    assert person["id_number"] == "110105********002X"
    assert person["bank_account"]["account_no"] == "*************2223"
    org = c.get(f"/organisations/{world.org_id}", headers=login(c, "ent1")).json()
    assert org["bank_account"]["account_no"] == "**********5678"
    assert ORG_ACCOUNT not in c.get("/organisations", headers=office).text


def test_the_office_reads_a_full_id_number_and_the_read_is_audited(
        db_url: str, factory: sessionmaker[Session]) -> None:
    world = build(factory)
    pid = talent(factory)
    add_users(factory, world.org_id)
    c = client(db_url)
    r = c.post(f"/persons/{pid}/identity", headers=login(c, "office1"))
    assert r.status_code == 200 and r.json()["id_number"] == ID_NUMBER
    assert c.post(f"/persons/{pid}/identity", headers=login(c, "finance1")).status_code == 403
    with factory() as s:
        (read,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data.read"))
    assert (read.actor, read.entity, read.entity_id, read.after) == (
        "office1", "person", str(pid), {"field": "id_number", "purpose": "identity verification"})


def test_reading_a_talents_record_is_audited(db_url: str, factory: sessionmaker[Session]) -> None:
    world = build(factory)
    pid = talent(factory)
    add_users(factory, world.org_id)
    c = client(db_url)
    assert c.get(f"/persons/{pid}", headers=login(c, "auditor1")).status_code == 200
    with factory() as s:
        (read,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data.read"))
    assert (read.actor, read.entity, read.entity_id, read.after["field"]) == (
        "auditor1", "person", str(pid), "talent_record")


def test_each_payment_instruction_reads_the_account_once_and_says_so(
        factory: sessionmaker[Session], engine: Engine) -> None:
    world = build(factory)
    app_id = submit(world)
    approve(world, app_id)
    award(world, app_id, 840_000_000)
    with transaction(factory) as s:
        batch = payments.create_batch(s, actor=FINANCE).batch
        assert batch is not None
        (p,) = payments.listing(s, actor=FINANCE)
        assert payments.payment_json(p)["account_no"] == "**********5678"
    assert payments.run(factory, LocalBank(engine), actor=FINANCE).paid == 1
    with factory() as s:
        reads = s.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data.read")).all()
        sent = s.execute(text("SELECT account_no FROM bank_transfers")).scalar_one()
    assert [(r.entity, r.after["purpose"]) for r in reads] == [
        ("payment", "payment instruction to the bank")]
    assert sent == ORG_ACCOUNT  # the bank receives the full number


def test_the_demo_key_is_a_private_file_beside_the_sqlite_database(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HUIQI_DATA_KEY", "HUIQI_DATA_KEY_FILE", "HUIQI_KEY_DIR"):
        monkeypatch.delenv(name, raising=False)
    ring = vault.keyring(str(tmp_path / "huiqi.db"))
    key_file = tmp_path / "keys" / "data.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert vault.keyring(str(tmp_path / "huiqi.db")) == ring
    with pytest.raises(vault.KeyMissing, match="HUIQI_DATA_KEY"):
        vault.keyring(None)  # a server database: no generated default


def test_a_rotated_key_still_opens_and_finds_what_the_old_key_sealed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = vault.new_key_line("k1"), vault.new_key_line("k2")
    monkeypatch.setenv("HUIQI_DATA_KEY", old)
    sealed = vault.keyring(None).seal(ID_NUMBER, "id_number")
    hashed = vault.keyring(None).lookup(ID_NUMBER, "id_number")
    monkeypatch.setenv("HUIQI_DATA_KEY", f"{new},{old}")  # the new key first: it seals from now on
    ring = vault.keyring(None)
    assert ring.open(sealed, "id_number") == ID_NUMBER
    assert hashed in ring.lookups(ID_NUMBER, "id_number")
    assert ring.seal(ID_NUMBER, "id_number").split(":")[2] == "k2"


def test_a_sealed_value_is_bound_to_its_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIQI_DATA_KEY", vault.new_key_line("k1"))
    ring = vault.keyring(None)
    with pytest.raises(vault.KeyMissing):
        ring.open(ring.seal(ACCOUNT, "account_no"), "id_number")


@pytest.mark.skipif(not vault.SM4, reason="this cryptography build has no SM4-GCM")
def test_sm4_is_used_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIQI_DATA_KEY", vault.new_key_line("k1"))
    monkeypatch.setenv("HUIQI_DATA_CIPHER", "sm4")
    ring = vault.keyring(None)
    sealed = ring.seal(ID_NUMBER, "id_number")
    assert sealed.startswith("enc1:sm4:k1:") and ring.open(sealed, "id_number") == ID_NUMBER
    monkeypatch.setenv("HUIQI_DATA_CIPHER", "aes")
    assert vault.keyring(None).open(sealed, "id_number") == ID_NUMBER  # the value says its cipher


def test_migration_0005_seals_the_clear_values_already_stored_and_unseals_them_on_downgrade(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    raw = create_engine(url)
    with raw.begin() as c:
        c.execute(text("INSERT INTO organisations (id, uscc, name, kind, one_matter, key_enterprise, "
                       "fits_industry_positioning, bank_name, account_no, account_name, created_at) "
                       "VALUES (1, '91110112MA01E00015', '甲', 'enterprise', 0, 0, 0, '北京银行', "
                       f"'{ORG_ACCOUNT}', '甲', '2025-01-01 00:00:00')"))
        c.execute(text("INSERT INTO persons (id, name, id_number, created_at) "
                       f"VALUES (1, '张伟', '{ID_NUMBER}', '2025-01-01 00:00:00')"))
    raw.dispose()
    upgrade(url)
    engine = make_engine(url)
    assert ID_NUMBER not in dump(engine) and ORG_ACCOUNT not in dump(engine)
    with sessions(engine)() as s:
        found = personal.person_by_id_number(s, ID_NUMBER)
        assert found is not None and found.id_number_masked == "110105********002X"
        org = registry.get_org(s, actor=OFFICE, org_id=1)
        assert org.account_no_masked == "**********5678"
        assert vault.of(s).open(org.account_no_enc or "", "account_no") == ORG_ACCOUNT
    engine.dispose()
    command.downgrade(alembic_config(url), "0001")  # and back: the clear values return
    with create_engine(url).connect() as c:
        assert c.execute(text("SELECT id_number FROM persons")).scalar_one() == ID_NUMBER
        assert c.execute(text("SELECT account_no FROM organisations")).scalar_one() == ORG_ACCOUNT


def test_after_a_rotation_rekey_reseals_everything_so_the_old_key_can_go(
        factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from huiqi.cli import app

    old, new = vault.new_key_line("k1"), vault.new_key_line("k2")
    monkeypatch.setenv("HUIQI_DATA_KEY", old)
    pid = talent(factory)
    monkeypatch.setenv("HUIQI_DATA_KEY", f"{new},{old}")
    url = factory.kw["bind"].url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["data", "rekey", "--db", url])
    assert result.exit_code == 0, result.output
    assert "re-sealed 2 values" in result.output  # the ID number and the account number
    monkeypatch.setenv("HUIQI_DATA_KEY", new)  # the old key gone
    with transaction(factory) as s:
        found = personal.person_by_id_number(s, ID_NUMBER)
        assert found is not None and found.id == pid
        assert vault.of(s).open(found.account_no_enc or "", "account_no") == ACCOUNT
