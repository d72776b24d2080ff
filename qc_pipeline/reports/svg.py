"""Small inline-SVG charts drawn at report time: no script, no external file, the same bytes every run.

Colours come from CSS classes in the page's stylesheet (bar-ok, bar-bad, s0..s7, band-line, ...), so a
chart is only geometry and escaped text.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

from markupsafe import Markup, escape

PALETTE_SIZE = 8


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    css: str = "bar"           # bar-ok | bar-bad | bar-muted | band-<name> ...
    note: str | None = None    # text above the bar; the value when None


@dataclass(frozen=True)
class Line:
    value: float
    label: str
    css: str = "ref-line"
    left: bool = False  # label at the left end, clear of labels at the right


def num(x: float) -> str:
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def nice_max(value: float, integer: bool = False) -> float:
    """The smallest 1/2/2.5/5 × 10^k step count of four that covers value (whole steps for counts)."""
    if value <= 0:
        return 4.0 if integer else 1.0
    raw = value / 4
    if integer:
        raw = max(raw, 1.0)
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10):
        if step * power >= raw:
            return step * power * 4
    return value  # pragma: no cover


class _Canvas:
    def __init__(self, width: int, height: int, title: str, left: int = 48, bottom: int = 40, top: int = 24,
                 right: int = 16):
        self.width, self.height = width, height
        self.left, self.bottom, self.top, self.right = left, bottom, top, right
        self.parts: list[str] = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
            f"<title>{escape(title)}</title>",
        ]

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom

    def y(self, value: float, y_max: float) -> float:
        return self.top + self.plot_h * (1 - min(max(value, 0.0), y_max) / y_max)

    def text(self, x: float, y: float, content: str, css: str = "axis-label", anchor: str = "middle") -> None:
        self.parts.append(
            f'<text x="{num(x)}" y="{num(y)}" class="{css}" text-anchor="{anchor}">{escape(content)}</text>'
        )

    def axes(self, y_max: float, fmt: Callable[[float], str]) -> None:
        for i in range(5):
            value = y_max * i / 4
            y = self.y(value, y_max)
            self.parts.append(
                f'<line x1="{self.left}" y1="{num(y)}" x2="{self.width - self.right}" y2="{num(y)}" class="grid"/>'
            )
            self.text(self.left - 6, y + 4, fmt(value), anchor="end")
        base = self.top + self.plot_h
        self.parts.append(
            f'<line x1="{self.left}" y1="{num(base)}" x2="{self.width - self.right}" y2="{num(base)}" class="axis"/>'
        )

    def hline(self, line: Line, y_max: float) -> None:
        if line.value > y_max:
            return
        y = self.y(line.value, y_max)
        self.parts.append(
            f'<line x1="{self.left}" y1="{num(y)}" x2="{self.width - self.right}" y2="{num(y)}" class="{line.css}"/>'
        )
        if line.left:
            self.text(self.left + 4, y - 4, line.label, css=f"{line.css}-label", anchor="start")
        else:
            self.text(self.width - self.right - 2, y - 4, line.label, css=f"{line.css}-label", anchor="end")

    def done(self) -> Markup:
        return Markup("".join(self.parts) + "</svg>")


def bar_chart(
    bars: Sequence[Bar],
    title: str,
    fmt: Callable[[float], str],
    lines: Sequence[Line] = (),
    y_max: float | None = None,
    width: int = 560,
    height: int = 240,
    integer: bool = False,
) -> Markup:
    """Vertical bars with optional horizontal reference lines (targets, bands)."""
    c = _Canvas(width, height, title)
    top = max([b.value for b in bars] + [line.value for line in lines] + [0.0])
    y_max = y_max or nice_max(top, integer)
    c.axes(y_max, fmt)
    slot = c.plot_w / max(len(bars), 1)
    bar_w = min(slot * 0.7, 56)
    for i, b in enumerate(bars):
        x = c.left + slot * i + (slot - bar_w) / 2
        y = c.y(b.value, y_max)
        h = c.top + c.plot_h - y
        c.parts.append(
            f'<rect x="{num(x)}" y="{num(y)}" width="{num(bar_w)}" height="{num(h)}" class="{escape(b.css)}">'
            f"<title>{escape(b.label)}: {escape(b.note if b.note is not None else fmt(b.value))}</title></rect>"
        )
        c.text(x + bar_w / 2, y - 4, b.note if b.note is not None else fmt(b.value), css="bar-value")
        c.text(x + bar_w / 2, c.top + c.plot_h + 16, b.label)
    for line in lines:
        c.hline(line, y_max)
    return c.done()


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    title: str,
    fmt: Callable[[float], str],
    lines: Sequence[Line] = (),
    y_max: float | None = None,
    width: int = 560,
    height: int = 240,
) -> Markup:
    """One polyline per series; a missing value breaks the line. A legend follows when there are several."""
    legend_h = 18 * ((len(series) + 1) // 2) if len(series) > 1 else 0
    # Room on the right for the last x label, centred on the last point.
    c = _Canvas(width, height + legend_h, title, bottom=40 + legend_h, right=36)
    values = [v for _, vs in series for v in vs if v is not None]
    y_max = y_max or nice_max(max(values + [line.value for line in lines] + [0.0]))
    c.axes(y_max, fmt)
    n = len(x_labels)
    step = c.plot_w / max(n - 1, 1) if n > 1 else 0
    xs = [c.left + (step * i if n > 1 else c.plot_w / 2) for i in range(n)]
    for x, label in zip(xs, x_labels):
        c.text(x, c.top + c.plot_h + 16, label)
    for line in lines:
        c.hline(line, y_max)
    for k, (name, vs) in enumerate(series):
        css = f"s{k % PALETTE_SIZE}"
        run: list[str] = []
        for x, v in list(zip(xs, vs)) + [(None, None)]:
            if v is None:
                if len(run) > 1:
                    c.parts.append(f'<polyline points="{" ".join(run)}" class="series {css}"/>')
                run = []
                continue
            run.append(f"{num(x)},{num(c.y(v, y_max))}")
        for x, v in zip(xs, vs):
            if v is not None:
                c.parts.append(
                    f'<circle cx="{num(x)}" cy="{num(c.y(v, y_max))}" r="3" class="dot {css}">'
                    f"<title>{escape(name)}: {escape(fmt(v))}</title></circle>"
                )
        if len(series) > 1:
            lx = c.left + (k % 2) * (c.plot_w / 2)
            ly = height + 18 * (k // 2) + 4
            c.parts.append(f'<rect x="{num(lx)}" y="{num(ly - 9)}" width="12" height="4" class="legend {css}"/>')
            c.text(lx + 18, ly - 4, name, css="legend-label", anchor="start")
    return c.done()


def hbar_chart(bars: Sequence[Bar], title: str, width: int = 420, row: int = 26) -> Markup:
    """Horizontal bars with counts, e.g. how many agents sit in each conversion band."""
    label_w = 120
    c = _Canvas(width, row * len(bars) + 12, title, left=label_w, bottom=6, top=6, right=40)
    top = max([b.value for b in bars] + [1.0])
    for i, b in enumerate(bars):
        y = c.top + row * i
        w = c.plot_w * b.value / top
        c.text(label_w - 8, y + row / 2 + 4, b.label, anchor="end")
        c.parts.append(
            f'<rect x="{label_w}" y="{num(y + 4)}" width="{num(w)}" height="{row - 8}" class="{escape(b.css)}"/>'
        )
        c.text(label_w + w + 6, y + row / 2 + 4, b.note if b.note is not None else num(b.value), css="bar-value",
               anchor="start")
    return c.done()
