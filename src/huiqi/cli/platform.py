"""The platform's commands: ``serve``, ``db upgrade``, ``pay run``, ``user add`` (``audit`` and
``backup``/``restore`` in their own modules)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from huiqi.cli.common import app, err, fail, out

DbOption = Annotated[str | None, typer.Option("--db", help="database URL (default: sqlite:///huiqi.db "
                                                            "in the working folder)")]
db_app = typer.Typer(help="The platform's database: migrations.", no_args_is_help=True, rich_markup_mode=None)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True, rich_markup_mode=None)
pay_app = typer.Typer(help="Payments.", no_args_is_help=True, rich_markup_mode=None)
user_app = typer.Typer(help="Users (local administration).", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(pay_app, name="pay")
app.add_typer(user_app, name="user")


def _url(db: str | None) -> str:
    from huiqi.app.db import DEFAULT_URL

    return db or DEFAULT_URL


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    db: DbOption = None,
    demo: Annotated[bool, typer.Option("--demo", help="load the demo district on first start")] = False,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes (one per core)")] = 1,
) -> None:
    """Start the HTTP API (OpenAPI at /docs), creating and migrating the database first."""
    import uvicorn

    from huiqi.app.api.main import create_app
    from huiqi.app.api.serving import NoDelayH11Protocol
    from huiqi.app.db import upgrade

    url = _url(db)
    upgrade(url)
    if demo:
        from huiqi.app.config import current
        from huiqi.app.demo import load

        os.environ["HUIQI_PUBLIC_DOCS"] = "1"  # the demo's docs are open; in production behind login
        current.cache_clear()

        loaded = load(url)
        if loaded:
            out.print("[bold]演示数据已载入 demo district loaded[/] — users (password "
                      f"[bold]{loaded.password}[/]): {', '.join(loaded.users)}; staff second factor "
                      f"(TOTP) secret [bold]{loaded.totp_secret}[/]")
        else:
            out.print("demo district already present (loaded on first start)")
    out.print(f"惠企 huiqi: 首页 home page http://{host}:{port}/  —  API docs http://{host}:{port}/docs  —  "
              f"database {url}")
    if workers == 1:
        uvicorn.run(create_app(url), host=host, port=port, log_level="info", server_header=False,
                    http=NoDelayH11Protocol)
        return
    os.environ["HUIQI_DB"] = url  # each worker process builds the app from it
    uvicorn.run("huiqi.app.api.main:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="info", server_header=False, http=NoDelayH11Protocol)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Apply every migration to the database."""
    from huiqi.app.db import upgrade

    upgrade(_url(db))
    out.print(f"database at head: {_url(db)}")


@pay_app.command("run")
def pay_run(
    db: DbOption = None,
    bank_db: Annotated[str | None, typer.Option(help="the bank's database (default: --db)")] = None,
    batch: Annotated[int | None, typer.Option(help="only this batch")] = None,
    actor: Annotated[str, typer.Option(help="finance user recorded in the ledger")] = "finance-cli",
) -> None:
    """Send every unpaid payment instruction; safe to run again after a crash or at the same time."""
    from huiqi.app.auth.roles import Actor, Role
    from huiqi.app.budget.bank import LocalBank
    from huiqi.app.budget.payments import run
    from huiqi.app.db import make_engine, sessions

    engine = make_engine(_url(db))
    bank = LocalBank(make_engine(bank_db or _url(db)))
    report = run(sessions(engine), bank, actor=Actor(actor, Role.FINANCE), batch_id=batch)
    out.print(f"run {report.run}: paid {report.paid}, already paid {report.already_paid}, "
              f"failed {len(report.failed)}")
    for line in report.failed:
        err.print(line)
    if report.failed:
        raise typer.Exit(1)


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="applicant, reviewer, office, finance, auditor, admin, "
                                           "security_admin, audit_admin")],
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    org_id: Annotated[int | None, typer.Option(help="an applicant's organisation")] = None,
    department: Annotated[str | None, typer.Option(help="a reviewer's department")] = None,
    password_stdin: Annotated[bool, typer.Option(help="read the password from standard input")] = False,
    keep_password: Annotated[bool, typer.Option(
        help="the password is final (you create your own account); by default it must be changed "
             "at first login")] = False,
    db: DbOption = None,
) -> None:
    """Create a user from the machine's console — to bootstrap the first system and security
    administrators. After that, staff accounts take two people over the API (POST /user-requests,
    then an approval by an administrator of another role); staff set up their second factor at
    their first login."""
    from huiqi.app.auth import service as auth
    from huiqi.app.auth.roles import Role
    from huiqi.app.db import make_engine, sessions, transaction, upgrade
    from huiqi.app.errors import DomainError

    try:
        r = Role(role)
    except ValueError:
        fail(f"--role: one of {[x.value for x in Role]}, got {role!r}")
    password = sys.stdin.readline().rstrip("\n") if password_stdin else typer.prompt(
        "password", hide_input=True, confirmation_prompt=True)
    upgrade(_url(db))
    engine = make_engine(_url(db))
    try:
        with transaction(sessions(engine)) as s:
            u = auth.new_user(s, by="console", username=username, password=password, role=r,
                              display_name=name or username, org_id=org_id, department=department,
                              must_change=not keep_password)
            out.print(f"user {u.username} ({u.role}) created")
    except DomainError as exc:
        fail(exc.message)
    finally:
        engine.dispose()
