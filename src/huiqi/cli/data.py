"""``huiqi data new-key | rekey``: the data key that seals ID and account numbers (``app.vault``)."""

from __future__ import annotations

from typing import Annotated

import typer

from huiqi.cli.common import fail, out
from huiqi.cli.platform import _url

# the platform is imported inside the commands: `huiqi --help` stays quick
data_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
DbOpt = Annotated[str | None, typer.Option("--db", envvar="HUIQI_DB", help="database URL (migrated first)")]


@data_app.command(name="new-key")
def new_key(kid: Annotated[str, typer.Option("--id", help="the key's id (letters and digits)")]) -> None:
    """Print a new data key line ``id:base64``: put it first in HUIQI_DATA_KEY (or the key file),
    keep the old ones after it, then run ``huiqi data rekey``. 生成新的数据密钥。"""
    from huiqi.app import vault

    if not kid.isalnum():
        fail("--id: letters and digits only")
    out.print(vault.new_key_line(kid), highlight=False)


@data_app.command(name="rekey")
def rekey(db: DbOpt = None) -> None:
    """Re-seal every ID and account number under the current (first) key. 用当前密钥重新加密。"""
    from huiqi.app.db import make_engine, sessions, transaction, upgrade
    from huiqi.app.errors import DomainError
    from huiqi.app.registry import personal

    url = _url(db)
    upgrade(url)
    engine = make_engine(url)
    try:
        with transaction(sessions(engine)) as s:
            done = personal.rekey(s, actor="data-cli")
    except DomainError as exc:
        fail(exc.message)
    finally:
        engine.dispose()
    out.print(f"re-sealed {done} values under the current data key")
