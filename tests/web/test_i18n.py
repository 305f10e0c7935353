"""The catalogues: every string in the code and templates is in them, every English entry is
translated and not fuzzy, and the compiled .mo files match their .po files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[2]
LOCALE = ROOT / "src" / "huiqi" / "locale"


def catalogue(locale: str) -> object:
    with open(LOCALE / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def test_every_extracted_string_is_in_both_catalogues(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        CommandLineInterface().run(["pybabel", "-q", "extract", "-F", "babel.cfg", "-o", str(pot), "."])
    finally:
        os.chdir(cwd)
    with open(pot, "rb") as f:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    for locale in ("zh_CN", "en"):
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(locale) if m.id}  # type: ignore[attr-defined]
        assert extracted - have == set(), f"{locale}: run pybabel update (see babel.cfg)"
        assert have - extracted == set(), f"{locale}: obsolete entries; run pybabel update"


def test_every_english_entry_is_translated_and_not_fuzzy() -> None:
    for m in catalogue("en"):  # type: ignore[attr-defined]
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        assert all(s.strip() for s in strings), f"empty English msgstr for {m.id!r}"
        assert not m.fuzzy, f"fuzzy English msgstr for {m.id!r}"


def _plain(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_compiled_catalogue_is_not_stale(locale: str) -> None:
    with open(LOCALE / locale / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = {_plain(m.id): _plain(m.string) for m in read_mo(f) if m.id}
    source = {_plain(m.id): _plain(m.string) for m in catalogue(locale)  # type: ignore[attr-defined]
              if m.id and m.string and any(m.string)}
    assert compiled == source, f"{locale}: run pybabel compile -d src/huiqi/locale"
