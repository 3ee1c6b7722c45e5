"""Where the plugins find the registry of the books they check.

``registry/`` beside the top-level file, or beside its directory for a year's own books under
``years/``; a plugin config string names another directory, relative to the top-level file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def registry_dir(options_map: dict[str, Any], config: str | None) -> Path | None:
    """The registry directory of the books `options_map` describes (None: none found)."""
    top = options_map.get("filename") or ""
    base = Path(os.path.dirname(os.path.abspath(top))) if top and not top.startswith("<") else None
    if config:
        path = Path(config)
        if not path.is_absolute() and base is not None:
            path = base / path
        return path
    if base is None:
        return None
    for candidate in (base / "registry", base.parent / "registry"):
        if (candidate / "pilot.toml").is_file():
            return candidate
    return None
