"""Exports for the finance bureau: the statutory statements and the detail behind them."""

from __future__ import annotations

from xtaccounts.export.build import FORMATS, MANIFEST, ExportResult, export_books, parse_formats

__all__ = ["FORMATS", "MANIFEST", "ExportResult", "export_books", "parse_formats"]
