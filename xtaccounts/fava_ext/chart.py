"""The pages' charts as inline SVG: no script, no CDN (the machine serving the books is
offline), the same picture in every browser and in a screenshot. Labels are Chinese; amounts
carry thousands separators.

- `coverage_svg`: coverage (%) over the pilot window with the targets;
- `balance_svg`: a balance over time as a step line (one pool, or all pools together);
- `monthly_bars_svg`: amounts by month side by side (spread received and allocated).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import ROUND_FLOOR, Decimal
from html import escape

from markupsafe import Markup

from xtaccounts.core.money import grouped_money

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


# -- amounts ---------------------------------------------------------------------------------

MONEY_LEFT = 84  # room for "1,234,567" on the amount axis


def _step(span: Decimal) -> Decimal:
    """A round tick step (1, 2 or 5 times a power of ten) giving about five ticks over `span`."""
    if span <= 0:
        return Decimal(1)
    raw = span / 5
    power = Decimal(10) ** (raw.adjusted())
    for factor in (1, 2, 5, 10):
        if raw <= power * factor:
            return power * factor
    return power * 10


def _ticks(low: Decimal, high: Decimal) -> list[Decimal]:
    """Round ticks covering low..high (0 included)."""
    low, high = min(low, Decimal(0)), max(high, Decimal(0))
    step = _step(high - low)
    first = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    ticks = []
    value = first
    while value < high + step:
        ticks.append(value)
        value += step
    return ticks


def _axis_label(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,}"


def _frame(label: str, ticks: list[Decimal], y_of: Callable[[Decimal], float]) -> list[str]:
    """The chart's opening tag and its amount axis."""
    parts = [
        f'<svg class="xt-chart" role="img" aria-label="{escape(label)}" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg" '
        'font-size="11" font-family="sans-serif">'
    ]
    for tick in ticks:
        y = y_of(tick)
        parts.append(
            f'<line x1="{MONEY_LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{"#999" if tick == 0 else "#ddd"}" stroke-width="1"/>'
            f'<text x="{MONEY_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#666">'
            f"{_axis_label(tick)}</text>"
        )
    return parts


def balance_svg(points: Sequence[tuple[dt.date, Decimal]], last: dt.date, label: str) -> Markup:
    """A balance over time as a step line: `points` are (day, balance at its end) where it
    changed, drawn from the first to `last`; a year's start is marked on the time axis."""
    points = [(d, b) for d, b in points if d <= last]
    if not points:
        return Markup("")
    first = points[0][0]
    if first >= last:
        first = last - dt.timedelta(days=1)
    ticks = _ticks(min(b for _, b in points), max(b for _, b in points))
    low, high = ticks[0], ticks[-1]

    def x_of(day: dt.date) -> float:
        span = max((last - first).days, 1)
        return MONEY_LEFT + (WIDTH - MONEY_LEFT - RIGHT) * (day - first).days / span

    def y_of(value: Decimal) -> float:
        share = float((value - low) / (high - low)) if high > low else 0.0
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - share)

    parts = _frame(label, ticks, y_of)
    years = [dt.date(y, 1, 1) for y in range(first.year + 1, last.year + 1)]
    for day in [first, *years, last]:
        x = x_of(day)
        text = f"{day.year}年" if day in years else str(day)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM + 4}" '
            'stroke="#666"/>'
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" '
            f'text-anchor="{"start" if day == first else "end" if day == last else "middle"}" '
            f'fill="#666">{text}</text>'
        )
    path = []
    previous = None
    for day, balance in points:
        x, y = x_of(day), y_of(balance)
        if previous is not None:
            path.append(f"{x:.1f},{previous:.1f}")
        path.append(f"{x:.1f},{y:.1f}")
        previous = y
    path.append(f"{x_of(last):.1f},{previous:.1f}")
    parts.append(
        f'<polyline points="{" ".join(path)}" fill="none" stroke="#3273dc" stroke-width="2"/>'
    )
    for day, balance in points:
        parts.append(
            f'<circle cx="{x_of(day):.1f}" cy="{y_of(balance):.1f}" r="2.5" fill="#3273dc">'
            f"<title>{day}：{grouped_money(balance)} 元</title></circle>"
        )
    end = points[-1][1]
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end" fill="#3273dc">'
        f"— {escape(label)}（元），{last} 日终 {grouped_money(end)} 元</text></svg>"
    )
    return Markup("".join(parts))  # dates, numbers and our own labels, escaped


def monthly_bars_svg(
    months: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[Decimal]]],
    label: str,
) -> Markup:
    """Amounts by month (``YYYY-MM``) as bars side by side, one colour per series
    (name, colour, one amount per month), with a legend."""
    if not months or not series:
        return Markup("")
    values = [v for _, _, amounts in series for v in amounts]
    ticks = _ticks(min(values), max(values))
    low, high = ticks[0], ticks[-1]
    slot = (WIDTH - MONEY_LEFT - RIGHT) / len(months)
    bar = max(1.0, min(14.0, (slot - 4) / len(series)))

    def y_of(value: Decimal) -> float:
        share = float((value - low) / (high - low)) if high > low else 0.0
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - share)

    parts = _frame(label, ticks, y_of)
    every = max(1, -(-len(months) // 12))  # at most about 12 month labels
    zero = y_of(Decimal(0))
    labelled_year = ""
    for i, month in enumerate(months):
        left = MONEY_LEFT + slot * i + (slot - bar * len(series)) / 2
        for j, (name, colour, amounts) in enumerate(series):
            amount = amounts[i]
            if not amount:
                continue
            top = min(y_of(amount), zero)
            height = max(abs(y_of(amount) - zero), 1.0)
            parts.append(
                f'<rect x="{left + bar * j:.1f}" y="{top:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{colour}"><title>{month} {escape(name)}：'
                f"{grouped_money(amount)} 元</title></rect>"
            )
        if i % every == 0:
            year, _, mon = month.partition("-")
            text = f"{year}年{int(mon)}月" if year != labelled_year else f"{int(mon)}月"
            labelled_year = year
            x = MONEY_LEFT + slot * (i + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" '
                f'fill="#666">{text}</text>'
            )
    legend = "　".join(
        f'<tspan fill="{colour}">■ {escape(name)}</tspan>' for name, colour, _ in series
    )
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end">{legend}（元）</text></svg>'
    )
    return Markup("".join(parts))
