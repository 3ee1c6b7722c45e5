"""Beancount plugins of the project: invariants checked every time the books load."""
