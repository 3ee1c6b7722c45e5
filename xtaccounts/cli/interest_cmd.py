"""Placeholder: filled in by the money-movement work."""

from __future__ import annotations

COMMANDS: tuple = ()
