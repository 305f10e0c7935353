"""Command line: ``huiqi measures | params | schema | calc | synth | match | simulate`` and the
platform: ``serve | db | audit | pay | user | data | backup | restore``."""

from __future__ import annotations

from huiqi.cli import audit, backup, batch, calc, platform
from huiqi.cli.common import app
from huiqi.cli.data import data_app
from huiqi.cli.imports import imports_app
from huiqi.cli.offers import offers_app

app.add_typer(imports_app, name="import",
              help="Import organisations and annual facts from CSV or .xlsx, all rows or none. 批量导入。")
app.add_typer(data_app, name="data",
              help="The data key sealing ID and account numbers: new key, re-seal. 个人信息加密密钥。")
app.add_typer(offers_app, name="offers",
              help="Match every organisation (政策直享) and lapse unconfirmed offers (免申即享).")

__all__ = ["app", "audit", "backup", "batch", "calc", "platform"]
