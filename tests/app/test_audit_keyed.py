"""The audit chain survives someone who can write the database but holds no key (issue 10, 2):
a keyed chain, signed checkpoints of its head outside the database, key rotation, the request's
origin in each entry, exports that verify on their own and the retention setting."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from huiqi.app.audit import checkpoints, keys
from huiqi.app.audit.config import config
from huiqi.app.audit.export import check as export_check
from huiqi.app.audit.models import AuditEntry
from huiqi.app.audit.service import GENESIS, entry_message, plain_digest, record, verify
from huiqi.app.auth.roles import SYSTEM
from huiqi.app.db import UTCDateTime, make_engine, normalise_url, sessions, transaction, upgrade
from huiqi.app.errors import Refused
from huiqi.app.settings import service as settings
from huiqi.cli import app as cli
from tests.app.http import add_users, bearer, client, totp_code
from tests.app.test_audit import drop_guards
from tests.app.world import ADMIN, approve, build, submit

ATTACKER_KEY = b"the attacker's guess at the key, 32+ characters long"


@pytest.fixture
def trail(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    world = build(factory)
    approve(world, submit(world))
    return factory


def count(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def rewrite(factory: sessionmaker[Session], *, keyed: bool) -> None:
    """The finding: drop the guards, change entry 3, then recompute every hash from the start —
    with the code's own plain digest (``keyed`` off) or with a key of the attacker's own."""
    with transaction(factory) as s:
        drop_guards(s)
        prev = GENESIS
        for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id)):
            if e.id == 3:
                e.actor = "someone"
            e.prev_hash = prev
            if keyed:
                e.hash = keys.KeyRing({e.key_id or "": ATTACKER_KEY}, e.key_id or "", "attacker").mac(
                    e.key_id or "", e.mac or "", entry_message(e)) or ""
            else:
                e.mac = e.key_id = None
                e.hash = plain_digest(prev, e.at, e.actor, e.action, e.entity, e.entity_id, e.before,
                                      e.after)
            prev = e.hash
            s.flush()


def test_entries_are_signed_with_the_current_key_and_its_mac(trail: sessionmaker[Session]) -> None:
    ring = keys.parse([os.environ[keys.ENV_KEY]], "test")
    with trail() as s:
        macs = set(s.execute(select(AuditEntry.mac, AuditEntry.key_id)).all())
    assert macs == {(keys.PREFERRED_MAC, ring.current)}
    assert keys.PREFERRED_MAC == "hmac-sm3"  # this platform's OpenSSL offers SM3


@pytest.mark.parametrize("keyed", [False, True], ids=["plain-digest", "attackers-key"])
def test_a_chain_rewritten_without_the_key_fails_verification(
        trail: sessionmaker[Session], db_url: str, keyed: bool) -> None:
    rewrite(trail, keyed=keyed)
    code, output = invoke("audit", "verify", "--db", db_url)
    assert code == 1
    if keyed:
        assert "entry 1: content does not match its hash (changed)" in output
    else:
        # every entry now looks like one written before keyed chaining, which no checkpoint covers
        assert f"the first {count(trail)} entries are unkeyed" in output


def test_a_plain_rewrite_also_contradicts_a_checkpoint_written_before(
        trail: sessionmaker[Session], db_url: str) -> None:
    assert invoke("audit", "checkpoint", "--db", db_url)[0] == 0
    total = count(trail)
    rewrite(trail, keyed=False)
    code, output = invoke("audit", "verify", "--db", db_url)
    assert code == 1
    assert f"entry number {total} is not the head it recorded" in output


def test_deleting_the_newest_entries_is_detected_against_the_latest_checkpoint(
        trail: sessionmaker[Session], db_url: str) -> None:
    code, output = invoke("audit", "checkpoint", "--db", db_url)
    assert code == 0, output
    total = count(trail)
    with transaction(trail) as s:
        drop_guards(s)
        newest = s.scalar(select(func.max(AuditEntry.id)))
        s.execute(delete(AuditEntry).where(AuditEntry.id >= newest - 1))
    with trail() as s:
        report = verify(s)
    assert len(report.broken) == 1  # the chain that is left links and its hashes hold
    code, output = invoke("audit", "verify", "--db", db_url)
    assert code == 1
    assert f"recorded {total} entries, only {total - 2} remain" in output


def test_a_changed_checkpoint_line_is_refused(trail: sessionmaker[Session], db_url: str) -> None:
    invoke("audit", "checkpoint", "--db", db_url)
    path = config(db_url).checkpoints
    line = json.loads(path.read_text())
    line["entries"] -= 2  # what someone who deleted two entries would need it to say
    path.write_text(json.dumps(line) + "\n")
    code, output = invoke("audit", "verify", "--db", db_url)
    assert code == 1
    assert "checkpoint line 1: signature does not hold (the line was changed)" in output


def test_an_intact_chain_verifies_against_its_checkpoints(trail: sessionmaker[Session], db_url: str) -> None:
    invoke("audit", "checkpoint", "--db", db_url)
    world_more = count(trail)
    with transaction(trail) as s:
        record(s, actor=ADMIN, action="note", entity="test")
    invoke("audit", "checkpoint", "--db", db_url)
    code, output = invoke("audit", "verify", "--db", db_url)
    assert code == 0, output
    assert f"checked against 2 checkpoint(s); the latest covers {world_more + 1} entries" in output


def test_a_checkpoint_follows_every_nth_entry_once_committed(
        factory: sessionmaker[Session], db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIQI_AUDIT_CHECKPOINT_EVERY", "4")
    for _ in range(3):  # entries 1-3: none due
        with transaction(factory) as s:
            record(s, actor=ADMIN, action="note", entity="test")
    assert not config(db_url).checkpoints.exists()
    with pytest.raises(RuntimeError), transaction(factory) as s:
        record(s, actor=ADMIN, action="note", entity="test")  # entry 4, rolled back: no checkpoint
        raise RuntimeError
    assert not config(db_url).checkpoints.exists()
    with transaction(factory) as s:
        for _ in range(2):
            record(s, actor=ADMIN, action="note", entity="test")
    anchors = checkpoints.read(config(db_url), keys.parse([os.environ[keys.ENV_KEY]], "t"), [])
    assert [a.entries for a in anchors] == [5]  # written at commit: the head of five entries


def test_a_rotated_key_signs_new_entries_and_the_old_one_still_verifies_old_ones(
        trail: sessionmaker[Session], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "audit-keys"  # not keys/: the data key's folder beside a SQLite file
    key_file.write_text(os.environ[keys.ENV_KEY] + "\n")
    monkeypatch.delenv(keys.ENV_KEY)
    monkeypatch.setenv(keys.ENV_KEY_FILE, str(key_file))
    before = count(trail)
    code, output = invoke("audit", "rotate-key", "--db", db_url)
    assert code == 0, output
    with transaction(trail) as s:
        record(s, actor=ADMIN, action="note", entity="test")
    with trail() as s:
        ids = [k for (k,) in s.execute(select(AuditEntry.key_id).order_by(AuditEntry.id))]
    old, new = ids[0], ids[-1]
    assert old != new and ids == [old] * before + [new]
    assert invoke("audit", "verify", "--db", db_url)[0] == 0
    key_file.write_text(key_file.read_text().splitlines()[-1] + "\n")  # the old key lost
    code, output = invoke("audit", "verify", "--db", db_url)
    assert code == 1
    assert f"entry 1: signed with key {old} (hmac-sm3), which is not in the key ring" in output


def test_rotation_refuses_keys_from_the_environment_and_says_what_to_do(db_url: str) -> None:
    code, output = invoke("audit", "rotate-key", "--db", db_url)
    assert code == 2
    assert "HUIQI_AUDIT_KEY" in output and "append a new secret" in output


def test_the_embedded_default_key_file_is_created_readable_by_its_owner_only(
        factory: sessionmaker[Session], db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(keys.ENV_KEY)
    with transaction(factory) as s:
        record(s, actor=ADMIN, action="note", entity="test")
    key = config(db_url).default_key
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert invoke("audit", "verify", "--db", db_url)[0] == 0


def test_a_short_key_is_refused_naming_its_source(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keys.ENV_KEY, "too short")
    code, output = invoke("audit", "verify", "--db", db_url)
    assert code == 2 and "HUIQI_AUDIT_KEY: audit key number [1] is shorter than 32 characters" in output


def test_entries_record_the_requests_source_address_and_user_agent(
        factory: sessionmaker[Session], db_url: str) -> None:
    add_users(factory, None)
    c = client(db_url)
    agent = {"User-Agent": "Mozilla/5.0 (审计 test)".encode()}
    r = c.post("/auth/login", json={"username": "auditor1", "password": "correct horse 惠企"},
               headers=agent)
    assert r.status_code == 200, r.text
    r = c.post("/auth/totp", json={"code": totp_code(c, "auditor1")},
               headers={**bearer(r.json()["token"]), **agent})  # staff: the second factor
    assert r.status_code == 200, r.text
    with transaction(factory) as s:
        record(s, actor=SYSTEM, action="note", entity="test")
    with factory() as s:
        login = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.login")).one()
        created = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.create")).first()
        system = s.scalars(select(AuditEntry).where(AuditEntry.actor == "system")).one()
    assert (login.source, login.user_agent) == ("testclient", "Mozilla/5.0 (审计 test)")
    assert created is not None and (created.source, created.user_agent) == (None, None)
    assert (system.source, system.user_agent) == (None, None)


def test_an_export_verifies_on_its_own_and_detects_a_change_or_a_cut(
        trail: sessionmaker[Session], db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "audit.jsonl"
    code, output = invoke("audit", "export", "--db", db_url, "--since", "2000-01-01", "--out", str(out))
    assert code == 0, output
    lines = out.read_text().splitlines()
    assert len(lines) == count(trail) + 1 and "export" in json.loads(lines[-1])
    assert invoke("audit", "verify", "--export", str(out))[0] == 0
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[:-2] + lines[-1:]) + "\n")  # the newest entry removed
    code, output = invoke("audit", "verify", "--export", str(cut))
    assert code == 1 and "entries removed or added" in output
    changed = tmp_path / "changed.jsonl"
    row = json.loads(lines[2])
    row["actor"] = "someone"
    changed.write_text("\n".join([*lines[:2], json.dumps(row), *lines[3:]]) + "\n")
    code, output = invoke("audit", "verify", "--export", str(changed))
    assert code == 1 and f"entry {row['id']}: content does not match its hash (changed)" in output


def test_an_export_since_a_later_date_holds_only_the_later_entries(
        trail: sessionmaker[Session], db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "audit.jsonl"
    assert invoke("audit", "export", "--db", db_url, "--since", "2999-01-01", "--out", str(out))[0] == 0
    assert [list(json.loads(line)) for line in out.read_text().splitlines()] == [["export", "sig"]]
    assert invoke("audit", "verify", "--export", str(out))[0] == 0


def test_a_bad_since_date_names_the_option(db_url: str) -> None:
    code, output = invoke("audit", "export", "--db", db_url, "--since", "June")
    assert code == 2 and "--since: expected a date YYYY-MM-DD, got 'June'" in output


def test_the_retention_is_180_days_by_default_and_never_set_below_six_months(
        factory: sessionmaker[Session]) -> None:
    with factory() as s:
        assert settings.get(s, "audit_retention_days") == 180
    with pytest.raises(Refused, match="audit_retention_days"), transaction(factory) as s:
        settings.put(s, actor=ADMIN, key="audit_retention_days", value=179)
    with transaction(factory) as s:
        settings.put(s, actor=ADMIN, key="audit_retention_days", value=365)
    with factory() as s:
        assert settings.get(s, "audit_retention_days") == 365


def test_the_server_anchors_the_chain_when_it_starts(trail: sessionmaker[Session], db_url: str) -> None:
    with client(db_url):
        pass
    anchors = checkpoints.read(config(db_url), keys.parse([os.environ[keys.ENV_KEY]], "t"), [])
    assert [a.entries for a in anchors] == [count(trail)]


LEGACY = sa.table("audit_log", *(sa.column(c) for c in (
    "actor", "action", "entity", "entity_id", "prev_hash", "hash")),
    sa.column("at", UTCDateTime()), sa.column("before", sa.JSON()), sa.column("after", sa.JSON()))


@pytest.fixture
def legacy_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0001 holding two entries chained the old way (plain SHA-256)."""
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        admin = sa.create_engine(normalise_url(os.environ["HUIQI_TEST_POSTGRES"]),
                                 isolation_level="AUTOCOMMIT")
        base, _, name = normalise_url(db_url).rpartition("/")
        with admin.connect() as c:
            c.execute(sa.text(f"CREATE DATABASE {name}_old"))
        url = f"{base}/{name}_old"
    upgrade(url, "0001")
    engine = make_engine(url)
    prev = GENESIS
    with engine.begin() as c:
        for i in (1, 2):
            at = datetime(2025, 1, i, 9, 30, tzinfo=UTC)
            h = plain_digest(prev, at, "office1", "note", "test", None, {"n": i}, None)
            c.execute(sa.insert(LEGACY).values(at=at, actor="office1", action="note",
                                               entity="test", entity_id=None, before={"n": i},
                                               after=None, prev_hash=prev, hash=h))
            prev = h
    engine.dispose()
    upgrade(url)
    yield url
    if not db_url.startswith("sqlite"):
        with admin.connect() as c:
            c.execute(sa.text(f"DROP DATABASE IF EXISTS {name}_old WITH (FORCE)"))
        admin.dispose()


