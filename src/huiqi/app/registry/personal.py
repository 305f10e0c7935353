"""Personal data of the registry: sealed when written, masked when shown, revealed in full only
to a role that needs it (the office verifying an identity, a payment instruction to the bank),
each reveal recorded in the audit as a read (PIPL: minimum necessary; 等保 2.0: access logged)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.app import vault
from huiqi.app.audit.service import record
from huiqi.app.auth.roles import Actor
from huiqi.app.registry.models import AccountChange, Organisation, Person

ID_NUMBER, ACCOUNT_NO = "id_number", "account_no"
Holder = Organisation | Person | AccountChange


def mask_id_number(value: str) -> str:
    """110101********123X: region and the last four only."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_account(value: str) -> str:
    """************5678: the last four only."""
    return "*" * (len(value) - 4) + value[-4:]


def set_id_number(session: Session, p: Person, value: str) -> None:
    ring = vault.of(session)
    p.id_number_enc = ring.seal(value, ID_NUMBER)
    p.id_number_hash = ring.lookup(value, ID_NUMBER)
    p.id_number_masked = mask_id_number(value)


def sealed_account(session: Session, account_no: str) -> tuple[str, str, str]:
    """(sealed, keyed hash, masked) forms of an account number, as every holder stores them."""
    ring = vault.of(session)
    return ring.seal(account_no, ACCOUNT_NO), ring.lookup(account_no, ACCOUNT_NO), mask_account(account_no)


def set_account(session: Session, holder: Organisation | Person, bank_name: str | None,
                account_no: str | None, account_name: str | None) -> None:
    """Put an account (or none) on an organisation or person."""
    holder.bank_name, holder.account_name = bank_name, account_name
    holder.account_no_enc, holder.account_no_hash, holder.account_no_masked = (
        (None, None, None) if account_no is None else sealed_account(session, account_no))


def same_account(session: Session, holder: Holder, account_no: str) -> bool:
    """Whether ``account_no`` is the holder's, by keyed hash (no decryption)."""
    return holder.account_no_hash in vault.of(session).lookups(account_no, ACCOUNT_NO)


def person_by_id_number(session: Session, id_number: str) -> Person | None:
    """The person with this ID number, found by its keyed hash under any configured key."""
    hashes = vault.of(session).lookups(id_number, ID_NUMBER)
    return session.scalars(select(Person).where(Person.id_number_hash.in_(hashes)).limit(1)).first()


def account_json(holder: Holder) -> dict[str, Any] | None:
    """A holder's account as every answer shows it: the number masked."""
    if holder.account_no_enc is None:
        return None
    return {"bank_name": holder.bank_name, "account_no": holder.account_no_masked,
            "account_name": holder.account_name}


def reveal(session: Session, *, actor: Actor | str, stored: str, field: str, entity: str,
           entity_id: object, purpose: str) -> str:
    """The clear value of a sealed ``field`` (``id_number`` or ``account_no``) of a record,
    audited as a read: who, which record, which field, why."""
    value = vault.of(session).open(stored, field)
    record_read(session, actor=actor, entity=entity, entity_id=entity_id, field=field, purpose=purpose)
    return value


def record_read(session: Session, *, actor: Actor | str, entity: str, entity_id: object, field: str,
                purpose: str) -> None:
    """One read of personal data in the audit: who, which record, which field, why."""
    record(session, actor=actor, action="personal_data.read", entity=entity, entity_id=entity_id,
           after={"field": field, "purpose": purpose})


def rekey(session: Session, *, actor: Actor | str) -> int:
    """Re-seal every stored value under the current key and recompute its keyed hash (after a
    rotation: once done, the old key can leave the keyring); the number of values re-sealed."""
    from huiqi.app.budget.models import Payment

    ring = vault.of(session)
    done = 0

    def fresh(stored: str | None, purpose: str) -> tuple[str, str] | None:
        if stored is None or stored.split(":", 3)[1:3] == [ring.cipher, ring.current]:
            return None
        value = ring.open(stored, purpose)
        return ring.seal(value, purpose), ring.lookup(value, purpose)

    holders: list[Organisation | Person | AccountChange] = [
        *session.scalars(select(Organisation)), *session.scalars(select(Person)),
        *session.scalars(select(AccountChange))]
    for h in holders:
        if (new := fresh(h.account_no_enc, ACCOUNT_NO)) is not None:
            h.account_no_enc, h.account_no_hash = new
            done += 1
        if isinstance(h, Person) and (new := fresh(h.id_number_enc, ID_NUMBER)) is not None:
            h.id_number_enc, h.id_number_hash = new
            done += 1
    for p in session.scalars(select(Payment)):
        if (new := fresh(p.account_no, ACCOUNT_NO)) is not None:
            p.account_no = new[0]
            done += 1
    session.flush()
    record(session, actor=actor, action="personal_data.rekey", entity="vault", entity_id=ring.current,
           after={"resealed": done, "cipher": ring.cipher})
    return done
