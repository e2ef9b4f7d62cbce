"""Inline SVG charts for the scorecard: no library, no script, no network.

Each function returns one ``<svg>`` element as a string, with ``data-chart`` naming the chart
(the browser test counts the marks of each chart through it), a ``role="img"`` and an
``aria-label`` describing it, and a ``<title>`` on every mark so hovering shows its value.
Charts only draw the values they are given: every number comes from a published mart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 720, 280
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 16, 40

# Colour-blind-safe palette (Okabe-Ito) and the health band colours.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
POSITIVE, NEGATIVE, TOTAL = "#009E73", "#D55E00", "#0072B2"
BAND_COLOURS = {"green": "#2E9E5B", "yellow": "#E3B505", "red": "#C8413B"}


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    colour: str = PALETTE[0]
    unit: str = ""


def fmt(value: float | None, decimals: int = 1, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if unit == "$":
        return f"${value:,.0f}"
    return f"{value:,.{decimals}f}{unit}"


def fmt_axis(value: float, decimals: int, unit: str) -> str:
    """Compact tick labels: $1.25M, $750k, 40%."""
    if unit == "$":
        magnitude = abs(value)
        if magnitude >= 1_000_000:
            return f"${value / 1_000_000:,.2f}".rstrip("0").rstrip(".") + "M"
        if magnitude >= 1_000:
            return f"${value / 1_000:,.1f}".rstrip("0").rstrip(".") + "k"
        return f"${value:,.0f}"
    return fmt(value, decimals, unit)


def nice_range(values: Sequence[float], include_zero: bool = False) -> tuple[float, float]:
    """Axis bounds a little wider than the data, on round steps."""
    low, high = min(values), max(values)
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    if math.isclose(low, high):
        low, high = low - 1, high + 1
    step = nice_step((high - low) / 5)
    return math.floor(low / step) * step, math.ceil(high / step) * step


def nice_step(raw: float) -> float:
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _open_svg(chart: str, label: str, height: int = HEIGHT) -> str:
    return (
        f'<svg class="chart" data-chart="{chart}" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {WIDTH} {height}" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>"
    )


def _y_axis(low: float, high: float, scale_y, unit: str, decimals: int) -> list[str]:
    parts = []
    step = nice_step((high - low) / 5)
    tick = low
    while tick <= high + step / 1000:
        y = scale_y(tick)
        parts.append(
            f'<line class="grid" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(fmt_axis(tick, decimals if step < 1 else 0, unit))}</text>"
        )
        tick += step
    return parts


def _x_labels(labels: Sequence[str], scale_x, height: int = HEIGHT) -> list[str]:
    every = max(1, math.ceil(len(labels) / 12))
    shown = [i for i in range(len(labels)) if i % every == 0]
    if labels and shown[-1] != len(labels) - 1:
        # always label the last month; drop the one before when they would overlap
        if len(labels) - 1 - shown[-1] < every:
            shown.pop()
        shown.append(len(labels) - 1)
    return [
        f'<text class="tick" x="{scale_x(i):.1f}" y="{height - MARGIN_BOTTOM + 16}" text-anchor="middle">{escape(labels[i])}</text>'
        for i in shown
    ]


def line_chart(
    chart: str,
    label: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    band: tuple[Sequence[float | None], Sequence[float | None]] | None = None,
    decimals: int = 1,
    include_zero: bool = False,
    reference: float | None = None,
) -> str:
    """Lines over months; a shaded band (e.g. a margin of error) under the first series.

    Marks: one ``path.series`` per series with at least one value, one ``circle.point`` per
    non-null value, one ``path.band`` when a band is given.
    """
    values = [v for s in series for v in s.values if v is not None]
    if band is not None:
        values += [v for v in (*band[0], *band[1]) if v is not None]
    if reference is not None:
        values.append(reference)
    low, high = nice_range(values or [0.0, 1.0], include_zero=include_zero)
    unit = series[0].unit if series else ""
    n = len(x_labels)
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def scale_x(i: float) -> float:
        return MARGIN_LEFT + (plot_w * (i + 0.5) / n if n else 0)

    def scale_y(v: float) -> float:
        return MARGIN_TOP + plot_h * (1 - (v - low) / (high - low))

    parts = [_open_svg(chart, label)]
    parts += _y_axis(low, high, scale_y, unit, decimals)
    if reference is not None:
        y = scale_y(reference)
        parts.append(
            f'<line class="reference" x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
    if band is not None:
        lower, upper = band
        points = [
            (i, lo, up)
            for i, (lo, up) in enumerate(zip(lower, upper, strict=False))
            if lo is not None and up is not None
        ]
        if points:
            top = " L ".join(f"{scale_x(i):.1f} {scale_y(up):.1f}" for i, _, up in points)
            bottom = " L ".join(f"{scale_x(i):.1f} {scale_y(lo):.1f}" for i, lo, _ in reversed(points))
            parts.append(
                f'<path class="band" d="M {top} L {bottom} Z" fill="{series[0].colour}" fill-opacity="0.15">'
                f"<title>{escape(series[0].name)}: 95% margin of error</title></path>"
            )
    for s in series:
        segments: list[list[tuple[int, float]]] = [[]]
        for i, v in enumerate(s.values):
            if v is None:
                segments.append([])
            else:
                segments[-1].append((i, v))
        d = " ".join(
            "M " + " L ".join(f"{scale_x(i):.1f} {scale_y(v):.1f}" for i, v in segment)
            for segment in segments
            if segment
        )
        if d:
            parts.append(f'<path class="series" d="{d}" fill="none" stroke="{s.colour}" stroke-width="2.5"/>')
        for i, v in enumerate(s.values):
            if v is not None:
                parts.append(
                    f'<circle class="point" cx="{scale_x(i):.1f}" cy="{scale_y(v):.1f}" r="3.5" fill="{s.colour}">'
                    f"<title>{escape(x_labels[i])} · {escape(s.name)}: {escape(fmt(v, decimals, s.unit))}</title></circle>"
                )
    parts += _x_labels(x_labels, scale_x)
    parts.append(_legend([(s.name, s.colour) for s in series]))
    parts.append("</svg>")
    return "".join(parts)


def _legend(items: Sequence[tuple[str, str]]) -> str:
    if len(items) < 2:
        return ""
    out, x = [], MARGIN_LEFT + 8
    for name, colour in items:
        out.append(
            f'<rect class="legend" x="{x}" y="{MARGIN_TOP}" width="12" height="12" fill="{colour}"/>'
            f'<text class="legend-label" x="{x + 16}" y="{MARGIN_TOP + 10}">{escape(name)}</text>'
        )
        x += 28 + 7 * len(name)
    return "".join(out)


def bar_chart(
    chart: str,
    label: str,
    categories: Sequence[str],
    values: Sequence[float],
    colours: Sequence[str] | None = None,
    unit: str = "",
    decimals: int = 0,
    max_value: float | None = None,
    label_w: int = 170,
) -> str:
    """Horizontal bars, one ``rect.bar`` per category, value printed at the end of each bar;
    ``label_w``: room for the category labels (long driver names need more)."""
    row_h = 26
    height = MARGIN_TOP + MARGIN_BOTTOM // 2 + row_h * max(len(categories), 1)
    plot_w = WIDTH - label_w - MARGIN_RIGHT - 70
    top = max_value if max_value is not None else max([*values, 0.0]) or 1.0
    parts = [_open_svg(chart, label, height)]
    for i, (category, value) in enumerate(zip(categories, values, strict=False)):
        y = MARGIN_TOP + i * row_h
        w = max(plot_w * value / top, 0.0) if top else 0.0
        colour = colours[i] if colours else PALETTE[0]
        shown = fmt(value, decimals, unit)
        parts.append(
            f'<text class="category" x="{label_w - 8}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">{escape(category)}</text>'
            f'<rect class="bar" data-value="{value}" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{colour}">'
            f"<title>{escape(category)}: {escape(shown)}</title></rect>"
            f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + row_h / 2 + 4:.1f}">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def waterfall_chart(chart: str, label: str, steps: Sequence[tuple[str, float]], start: float, unit: str = "$") -> str:
    """MRR bridge: a starting total, one floating ``rect.step`` per movement, an ending total.

    Marks: ``rect.total`` for the start and end bars, ``rect.step`` per movement.
    """
    end = start + sum(v for _, v in steps)
    running, tops = start, [start, end]
    for _, v in steps:
        running += v
        tops.append(running)
    # The axis zooms on the movements (starting at 0 would flatten them against the totals);
    # the total bars rise from the bottom of the axis, and the caption says so.
    span = max(tops) - min(tops)
    pad = max(span * 0.6, max(abs(start), abs(end), 1.0) * 0.002)
    low, high = nice_range([min(tops) - pad, max(tops) + pad])
    low = max(low, 0.0) if min(tops) >= 0 else low
    labels = ["Starting MRR", *[name for name, _ in steps], "Ending MRR"]
    n = len(labels)
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    slot = plot_w / n

    def scale_y(v: float) -> float:
        return MARGIN_TOP + plot_h * (1 - (v - low) / (high - low))

    parts = [_open_svg(chart, label)]
    parts += _y_axis(low, high, scale_y, unit, 0)

    def bar(i: int, a: float, b: float, css: str, colour: str, title: str) -> str:
        y0, y1 = sorted((scale_y(a), scale_y(b)))
        x = MARGIN_LEFT + i * slot + slot * 0.15
        return (
            f'<rect class="{css}" x="{x:.1f}" y="{y0:.1f}" width="{slot * 0.7:.1f}" height="{max(y1 - y0, 1.0):.1f}" fill="{colour}">'
            f"<title>{escape(title)}</title></rect>"
        )

    parts.append(bar(0, low, start, "total", TOTAL, f"Starting MRR: {fmt(start, unit=unit)}"))
    running = start
    for i, (name, value) in enumerate(steps, start=1):
        colour = POSITIVE if value >= 0 else NEGATIVE
        sign = "+" if value >= 0 else "−"
        parts.append(bar(i, running, running + value, "step", colour, f"{name}: {sign}{fmt(abs(value), unit=unit)}"))
        running += value
    parts.append(bar(n - 1, low, end, "total", TOTAL, f"Ending MRR: {fmt(end, unit=unit)}"))
    for i, name in enumerate(labels):
        parts.append(
            f'<text class="tick" x="{MARGIN_LEFT + i * slot + slot / 2:.1f}" y="{HEIGHT - MARGIN_BOTTOM + 16}" '
            f'text-anchor="middle">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def heatmap_chart(
    chart: str,
    label: str,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    cells: dict[tuple[int, int], float],
    counts: dict[int, int] | None = None,
) -> str:
    """Cohort grid: one ``rect.cell`` per (row, column) value, shaded 0-100 %, value inside."""
    label_w, top = 120, 34
    cell_w = min((WIDTH - label_w - MARGIN_RIGHT) / max(len(column_labels), 1), 48)
    label_every = 1 if cell_w >= 22 else 2 if cell_w >= 11 else 4
    cell_h = 20
    height = top + cell_h * len(row_labels) + 10
    parts = [_open_svg(chart, label, height)]
    for j, column in enumerate(column_labels):
        if j % label_every:
            continue
        parts.append(
            f'<text class="tick" x="{label_w + j * cell_w + cell_w / 2:.1f}" y="{top - 8}" text-anchor="middle">{escape(column)}</text>'
        )
    for i, row in enumerate(row_labels):
        y = top + i * cell_h
        suffix = f" ({counts[i]})" if counts and i in counts else ""
        parts.append(
            f'<text class="tick" x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(row + suffix)}</text>'
        )
        for j in range(len(column_labels)):
            if (i, j) not in cells:
                continue
            value = cells[(i, j)]
            shade = max(0.0, min(value, 100.0)) / 100.0
            # from pale to deep blue as retention rises
            colour = f"rgb({int(235 - 200 * shade)},{int(243 - 130 * shade)},{int(251 - 75 * shade)})"
            text_colour = "#fff" if shade > 0.55 else "#1b1b1b"
            x = label_w + j * cell_w
            parts.append(
                f'<rect class="cell" x="{x:.1f}" y="{y}" width="{cell_w - 1:.1f}" height="{cell_h - 1}" fill="{colour}">'
                f"<title>{escape(row)}, month {escape(column_labels[j])}: {value:.1f}%</title></rect>"
            )
            if cell_w >= 30:
                parts.append(
                    f'<text class="cell-value" x="{x + cell_w / 2:.1f}" y="{y + 14}" text-anchor="middle" fill="{text_colour}">{value:.0f}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)


def diverging_bar_chart(
    chart: str, label: str, categories: Sequence[str], values: Sequence[float], unit: str = "", decimals: int = 1
) -> str:
    """Horizontal bars either side of a zero line (e.g. NPS gap), one ``rect.bar`` per category:
    positive values to the right in ``POSITIVE``, negative to the left in ``NEGATIVE``."""
    row_h = 26
    # at least two rows high: a single theme's bar stays legible beside the other charts
    height = MARGIN_TOP + MARGIN_BOTTOM // 2 + row_h * max(len(categories), 2)
    label_w = 170
    plot_w = WIDTH - label_w - MARGIN_RIGHT - 60
    reach = max([abs(v) for v in values] + [1e-9])
    # 50 px left of the negative bars keep their printed value clear of the category labels
    half = (plot_w - 50) / 2
    zero = label_w + 50 + half
    parts = [_open_svg(chart, label, height)]
    parts.append(f'<line class="reference" x1="{zero:.1f}" x2="{zero:.1f}" y1="{MARGIN_TOP}" y2="{height - 6}"/>')
    for i, (category, value) in enumerate(zip(categories, values, strict=False)):
        y = MARGIN_TOP + i * row_h
        w = half * abs(value) / reach
        x = zero if value >= 0 else zero - w
        shown = ("+" if value > 0 else "") + fmt(value, decimals, unit)
        text_x, anchor = (zero + w + 6, "start") if value >= 0 else (zero - w - 6, "end")
        parts.append(
            f'<text class="category" x="{label_w - 8}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">{escape(category)}</text>'
            f'<rect class="bar" data-value="{value}" x="{x:.1f}" y="{y + 3}" width="{max(w, 1.0):.1f}" height="{row_h - 6}" '
            f'fill="{POSITIVE if value >= 0 else NEGATIVE}"><title>{escape(category)}: {escape(shown)}</title></rect>'
            f'<text class="value" x="{text_x:.1f}" y="{y + row_h / 2 + 4:.1f}" text-anchor="{anchor}">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
