"""``huiqi offers match | lapse``: matching over the registry (政策直享) and offers (免申即享),
as a scheduled job runs them (the system acting for the office)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Annotated

import typer

from huiqi.cli.common import fail, out
from huiqi.engine.money import fen_to_yuan, format_yuan

offers_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_enable=False)
DbOpt = Annotated[str | None, typer.Option(
    "--db", envvar="HUIQI_DB", help="database URL (migrated first; default sqlite:///huiqi.db)")]


@offers_app.command(name="match")
def match_cmd(
    year: Annotated[int, typer.Option(min=2024, max=2100, help="the year whose facts are matched")],
    db: DbOpt = None,
) -> None:
    """Match every registered organisation and make the offers. 政策直享：匹配并推送免申即享。"""
    from rich.table import Table

    from huiqi.app.auth.roles import SYSTEM
    from huiqi.app.db import DEFAULT_URL, make_engine, sessions, transaction, upgrade
    from huiqi.app.errors import DomainError
    from huiqi.app.matching import service as matching
    from huiqi.app.parameters.service import policy

    db = db or DEFAULT_URL
    upgrade(db)
    engine = make_engine(db)
    start = time.perf_counter()
    try:
        with transaction(sessions(engine)) as s:
            done = matching.run(s, actor=SYSTEM, year=year)
            lines = matching.summary(s, run_id=done.id)
    except DomainError as exc:
        fail(exc.message)
    finally:
        engine.dispose()
    seconds = time.perf_counter() - start
    table = Table(title=f"{year} 匹配 run {done.id}: {done.organisations:,} organisations, "
                        f"{done.matches:,} matches, {done.offers:,} offers ({seconds:.1f} s)")
    for col in ("措施 measure", "匹配 matches", "符合 eligible", "待补充 incomplete",
                "上限合计 Σ ceilings 元", "推送 offers"):
        table.add_column(col, justify="left" if col.startswith("措施") else "right")
    texts = policy().texts
    for x in lines:
        table.add_row(f"{x.measure} {texts[x.measure].title_zh}", f"{x.matches:,}", f"{x.eligible:,}",
                      f"{x.incomplete:,}", format_yuan(fen_to_yuan(x.ceiling_fen)), f"{x.offers:,}")
    total = sum((fen_to_yuan(x.ceiling_fen) for x in lines), Decimal("0.00"))
    table.add_row("合计 total", f"{done.matches:,}", f"{sum(x.eligible for x in lines):,}",
                  f"{sum(x.incomplete for x in lines):,}", format_yuan(total), f"{done.offers:,}",
                  style="bold")
    out.print(table)


@offers_app.command(name="lapse")
def lapse_cmd(db: DbOpt = None) -> None:
    """Lapse the offers not confirmed by their deadline, remind holders of near deadlines (站内信).
    逾期未确认的推送失效，临近期限的提醒确认。"""
    from huiqi.app.auth.roles import SYSTEM
    from huiqi.app.db import DEFAULT_URL, make_engine, sessions, transaction, upgrade, utcnow
    from huiqi.app.errors import DomainError
    from huiqi.app.matching import service as matching
    from huiqi.app.notices import service as notices

    db = db or DEFAULT_URL
    upgrade(db)
    engine = make_engine(db)
    try:
        with transaction(sessions(engine)) as s:
            lapsed = matching.lapse_expired(s, actor=SYSTEM, today=utcnow().date())
            reminded = notices.offer_deadlines(s)
    except DomainError as exc:
        fail(exc.message)
    finally:
        engine.dispose()
    out.print(f"{lapsed} offer(s) lapsed 已失效", highlight=False)
    out.print(f"{reminded} deadline reminder(s) sent 已提醒确认", highlight=False)
