"""The books as every reader takes them: one `Ledger`, loaded once, above the operations and the
insurance records it gathers, below the audit, the exports, Fava, the reports and the CLI."""
