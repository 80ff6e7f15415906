"""Small bar charts as inline SVG, drawn on the server: no chart library, no script.

Each chart is an ``<svg role="img">`` with a title, one ``<title>`` per bar (the tooltip), and a
visually hidden table with the same numbers for screen readers. Colours come from CSS custom
properties, so the charts follow the light/dark theme.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 220
LEFT, BOTTOM, TOP = 48, 28, 12


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _short(value: float) -> str:
    """An axis label of three significant digits at most: 32,309 → 32.3k, 1,500,000 → 1.5M."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.3g}M"
    if value >= 1_000:
        return f"{value / 1_000:.3g}k"
    return f"{value:.3g}"


def _table(points: list[tuple[str, int]], title: str, unit: str) -> str:
    rows = "".join(f'<tr><th scope="row">{escape(label)}</th><td>{value:,}</td></tr>' for label, value in points)
    return (
        f'<table class="visually-hidden"><caption>{escape(title)}</caption>'
        f'<tr><th scope="col">{"item"}</th><th scope="col">{escape(unit)}</th></tr>{rows}</table>'
    )


def bar_chart(points: list[tuple[str, int]], title: str, unit: str, *, horizontal: bool = False) -> Markup:
    """A bar chart of ``(label, value)`` points."""
    if not points or not any(value for _, value in points):
        return Markup(f'<p class="empty-chart">No {escape(unit)} in this period yet.</p>')  # noqa: S704 - unit escaped
    return Markup(_horizontal(points, title, unit) if horizontal else _vertical(points, title, unit))  # noqa: S704 - every label and title escaped where built


def _vertical(points: list[tuple[str, int]], title: str, unit: str) -> str:
    top = _nice_max(max(value for _, value in points))
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / len(points)
    bar_w = max(slot * 0.7, 1)
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">']
    for i in range(5):  # gridlines with their values
        y = TOP + plot_h * i / 4
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_short(top * (4 - i) / 4)}</text>'
        )
    every = max(1, len(points) // 6)
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top
        x = LEFT + slot * i + (slot - bar_w) / 2
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" '
            f'height="{h:.1f}"><title>{escape(label)}: {value:,} {escape(unit)}</title></rect>'
        )
        if i % every == 0:  # on a phone every other label is left out (CSS), so they stay readable
            minor = " minor" if i % (every * 2) else ""
            parts.append(
                f'<text class="axis{minor}" x="{x + bar_w / 2:.1f}" y="{HEIGHT - 8}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts) + _table(points, title, unit)


def _horizontal(points: list[tuple[str, int]], title: str, unit: str) -> str:
    top = _nice_max(max(value for _, value in points))
    row, label_w = 28, 150
    height = TOP + row * len(points) + 8
    plot_w = WIDTH - label_w - 70
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">']
    for i, (label, value) in enumerate(points):
        y = TOP + row * i
        w = plot_w * value / top
        name = label if len(label) <= 22 else label[:21] + "…"
        parts.append(f'<text class="axis" x="{label_w - 8}" y="{y + 17}" text-anchor="end">{escape(name)}</text>')
        parts.append(
            f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row - 10}">'
            f"<title>{escape(label)}: {value:,} {escape(unit)}</title></rect>"
        )
        parts.append(f'<text class="axis" x="{label_w + w + 6:.1f}" y="{y + 17}">{_short(value)}</text>')
    parts.append("</svg>")
    return "".join(parts) + _table(points, title, unit)
