"""The bank side of a payment, kept apart from the platform's own transactions.

A real deployment sends payment instructions to the treasury's or a bank's interface; what the
platform relies on is that the receiver deduplicates on the instruction's idempotency key, and
that it can be asked what became of a key. The platform does not lean on the deduplication: a run
asks for the status of an instruction whose earlier claim lapsed before it sends it again. The
local bank here keeps its transfers in a table of its own (on its own connection) and behaves
exactly so: a repeated key returns the first transfer and moves no money. It also keeps every
call it receives, so tests can count what was sent, not only what was booked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from huiqi.app.errors import Conflict


@dataclass(frozen=True)
class Transfer:
    reference: str
    new: bool


class Bank(Protocol):
    def transfer(self, *, key: str, account_no: str, account_name: str, amount_fen: int) -> Transfer:
        """Move money once per key; a repeated key returns the transfer already made."""
        ...

    def status(self, key: str) -> Transfer | None:
        """The transfer made under ``key`` (``new`` false), or None if the bank has none."""
        ...


bank_metadata = MetaData()
transfers = Table(
    "bank_transfers", bank_metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), unique=True, nullable=False),
    Column("account_no", String(40), nullable=False),
    Column("account_name", String(200), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
)
calls = Table(  # every request received, booked or not: "transfer" or "status"
    "bank_calls", bank_metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False, index=True),
    Column("call", String(8), nullable=False),
)


class LocalBank:
    """An idempotent receiver backed by its own table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        try:
            bank_metadata.create_all(engine)
        except DBAPIError:  # created at the same moment by another process
            if not all(inspect(engine).has_table(t) for t in bank_metadata.tables):
                raise

    def _received(self, key: str, call: str) -> None:
        with self.engine.begin() as c:
            c.execute(insert(calls).values(key=key, call=call))

    def transfer(self, *, key: str, account_no: str, account_name: str, amount_fen: int) -> Transfer:
        self._received(key, "transfer")
        row = {"key": key, "account_no": account_no, "account_name": account_name,
               "amount_fen": amount_fen}
        try:
            with self.engine.begin() as c:
                new_id = c.execute(insert(transfers).values(**row).returning(transfers.c.id)).scalar_one()
            return Transfer(reference=f"LB{new_id:010d}", new=True)
        except IntegrityError:
            with self.engine.connect() as c:
                first = c.execute(select(transfers).where(transfers.c.key == key)).one()
            if (first.account_no, first.amount_fen) != (account_no, amount_fen):
                raise Conflict(f"bank: key {key} was used for a different transfer") from None
            return Transfer(reference=f"LB{first.id:010d}", new=False)

    def status(self, key: str) -> Transfer | None:
        self._received(key, "status")
        with self.engine.connect() as c:
            first = c.execute(select(transfers.c.id).where(transfers.c.key == key)).scalar()
        return None if first is None else Transfer(reference=f"LB{first:010d}", new=False)

    def received(self, call: str = "transfer", key: str | None = None) -> int:
        """How many ``call`` requests arrived (for ``key``), whether or not they moved money."""
        stmt = select(func.count()).select_from(calls).where(calls.c.call == call)
        if key is not None:
            stmt = stmt.where(calls.c.key == key)
        with self.engine.connect() as c:
            return int(c.execute(stmt).scalar_one())

    def count(self, key: str | None = None) -> int:
        """How many transfers were booked (for ``key``)."""
        with self.engine.connect() as c:
            stmt = select(transfers.c.id)
            if key is not None:
                stmt = stmt.where(transfers.c.key == key)
            return len(c.execute(stmt).all())
