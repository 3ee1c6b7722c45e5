"""xtaccounts: the Xiangtan maintenance-fund elevator-insurance pilot's books on Beancount."""

from __future__ import annotations

__version__ = "0.1.0"