def test_entries_from_before_keyed_chaining_verify_once_a_checkpoint_covers_them(legacy_url: str) -> None:
    code, output = invoke("audit", "verify", "--db", legacy_url)
    assert code == 1 and "the first 2 entries are unkeyed" in output
    assert invoke("audit", "checkpoint", "--db", legacy_url)[0] == 0
    engine = make_engine(legacy_url)
    with transaction(sessions(engine)) as s:
        record(s, actor=ADMIN, action="note", entity="test")
    with sessions(engine)() as s:
        report = verify(s)
        (third,) = s.scalars(select(AuditEntry).where(AuditEntry.id > 2)).all()
    engine.dispose()
    assert report.ok, report.broken
    assert report.entries == 3 and third.mac == "hmac-sm3"


CHAINED = ("at", "actor", "action", "entity", "entity_id", "before", "after", "source", "user_agent",
           "mac", "key_id", "prev_hash", "hash")


@pytest.fixture
def exported(trail: sessionmaker[Session], db_url: str, tmp_path: Path) -> list[str]:
    if not db_url.startswith("sqlite"):
        pytest.skip("a property of the file: one database is enough")
    out = tmp_path / "audit.jsonl"
    assert invoke("audit", "export", "--db", db_url, "--since", "2000-01-01", "--out", str(out))[0] == 0
    return out.read_text().splitlines()


@examples(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_change_to_any_chained_field_of_any_exported_entry_is_detected(
        exported: list[str], data: st.DataObject) -> None:
    ring = keys.parse([os.environ[keys.ENV_KEY]], "test")
    n = data.draw(st.integers(0, len(exported) - 2), label="line")
    name = data.draw(st.sampled_from(CHAINED), label="field")
    row = json.loads(exported[n])
    if name == "at":
        shift = data.draw(st.integers(1, 10**9), label="microseconds")
        new: object = (datetime.fromisoformat(row["at"]) + timedelta(microseconds=shift)).isoformat()
    elif name in ("before", "after"):
        new = {"changed": data.draw(st.text(max_size=5))}
    else:
        new = data.draw(st.text(min_size=1, max_size=70).filter(lambda v: v != row[name]), label="value")
    row[name] = new
    lines = [*exported[:n], json.dumps(row, ensure_ascii=False), *exported[n + 1:]]
    assert not export_check(lines, ring).ok
