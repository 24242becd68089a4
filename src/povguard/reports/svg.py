"""Small server-side SVG charts for printed reports (no JavaScript): bars and lines."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

FONT = "Noto Sans CJK SC, sans-serif"
COLORS = ("#b3261e", "#1f5fa8", "#2e7d32", "#8e6c00")
WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 44


def _nice_max(value: float) -> float:
    """A round axis maximum ≥ value: 4 ticks of 1, 2, (2.5) or 5 × 10^k, at least 1."""
    if value <= 0:
        return 4.0
    quarter = value / 4
    power = 10 ** math.floor(math.log10(quarter))
    steps = (1, 2, 2.5, 5, 10) if power >= 10 else (1, 2, 5, 10)
    for step in steps:
        if quarter <= step * power:
            return float(4 * max(step * power, 1))
    return float(40 * power)


def _text(x: float, y: float, content: str, *, anchor: str = "middle", size: int = 11) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-family="{FONT}" fill="#333">{escape(content)}</text>'
    )


def _frame(top: float, labels: Sequence[str], slot: float) -> list[str]:
    """Horizontal grid with 4 ticks up to `top`, and the category labels along the bottom."""
    parts = []
    plot_height = HEIGHT - TOP - BOTTOM
    for tick in range(5):
        value = top * tick / 4
        y = HEIGHT - BOTTOM - plot_height * tick / 4
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#ddd" stroke-width="1"/>'
        )
        parts.append(_text(LEFT - 6, y + 4, f"{value:g}", anchor="end", size=10))
    every = max(1, math.ceil(len(labels) / 12))
    for index, label in enumerate(labels):
        if index % every == 0:
            parts.append(_text(LEFT + slot * (index + 0.5), HEIGHT - BOTTOM + 16, label, size=10))
    return parts


def _svg(parts: list[str], legend: Sequence[str] = ()) -> str:
    for index, name in enumerate(legend):
        x = LEFT + index * 150
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" '
            f'fill="{COLORS[index % len(COLORS)]}"/>'
        )
        parts.append(_text(x + 14, HEIGHT - 5, name, anchor="start", size=10))
    body = "".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">{body}</svg>'
    )


def bar_chart(labels: Sequence[str], values: Sequence[float]) -> str:
    """Vertical bars, one per label, with the value above each bar."""
    top = _nice_max(max(values, default=0))
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    plot_height = HEIGHT - TOP - BOTTOM
    parts = _frame(top, labels, slot)
    for index, value in enumerate(values):
        height = plot_height * value / top
        x = LEFT + slot * index + slot * 0.2
        y = HEIGHT - BOTTOM - height
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" height="{height:.1f}" '
            f'fill="{COLORS[0]}"/>'
        )
        parts.append(_text(x + slot * 0.3, y - 3, f"{value:g}", size=10))
    return _svg(parts)


def line_chart(labels: Sequence[str], series: dict[str, Sequence[float]]) -> str:
    """One polyline with dots per named series over the labels (e.g. months)."""
    top = _nice_max(max((v for values in series.values() for v in values), default=0))
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    plot_height = HEIGHT - TOP - BOTTOM
    parts = _frame(top, labels, slot)
    for number, values in enumerate(series.values()):
        color = COLORS[number % len(COLORS)]
        points = [
            (LEFT + slot * (i + 0.5), HEIGHT - BOTTOM - plot_height * v / top)
            for i, v in enumerate(values)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in points)
    return _svg(parts, legend=list(series))
