"""The coverage chart as inline SVG: no script, no CDN (the machine serving the books is
offline), the same picture in every browser and in a screenshot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 24, 20, 44


def _x(day: dt.date, first: dt.date, last: dt.date) -> float:
    span = max((last - first).days, 1)
    return LEFT + (WIDTH - LEFT - RIGHT) * (day - first).days / span


def _y(percent: Decimal | float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - float(percent) / 100)


def coverage_svg(
    points: Sequence[tuple[dt.date, Decimal | None]],
    targets: Sequence[tuple[dt.date, Decimal, Decimal | None]],
) -> Markup:
    """A line of coverage (%) over time, with each target (date, target %, actual %) marked."""
    days = [d for d, _ in points] + [d for d, _, _ in targets]
    if not days:
        return Markup("")
    first, last = min(days), max(days)
    parts = [
        f'<svg class="xt-chart" role="img" aria-label="保险覆盖率" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg" '
        'font-size="11" font-family="sans-serif">'
    ]
    for tick in range(0, 101, 20):
        y = _y(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#666">{tick}%</text>'
        )
    quarter_ends = {
        d for d, _ in points if d.month % 3 == 0 and (d + dt.timedelta(days=1)).day == 1
    }
    labelled = sorted({first, last, *quarter_ends, *(d for d, _, _ in targets)})
    for day in labelled:
        x = _x(day, first, last)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM + 4}" '
            'stroke="#666"/>'
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
            f'fill="#666">{day}</text>'
        )
    line = [(d, p) for d, p in points if p is not None]
    if line:
        path = " ".join(f"{_x(d, first, last):.1f},{_y(p):.1f}" for d, p in line)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#3273dc" stroke-width="2"/>')
        for d, p in line:
            parts.append(
                f'<circle cx="{_x(d, first, last):.1f}" cy="{_y(p):.1f}" r="3" fill="#3273dc">'
                f"<title>{d}: {p}%</title></circle>"
            )
    for day, target, actual in targets:
        x, y = _x(day, first, last), _y(target)
        met = actual is not None and actual >= target
        colour = "#2a9d3a" if met else "#d1342f"
        if actual is not None:
            near_right = x > WIDTH - RIGHT - 60
            parts.append(
                f'<text x="{x - 6 if near_right else x + 6:.1f}" y="{_y(actual) + 16:.1f}" '
                f'text-anchor="{"end" if near_right else "start"}" fill="#3273dc" '
                f'font-weight="bold">{actual}%</text>'
            )
        parts.append(
            f'<line x1="{x - 18:.1f}" x2="{x + 18:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-width="2" stroke-dasharray="4 2"/>'
            f'<text x="{x - 22:.1f}" y="{y - 6:.1f}" text-anchor="end" fill="{colour}">'
            f"{escape(f'目标 {target}%')}</text>"
        )
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end" fill="#3273dc">'
        "— 覆盖率（已投保 / 符合条件）  - - 目标</text></svg>"
    )
    return Markup("".join(parts))  # dates and numbers only
