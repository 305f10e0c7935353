"""Command line: ``huiqi measures | params | schema | calc | synth | match | simulate``."""

from __future__ import annotations

from huiqi.cli import batch, calc
from huiqi.cli.common import app

__all__ = ["app", "batch", "calc"]
