"""The books on disk: where files live, loading them once, the one writer, positions, the Ledger."""
