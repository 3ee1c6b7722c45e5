"""Where xtaccounts keeps what it can always make again (the registry cache, the write snapshot)
and its error log: never inside the books."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_DIR_ENV = "XT_CACHE_DIR"


def cache_root() -> Path:
    """$XT_CACHE_DIR, else $XDG_CACHE_HOME/xtaccounts, else ~/.cache/xtaccounts."""
    root = os.environ.get(CACHE_DIR_ENV)
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "xtaccounts"
