"""Where a notice goes besides the in-app inbox (the ``notices`` table, always on).

An e-mail or SMS gateway plugs in as a ``Sender``, named in ``HUIQI_NOTICE_SENDERS`` (a
comma-separated list of ``module:Class``, each made with no arguments), e.g.
``HUIQI_NOTICE_SENDERS=huiqi.app.notices.senders:LoggingSender``. Senders run after the
transaction that made the notice commits, so nothing is sent for a change that was rolled back;
a sender that fails is logged and never undoes the change."""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from huiqi.app.config import current

log = logging.getLogger("huiqi.notices")


@dataclass(frozen=True)
class Message:
    """A committed notice as a sender sees it (no database session)."""

    id: int
    kind: str
    org_id: int | None
    person_id: int | None
    username: str | None
    subject_zh: str
    subject_en: str
    body_zh: str
    body_en: str
    link: str | None


class Sender(Protocol):
    def send(self, message: Message) -> None: ...


class LoggingSender:
    """The example sender: writes each notice to the log (a real one would call a gateway)."""

    def send(self, message: Message) -> None:
        log.info("notice %s (%s) to org=%s person=%s user=%s: %s", message.id, message.kind,
                 message.org_id, message.person_id, message.username, message.subject_zh)


def load(spec: str) -> list[Sender]:
    """The senders named in ``spec`` (``module:Class, …``); a bad name fails at once, by name."""
    found: list[Sender] = []
    for name in filter(None, (x.strip() for x in spec.split(","))):
        module, _, cls = name.partition(":")
        if not cls:
            raise ValueError(f"notice_senders: {name!r} is not 'module:Class'")
        found.append(getattr(importlib.import_module(module), cls)())
    return found


@cache
def configured() -> tuple[Sender, ...]:
    return tuple(load(current().notice_senders))


def deliver(messages: list[Message], senders: tuple[Sender, ...] | None = None) -> None:
    for message in messages:
        for sender in configured() if senders is None else senders:
            try:
                sender.send(message)
            except Exception:  # a gateway's failure must not undo what was committed
                log.exception("sender %s failed on notice %s", type(sender).__name__, message.id)
