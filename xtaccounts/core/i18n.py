"""Text in the users' language: the source text is Chinese, other languages come from a catalogue.

Every text a user reads is written in Chinese in the code and wrapped in `_()` (or `N_()` where it
is a module-level constant translated when shown), so one message catalogue can give it in English.
"""

from __future__ import annotations


def _(message: str) -> str:
    """`message` (Chinese) in the language of this run."""
    return message


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it now."""
    return message
