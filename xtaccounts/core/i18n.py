"""Text in the users' language: the source text is Chinese, other languages come from a catalogue.

Every text a user reads is written in Chinese in the code and wrapped in `_()` (or `N_()` where it
is a module-level constant translated when shown), so one message catalogue can give it in English.
Texts with figures are formatted after translation: ``_("住户 {household} 不存在").format(...)``.

The language of a run: `set_language` (the command line's ``--lang``), else the environment
variable ``XTACCOUNTS_LANG``, else Chinese. English comes from the gettext catalogue
``xtaccounts/locale/en/LC_MESSAGES/messages.po`` (kept up to date by ``scripts/messages``), read
in memory with Babel once per run, so a fresh clone needs no build step. A text the catalogue
lacks stays Chinese.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

SOURCE_LANGUAGE = "zh"
LANGUAGES = ("zh", "en")
ENV_VAR = "XTACCOUNTS_LANG"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"

_chosen: str | None = None


class UnknownLanguage(ValueError):
    """A language the project has no catalogue for."""


def normalise(language: str) -> str:
    """``zh``/``en`` from what a user typed (``EN``, ``en_US.UTF-8``, ``zh-CN``)."""
    code = language.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    if code not in LANGUAGES:
        raise UnknownLanguage(language)
    return code


def set_language(language: str | None) -> None:
    """Use `language` for this run (None: back to the environment's choice)."""
    global _chosen
    _chosen = None if language is None else normalise(language)


def current_language() -> str:
    """The language of this run: `set_language`, else $XTACCOUNTS_LANG, else Chinese (an
    unknown value in the environment is ignored)."""
    if _chosen is not None:
        return _chosen
    try:
        return normalise(os.environ.get(ENV_VAR) or SOURCE_LANGUAGE)
    except UnknownLanguage:
        return SOURCE_LANGUAGE


def catalogue_path(language: str) -> Path:
    """The gettext catalogue (.po) of `language`."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(language: str) -> dict[str, str]:
    """msgid → msgstr of `language`'s catalogue (empty for the source language or none)."""
    if language == SOURCE_LANGUAGE:
        return {}
    po = catalogue_path(language)
    if not po.is_file():
        return {}
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalogue = read_po(handle)
    return {
        str(message.id): str(message.string)
        for message in catalogue
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }


def _(message: str) -> str:
    """`message` (Chinese) in the language of this run."""
    language = current_language()
    if language == SOURCE_LANGUAGE:
        return message
    return translations(language).get(message, message)


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it now."""
    return message
