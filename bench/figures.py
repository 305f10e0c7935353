"""The measured figures behind issue 9's table, kept in ``bench/figures.json``.

Each bench script run with ``--record`` stores its figures under a key (``subset-1000000``,
``match-10000000``, ``onecase``, …) with the date and the machine; ``bench/table.py`` prints the
table from them. Every figure carries the load average (1 min) before and after it was measured.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

PATH = Path(__file__).parent / "figures.json"


def record(key: str, value: dict[str, Any]) -> None:
    """Merge one figure into ``bench/figures.json``."""
    figures = read()
    figures[key] = {**value, "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                               f"Python {platform.python_version()}"}
    PATH.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read() -> dict[str, Any]:
    figures: dict[str, Any] = (json.loads(PATH.read_text(encoding="utf-8"))
                               if PATH.exists() else {})
    return figures
