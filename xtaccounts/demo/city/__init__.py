"""A synthetic Xiangtan at city scale (docs/rules.md §7): registry, statements and five years of
books built through the project's own pipeline, for benchmarks."""

from __future__ import annotations

from xtaccounts.demo.city.build import CITY_MARKER, CityReport, build_city
from xtaccounts.demo.city.registry import city_registry, plan_city

__all__ = ["CITY_MARKER", "CityReport", "build_city", "city_registry", "plan_city"]
