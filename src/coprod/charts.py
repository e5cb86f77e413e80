"""Static inline SVG charts for the site: horizontal bars with confidence intervals, grouped bars
per source, stacked distributions. Every chart has a <title> and <desc> (for screen readers),
fixed geometry and fixed number formatting, so the bytes are identical on every build.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Colour-blind-safe palette (Okabe–Ito), dark enough for contrast on white.
PALETTE = ("#0b5d8f", "#c25400", "#117a5b", "#8d4a9c", "#6b6b00", "#a23a3a", "#3c6e9c")
PLOT_WIDTH = 400  # the 0–100 % axis
CHAR_WIDTH = 6.6  # of a 12 px label, to size the label column to the longest label
BAR_HEIGHT = 16
GAP = 8
AXIS = 22


@dataclass(frozen=True)
class Bar:
    label: str
    percent: float | None  # None: suppressed, drawn as a marker without a bar
    low: float | None = None
    high: float | None = None
    series: int = 0  # index into the legend / palette


def _id(title: str, salt: str) -> str:
    return "c-" + re.sub(r"[^a-z0-9]+", "-", f"{salt} {title}".lower()).strip("-")[:60]


@dataclass(frozen=True)
class _Frame:
    label_width: float

    @classmethod
    def for_labels(cls, labels: Sequence[str]) -> _Frame:
        longest = max((len(label) for label in labels), default=0)
        return cls(min(360.0, max(120.0, 16 + CHAR_WIDTH * longest)))

    @property
    def width(self) -> float:
        return self.label_width + PLOT_WIDTH + 50  # room for the value after a full bar

    def x(self, percent: float) -> float:
        return self.label_width + PLOT_WIDTH * percent / 100


def _axis(frame: _Frame, y: float) -> list[str]:
    parts = []
    for tick in (0, 25, 50, 75, 100):
        x = frame.x(tick)
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{x:.1f}" y="{y + 14:.1f}" class="tick">{tick} %</text>')
    return parts


def bars(bars: Sequence[Bar], *, title: str, description: str, legend: Sequence[str] = (),
         salt: str = "") -> Markup:
    """Horizontal bars on a 0–100 % axis, with 95 % interval whiskers where given."""
    ident = _id(title, salt)
    frame = _Frame.for_labels([b.label for b in bars])
    label_x = frame.label_width - 8
    parts: list[str] = []
    y = 0.0
    previous = None
    for bar in bars:
        if previous is not None and bar.label != previous:
            y += GAP
        if bar.label != previous:
            parts.append(f'<text x="{label_x:.1f}" y="{y + BAR_HEIGHT - 4:.1f}" '
                         f'class="label">{escape(bar.label)}</text>')
        colour = PALETTE[bar.series % len(PALETTE)]
        if bar.percent is None:
            parts.append(f'<text x="{frame.label_width + 4:.1f}" y="{y + BAR_HEIGHT - 4:.1f}" '
                         'class="value">◆ suppressed</text>')
        else:
            width = frame.x(bar.percent) - frame.label_width
            parts.append(f'<rect x="{frame.label_width:.1f}" y="{y:.1f}" width="{width:.1f}" '
                         f'height="{BAR_HEIGHT}" fill="{colour}"/>')
            end = bar.percent
            if bar.low is not None and bar.high is not None:
                mid = y + BAR_HEIGHT / 2
                parts.append(f'<line x1="{frame.x(bar.low):.1f}" y1="{mid:.1f}" '
                             f'x2="{frame.x(bar.high):.1f}" y2="{mid:.1f}" class="ci"/>')
                end = max(end, bar.high)
            parts.append(f'<text x="{frame.x(end) + 4:.1f}" y="{y + BAR_HEIGHT - 4:.1f}" '
                         f'class="value">{bar.percent:.1f}</text>')
        previous = bar.label
        y += BAR_HEIGHT + 2
    return _svg(frame, ident, title, description, parts, y, legend)


def stacked(rows: Sequence[tuple[str, Sequence[float | None]]], categories: Sequence[str], *,
            title: str, description: str, salt: str = "") -> Markup:
    """One 100 % bar per row, split into categories; a row with any suppressed cell is drawn
    without its figures."""
    ident = _id(title, salt)
    frame = _Frame.for_labels([label for label, _ in rows])
    parts: list[str] = []
    y = 0.0
    for label, cells in rows:
        parts.append(f'<text x="{frame.label_width - 8:.1f}" y="{y + BAR_HEIGHT - 4:.1f}" '
                     f'class="label">{escape(label)}</text>')
        if any(c is None for c in cells):
            parts.append(f'<text x="{frame.label_width + 4:.1f}" y="{y + BAR_HEIGHT - 4:.1f}" '
                         'class="value">◆ suppressed</text>')
        else:
            start = 0.0
            for i, cell in enumerate(cells):
                assert cell is not None
                x, width = frame.x(start), frame.x(start + cell) - frame.x(start)
                parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
                             f'height="{BAR_HEIGHT}" fill="{PALETTE[i % len(PALETTE)]}"/>')
                start += cell
        y += BAR_HEIGHT + GAP
    return _svg(frame, ident, title, description, parts, y, categories)


def _svg(frame: _Frame, ident: str, title: str, description: str, parts: list[str],
         height: float, legend: Sequence[str]) -> Markup:
    body = _axis(frame, height) + parts
    legend_y = height + AXIS + 6
    for i, name in enumerate(legend):
        x = frame.label_width + (i % 3) * 140
        row_y = legend_y + (i // 3) * 18
        body.append(f'<rect x="{x}" y="{row_y:.1f}" width="12" height="12" '
                    f'fill="{PALETTE[i % len(PALETTE)]}"/>')
        body.append(f'<text x="{x + 16}" y="{row_y + 10:.1f}" class="legend">'
                    f'{escape(name)}</text>')
    total = legend_y + (((len(legend) + 2) // 3) * 18 if legend else 0)
    return Markup(
        f'<svg class="chart" role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'viewBox="0 0 {frame.width:.0f} {total:.0f}" width="{frame.width:.0f}" '
        f'height="{total:.0f}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-t">{escape(title)}</title>'
        f'<desc id="{ident}-d">{escape(description)}</desc>'
        + "".join(body) + "</svg>"
    )
