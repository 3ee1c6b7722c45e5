"""Balances people read: pools, unit funds and households."""
