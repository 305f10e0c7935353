"""The two languages: Chinese (the source strings) and English, from the compiled catalogues in
``huiqi/locale``; one Jinja2 environment per language, so a request never changes another's."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader, select_autoescape

from huiqi.app.web import format as fmt

LOCALES = ("zh_CN", "en")
DEFAULT = "zh_CN"
LOCALE_DIR = Path(__file__).parents[2] / "locale"
TEMPLATES = Path(__file__).parent / "templates"
# <html lang> and the code ?lang= and the cookie take
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


def parse(value: str | None) -> str | None:
    """A locale from ``?lang=`` or the cookie: zh, zh-CN, zh_CN or en; None if unknown."""
    if not value:
        return None
    v = value.replace("-", "_").lower()
    if v in ("zh", "zh_cn"):
        return "zh_CN"
    return "en" if v in ("en", "en_gb", "en_us") else None


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue (zh_CN's msgstrs are empty: its source strings are shown)."""
    return Translations.load(str(LOCALE_DIR), [locale], domain="messages")


def gettext(locale: str, message: str, **values: Any) -> str:
    text = translations(locale).gettext(message)
    return text % values if values else text


@cache
def environment(locale: str) -> Environment:
    env = Environment(
        loader=ChoiceLoader([
            FileSystemLoader(TEMPLATES),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}),
        ]),
        extensions=["jinja2.ext.i18n"],
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["yuan"] = lambda v: fmt.yuan(v, locale)
    env.filters["wan"] = lambda v: fmt.wan(v, locale)
    env.filters["long_date"] = lambda v: fmt.long_date(v, locale)
    env.globals["locale"] = locale
    env.globals["html_lang"] = HTML_LANG[locale]
    env.globals["zh"] = locale == DEFAULT
    return env
