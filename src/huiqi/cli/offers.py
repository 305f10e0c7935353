"""``huiqi offers match | lapse``: matching over the registry (政策直享) and offers (免申即享),
as a scheduled job runs them (the system acting for the office)."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Annotated

import typer

from huiqi.cli.common import fail, out
from huiqi.cli.progress import Quiet, stages
from huiqi.engine.money import fen_to_yuan, format_yuan

offers_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_enable=False)
DbOpt = Annotated[str | None, typer.Option(
    "--db", envvar="HUIQI_DB", help="database URL (migrated first; default sqlite:///huiqi.db)")]


@offers_app.command(name="match")
def match_cmd(
    year: Annotated[int, typer.Option(min=2024, max=2100, help="the year whose facts are matched")],
    db: DbOpt = None,
    quiet: Quiet = False,
) -> None:
    """Match every registered organisation and make the offers. 政策直享：匹配并推送免申即享。"""
    from rich.markup import escape

    from huiqi.app.auth.roles import SYSTEM
    from huiqi.app.db import DEFAULT_URL, make_engine, sessions, transaction, upgrade
    from huiqi.app.errors import DomainError
    from huiqi.app.matching import service as matching
    from huiqi.app.parameters.service import policy
    from huiqi.cli.tables import Column, show

    db = db or DEFAULT_URL
    upgrade(db)
    engine = make_engine(db)
    start = time.perf_counter()
    names = {"registry": "reading the registry 读取主体", "matching": "matching 匹配",
             "offers": "making offers 推送",
             "writing": "writing matches 写入"}
    try:
        with stages(quiet) as st, transaction(sessions(engine)) as s:
            done = matching.run(s, actor=SYSTEM, year=year,
                                progress=lambda stage, n, total: st.step(names[stage], n, total))
            lines = matching.summary(s, run_id=done.id)
    except DomainError as exc:
        fail(exc.message)
    finally:
        engine.dispose()
    seconds = time.perf_counter() - start
    title = (f"{year} 匹配 run {done.id}: {done.organisations:,} organisations, {done.matches:,} "
             f"matches, {done.offers:,} offers ({seconds:.1f} s)")
    columns = [Column("措施 measure", wrap=True), Column("匹配\nmatches", right=True),
               Column("符合\neligible", right=True), Column("待补充\nincomplete", right=True),
               Column("上限合计\nΣ ceilings 元", right=True), Column("推送\noffers", right=True)]
    texts = policy().texts
    rows = [[escape(f"{x.measure} {texts[x.measure].title_zh}"), f"{x.matches:,}", f"{x.eligible:,}",
             f"{x.incomplete:,}", format_yuan(fen_to_yuan(x.ceiling_fen)), f"{x.offers:,}"]
            for x in lines]
    total = sum((fen_to_yuan(x.ceiling_fen) for x in lines), Decimal("0.00"))
    rows.append(["合计 total", f"{done.matches:,}", f"{sum(x.eligible for x in lines):,}",
                 f"{sum(x.incomplete for x in lines):,}", format_yuan(total), f"{done.offers:,}"])
    show(out, title, columns, rows, styles=[None] * len(lines) + ["bold"])


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
