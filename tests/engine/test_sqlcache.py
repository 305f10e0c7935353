"""Compiled SQL on disk: reused when nothing changed, never when a parameter did."""

from __future__ import annotations

import os
from pathlib import Path

from huiqi.engine.evaluate import compile_policy
from huiqi.engine.policy import Policy


def _files() -> set[Path]:
    return set((Path(os.environ["HUIQI_CACHE_DIR"]) / "sql").glob("*.sql"))


def test_the_same_compile_is_read_back_and_a_reform_gets_its_own_entry(policy: Policy) -> None:
    policy.cache.clear()
    first = compile_policy(policy, 2026, measures=["m17"], detail=False)
    stored = _files()
    policy.cache.clear()
    again = compile_policy(policy, 2026, measures=["m17"], detail=False)
    assert again.sql == first.sql and _files() == stored
    reform = compile_policy(policy, 2026, {"m17.rate": "0.25"}, measures=["m17"], detail=False)
    assert reform.sql != first.sql and len(_files()) == len(stored) + 1


def test_an_unwritable_cache_is_skipped(policy: Policy, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("HUIQI_CACHE_DIR", str(blocker))
    policy.cache.clear()
    assert "SELECT" in compile_policy(policy, 2026, measures=["m24"], detail=False).sql
