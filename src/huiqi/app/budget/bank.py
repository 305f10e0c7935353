"""The bank side of a payment, kept apart from the platform's own transactions.

A real deployment sends payment instructions to the treasury's or a bank's interface; what the
platform relies on is that the receiver deduplicates on the instruction's idempotency key. The
local bank here keeps its transfers in a table of its own (on its own connection) and behaves
exactly so: a repeated key returns the first transfer and moves no money.
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


bank_metadata = MetaData()
transfers = Table(
    "bank_transfers", bank_metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), unique=True, nullable=False),
    Column("account_no", String(40), nullable=False),
    Column("account_name", String(200), nullable=False),
    Column("amount_fen", BigInteger, nullable=False),
)


class LocalBank:
    """An idempotent receiver backed by its own table."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        try:
            bank_metadata.create_all(engine)
        except DBAPIError:  # created at the same moment by another process
            if not inspect(engine).has_table("bank_transfers"):
                raise

    def transfer(self, *, key: str, account_no: str, account_name: str, amount_fen: int) -> Transfer:
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

    def count(self, key: str | None = None) -> int:
        with self.engine.connect() as c:
            stmt = select(transfers.c.id)
            if key is not None:
                stmt = stmt.where(transfers.c.key == key)
            return len(c.execute(stmt).all())
