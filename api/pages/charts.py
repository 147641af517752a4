"""The pages' figures as data for inline SVG: flags per rule and month, a unit's month."""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

PALETTE = (
    "#1f5f8b",
    "#c0392b",
    "#d68910",
    "#1e8449",
    "#7d3c98",
    "#2e4053",
    "#a04000",
    "#117a65",
    "#b03a2e",
    "#5b2c6f",
    "#9a7d0a",
    "#21618c",
)
BAR_WIDTH = 56
GAP = 28
HEIGHT = 180


@dataclass(frozen=True)
class Segment:
    rule: str
    count: int
    x: int
    y: int
    width: int
    height: int
    colour: str


@dataclass(frozen=True)
class BarChart:
    """Stacked bars: one per month, one segment per rule, scaled to the busiest month."""

    months: list[str]
    rules: list[str]
    counts: Mapping[tuple[str, str], int]
    segments: list[Segment]
    totals: list[tuple[str, int, int]]  # month, total, x of its bar
    width: int
    height: int
    colours: Mapping[str, str]


def flags_chart(flags: Iterable[tuple[str, str]]) -> BarChart:
    """`flags` as (rule, month "YYYY-MM") pairs."""
    counts = Counter(flags)
    months = sorted({m for _, m in counts})
    rules = sorted({r for r, _ in counts})
    colours = {rule: PALETTE[n % len(PALETTE)] for n, rule in enumerate(rules)}
    per_month = {m: sum(c for (_, mm), c in counts.items() if mm == m) for m in months}
    top = max(per_month.values(), default=1)
    segments: list[Segment] = []
    totals = []
    for n, month in enumerate(months):
        x = GAP + n * (BAR_WIDTH + GAP)
        y = HEIGHT + 10
        for rule in rules:
            count = counts.get((rule, month), 0)
            if not count:
                continue
            h = max(2, round(count * HEIGHT / top))
            y -= h
            segments.append(Segment(rule, count, x, y, BAR_WIDTH, h, colours[rule]))
        totals.append((month, per_month[month], x))
    width = GAP + len(months) * (BAR_WIDTH + GAP)
    return BarChart(
        months, rules, dict(counts), segments, totals, max(width, 200), HEIGHT + 40, colours
    )


def month_weeks(month: date) -> list[list[date | None]]:
    """The weeks of `month`, Monday first, with None outside the month."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    return [[d if d.month == month.month else None for d in week] for week in weeks]


def month_bounds(month: date) -> tuple[date, date]:
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=1), month.replace(day=last)
