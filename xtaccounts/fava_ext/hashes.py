"""The hash Fava opens an entry by, in its context view (``#context-<hash>``)."""

from __future__ import annotations

from typing import Any

from beancount.core import compare


def entry_hash(entry: Any) -> str:
    """The hash Fava's context modal (#context-<hash>) opens an entry by ("" for None)."""
    return compare.hash_entry(entry) if entry is not None else ""
