"""Library errors: the command line shows each as one line and exits 1."""

from __future__ import annotations


class XtError(Exception):
    """A library error the command line shows as one line."""
