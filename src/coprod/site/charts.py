"""Static inline SVG charts for the site: horizontal bars with confidence intervals, grouped under
headings (a category, or a country), and stacked distributions. Every chart has a <title> and
<desc> (for screen readers), and fixed geometry and number formatting, so that the bytes are
identical on every build.

Layout. The SVG is as wide as its container (``width: 100%``). Its left padding holds the
column of row labels and its right padding the value after a full bar; between them, horizontal
positions are percentages of the plot, and text is set in CSS pixels. A ``viewBox`` would scale
the text with the width (by three between a phone and a desktop, so 5 px on one or 30 px on the
other); this way the bars stretch and the text stays 11-12 px at every width. Labels are
measured and wrapped at build time with the advance widths of DejaVu Sans, wider than most
system fonts, so the estimate errs on the roomy side. Headings, row labels, bars, whiskers and
value labels each have their own place, so no text overlaps another or a whisker at any width
down to ``MIN_WIDTH``.

Colour. A bar has the colour of its country (Okabe-Ito hues) in the shade of its wave: the
latest wave of a country in the full hue, earlier ones lighter, and every bar outlined in a
dark shade of its country, so that even the lightest has 3:1 contrast with the page. The same
country and wave have the same colour on every chart of the site (see :class:`Shades`). Rows
are labelled directly, so no colour has to be looked up in a legend; stacked distributions,
whose segments are answers, have a legend in HTML below the chart, where it wraps like text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from .i18n import _

INK = "#1d2733"
MUTED = "#5b6673"
SUPPRESSED = "#8a5a00"
GRID = "#d8dee6"
NEUTRAL = "#52606d"  # a bar that belongs to no one country

# Okabe & Ito's colour-blind-safe hues, one per country in the codebook's order; the last two
# darkened to 3:1 contrast on white. TINT: how much lighter a country's earliest wave is.
COUNTRY_HUES = ("#d55e00", "#0072b2", "#009e73", "#cc79a7", "#ac7700", "#4087af")
TINT = 0.55
OUTLINE = 0.25  # each bar's outline: its country's hue this much darker
# Answers of a nominal variable (stacked distributions), Okabe-Ito in an order that keeps the
# two country hues last; an ordinal scale gets viridis, dark (first answer) to light.
NOMINAL = ("#e69f00", "#56b4e9", "#009e73", "#f0e442", "#cc79a7", "#0072b2", "#d55e00",
           "#000000")
VIRIDIS = ("#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c", "#22a884",
           "#44bf70", "#7ad151", "#bddf26", "#fde725")

FONT = 12  # labels, headings, values (px as rendered)
SMALL = 11  # axis ticks, values inside a segment
LINE = 15  # from one line of a wrapped label to the next
BAR = 14
ROW = 20  # a bar's row, at least
GROUP_GAP = 6
GAP = 10  # between the label column and the plot
EDGE = 2  # between the chart's left edge and its text (a glyph may reach past its advance)
LABEL_MAX = 150  # a row label longer than this wraps
MIN_WIDTH = 288  # the narrowest chart designed for (a 320 px phone): headings wrap to it
WIDE = 640  # from this width on (40rem, charts.css) a segment shows more of its values
AXIS = 20


# --- text --------------------------------------------------------------------------------------

# DejaVu Sans advance widths in thousandths of an em (regular; bold is about 1.1 times)
_ADVANCE = {width: chars for width, chars in {
    275: "'", 278: "ijl", 295: "IJ", 318: " ,.·", 337: "/:;\\|", 352: "f", 361: "-",
    390: "()[]", 392: "t", 401: "!", 411: "r", 460: '"', 500: "*_`–", 521: "s", 525: "z",
    531: "?", 550: "c", 557: "L", 575: "F", 579: "k", 592: "vxy", 603: "P", 611: "TY",
    612: "oø", 613: "a", 615: "e", 632: "E", 634: "hnu", 635: "Sbdgpq", 636: "$0123456789{}",
    656: "K", 684: "AV", 685: "XZ", 686: "B", 695: "R", 698: "C", 732: "U", 748: "N", 752: "H",
    769: "◆", 770: "D", 775: "G", 780: "&", 787: "OQØ", 818: "w", 838: "#+<=>^~", 863: "M",
    950: "%", 974: "mÆ", 982: "æ", 989: "W", 1000: "@—…"}.items()}
_WIDTH = {char: width / 1000 for width, chars in _ADVANCE.items() for char in chars}
BOLD = 1.1


def text_width(text: str, size: float = FONT, *, bold: bool = False) -> float:
    """The width of ``text`` in px, as DejaVu Sans sets it (an unknown letter as its base
    letter, é as e; anything else as 0.7 em)."""
    em = 0.0
    for char in text:
        if char not in _WIDTH:
            char = unicodedata.normalize("NFD", char)[0]
        em += _WIDTH.get(char, 0.7)
    return em * size * (BOLD if bold else 1)


def wrap(text: str, width: float, size: float = FONT, *, bold: bool = False) -> list[str]:
    """``text`` in lines no wider than ``width`` px, broken between words; a word longer than
    that is broken after a hyphen or, failing one, between letters."""
    def fits(line: str) -> bool:
        return text_width(line, size, bold=bold) <= width

    words: list[str] = []
    for word in text.split():
        while len(word) > 1 and not fits(word):
            hyphens = [i + 1 for i, char in enumerate(word[:-1]) if char == "-"]
            cut = max((i for i in hyphens if fits(word[:i])), default=0) or max(
                (i for i in range(2, len(word)) if fits(word[:i])), default=1)
            words.append(word[:cut])
            word = word[cut:]
        words.append(word)
    lines: list[str] = []
    for word in words:
        if lines and not lines[-1].endswith("-") and fits(f"{lines[-1]} {word}"):
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


# --- colour ------------------------------------------------------------------------------------


def _rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def mix(colour: str, amount: float, toward: str = "#ffffff") -> str:
    """``colour`` moved ``amount`` (0-1) of the way to ``toward`` in sRGB."""
    return "#" + "".join(f"{round(255 * (a + (b - a) * amount)):02x}"
                         for a, b in zip(_rgb(colour), _rgb(toward), strict=True))


def luminance(colour: str) -> float:
    """Relative luminance (WCAG 2)."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = map(linear, _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours, 1 to 21."""
    low, high = sorted((luminance(a), luminance(b)))
    return (high + 0.05) / (low + 0.05)


@dataclass(frozen=True)
class Fill:
    fill: str
    stroke: str


@dataclass(frozen=True)
class Shades:
    """The colour of each country and wave: ``countries`` in the order their hues are given
    (the codebook's), ``waves`` per country (any order; sorted here). Build one for the whole
    site so that a country and wave look the same on every chart."""

    countries: Sequence[str] = ()
    waves: Mapping[str, Sequence[str | int]] = field(default_factory=dict)

    @classmethod
    def of_bars(cls, bars: Iterable[Bar]) -> Shades:
        """Shades for just these bars, countries in the order they first appear."""
        countries: dict[str, set[str]] = {}
        for bar in bars:
            if bar.country is not None:
                waves = countries.setdefault(bar.country, set())
                if bar.wave is not None:
                    waves.add(str(bar.wave))
        return cls(tuple(countries), {c: sorted(w) for c, w in countries.items()})

    def hue(self, country: str | None) -> str | None:
        if country not in self.countries:
            return None
        return COUNTRY_HUES[list(self.countries).index(country) % len(COUNTRY_HUES)]

    def __call__(self, country: str | None, wave: str | int | None = None) -> Fill:
        hue = self.hue(country)
        if hue is None:
            return Fill(NEUTRAL, mix(NEUTRAL, OUTLINE, "#000000"))
        outline = mix(hue, OUTLINE, "#000000")
        waves = sorted({str(w) for w in self.waves.get(country or "", ())})
        if wave is None or str(wave) not in waves or len(waves) == 1:
            return Fill(hue, outline)  # the latest wave, a single wave, or waves pooled
        steps = len(waves) - 1 - waves.index(str(wave))  # 0 for the latest wave
        return Fill(mix(hue, TINT * steps / (len(waves) - 1)), outline)


def answer_colours(count: int, *, ordinal: bool = False) -> list[str]:
    """Colours for the ``count`` answers of a stacked distribution, in codebook order."""
    if ordinal:
        if count == 1:
            return [VIRIDIS[4]]
        # from index 1 to 9 of the 11 steps: neither the darkest nor the faint yellow
        return [VIRIDIS[round(1 + 8 * i / (count - 1))] if count <= 9
                else _interpolate(VIRIDIS, 0.1 + 0.8 * i / (count - 1)) for i in range(count)]
    return [NOMINAL[i] if i < len(NOMINAL) else mix(NOMINAL[i % len(NOMINAL)], 0.5)
            for i in range(count)]


def _interpolate(ramp: Sequence[str], at: float) -> str:
    position = at * (len(ramp) - 1)
    i = min(int(position), len(ramp) - 2)
    return mix(ramp[i], position - i, ramp[i + 1])


def text_on(fill: str) -> str:
    """White or ink, whichever reads better on ``fill``."""
    return "#ffffff" if contrast(fill, "#ffffff") >= contrast(fill, INK) else INK


# --- charts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str  # the row's label (the bar's own: a wave, a source, a group)
    percent: float | None  # None: no bar; ``note`` (default: suppressed) in its place
    low: float | None = None  # 95 % interval, drawn as a whisker where given
    high: float | None = None
    group: str = ""  # the heading of the bars it belongs to (a category, a country)
    country: str | None = None  # for its colour
    wave: str | int | None = None  # for its shade; None: all waves together
    # instead of a bar, why there is none ("not offered"): said once for all the bars of its
    # group with the same note, under the heading
    note: str | None = None


@dataclass(frozen=True)
class Row:
    """A row of a stacked chart: a percentage per answer, None where suppressed, 0 where the
    answer was not offered."""

    label: str
    cells: Sequence[float | None]
    group: str = ""


def _id(title: str, salt: str) -> str:
    return "c-" + re.sub(r"[^a-z0-9]+", "-", f"{salt} {title}".lower()).strip("-")[:60]


def _f(value: float) -> str:
    """A coordinate, always written the same way."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _text(x: str, y: float, text: str, **attributes: str) -> str:
    attrs = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attributes.items())
    return f'<text x="{x}" y="{_f(y)}"{attrs}>{escape(text)}</text>'


class _Rows:
    """Rows under headings, top to bottom: the label column at x < 0 (the SVG's left
    padding), the plot from x = 0 % to 100 %."""

    def __init__(self, labels: Iterable[str]) -> None:
        widest = max((text_width(line) for label in labels
                      for line in wrap(label, LABEL_MAX)), default=0.0)
        self.label_width = EDGE + min(float(LABEL_MAX), widest) + GAP
        self.parts: list[str] = []
        self.y = 0.0
        self.group: str | None = None

    def heading(self, group: str) -> None:
        if group == self.group:
            return
        if self.group is not None:
            self.y += GROUP_GAP
        self.group = group
        if not group:
            return
        lines = wrap(group, MIN_WIDTH - 2 * EDGE, bold=True)
        for i, line in enumerate(lines):
            self.parts.append(_text(_f(EDGE - self.label_width), self.y + 12 + i * LINE, line,
                                    font_weight="bold", **{"class": "ch-head"}))
        self.y += len(lines) * LINE + 5

    def line(self, text: str) -> None:
        """A remark across the chart's full width, under a heading."""
        lines = wrap(text, MIN_WIDTH - 2 * EDGE)
        for i, line in enumerate(lines):
            self.parts.append(_text(_f(EDGE - self.label_width), self.y + 11 + i * LINE, line,
                                    fill=MUTED, **{"class": "ch-note"}))
        self.y += len(lines) * LINE + 3

    def row(self, label: str) -> tuple[float, float]:
        """The row's label; returns the top of its bar and the baseline of text beside it."""
        lines = wrap(label, LABEL_MAX)
        height = max(ROW, LINE * len(lines) + 5)
        middle = self.y + height / 2
        first = middle - (len(lines) - 1) * LINE / 2 + 4
        for i, line in enumerate(lines):
            self.parts.append(_text(_f(-GAP), first + i * LINE, line, text_anchor="end",
                                    **{"class": "ch-label"}))
        self.y += height
        return middle - BAR / 2, middle + 4


def _axis(height: float) -> list[str]:
    parts = [f'<line x1="{t}%" y1="0" x2="{t}%" y2="{_f(height)}" stroke="{GRID}"/>'
             for t in (0, 25, 50, 75, 100)]
    for tick, anchor in ((0, "start"), (50, "middle"), (100, "end")):
        parts.append(_text(f"{tick}%", height + 14, f"{tick} %", text_anchor=anchor,
                           font_size=str(SMALL), fill=MUTED, **{"class": "ch-tick"}))
    return parts


def _note(y: float, text: str, colour: str = MUTED) -> str:
    return _text("0", y, text, dx="4", fill=colour, **{"class": "ch-note"})


def bars(bars: Sequence[Bar], *, title: str, description: str, caption: str = "",
         shades: Shades | None = None, salt: str = "") -> Markup:
    """Horizontal bars on a 0-100 % axis, each labelled with its value, with 95 % interval
    whiskers where given; the value stands clear of the bar and the whisker."""
    if not bars:
        return _caption(caption)
    shades = shades or Shades.of_bars(bars)
    rows = _Rows(b.label for b in bars if not _noted(b))
    right = text_width("100.0") + 8
    groups: dict[str, list[Bar]] = {}
    for bar in bars:  # consecutive bars of a group; a group that comes back is drawn again
        if groups and bar.group == list(groups)[-1]:
            groups[bar.group].append(bar)
        else:
            if bar.group in groups:
                raise ValueError(f"the bars of group {bar.group!r} are not together")
            groups[bar.group] = [bar]
    for group, members in groups.items():
        rows.heading(group)
        # bars with a note instead of a figure: one line under the heading per note
        notes: dict[str, list[str]] = {}
        for bar in members:
            if _noted(bar):
                notes.setdefault(bar.note or "", []).append(bar.label)
        for note, labels in notes.items():
            rows.line(f"{note[:1].upper()}{note[1:]}: {', '.join(labels)}.")
        for bar in members:
            if not _noted(bar):
                _bar(rows, bar, shades)
    return _figure(rows, right, title, description, salt) + _caption(caption)


def _noted(bar: Bar) -> bool:
    return bar.percent is None and bar.note is not None


def _bar(rows: _Rows, bar: Bar, shades: Shades) -> None:
    top, baseline = rows.row(bar.label)
    if bar.percent is None:
        rows.parts.append(_note(baseline, "◆ " + _("suppressed"), SUPPRESSED))
        return
    colour = shades(bar.country, bar.wave)
    rows.parts.append(f'<rect x="0" y="{_f(top)}" width="{_f(bar.percent)}%" '
                      f'height="{BAR}" fill="{colour.fill}" stroke="{colour.stroke}"/>')
    end = bar.percent
    if bar.low is not None and bar.high is not None:
        rows.parts.append(_whisker(bar.low, bar.high, top + BAR / 2))
        end = max(end, bar.high)
    rows.parts.append(_text(f"{_f(end)}%", baseline, f"{bar.percent:.1f}", dx="5",
                            **{"class": "ch-value"}))


def _whisker(low: float, high: float, y: float) -> str:
    """The interval: a dark line with caps on a white halo, visible on a bar and off it."""
    lines = [(f"{_f(low)}%", f"{_f(high)}%", y, y)] + [
        (f"{_f(x)}%", f"{_f(x)}%", y - 4, y + 4) for x in (low, high)]
    halo = "".join(f'<line x1="{a}" x2="{b}" y1="{_f(c)}" y2="{_f(d)}"/>' for a, b, c, d in lines)
    return (f'<g class="ch-ci"><g stroke="#ffffff" stroke-width="4">{halo}</g>'
            f'<g stroke="{INK}" stroke-width="1.5">{halo}</g></g>')


def stacked(rows: Sequence[Row], categories: Sequence[str], *, title: str, description: str,
            caption: str = "", ordinal: bool = False, salt: str = "") -> Markup:
    """One 100 % bar per row, split into the answers, with a legend; a row with a suppressed
    cell is drawn without its figures. A segment holds its value where it is wide enough: at
    any width, or (class ch-wide, shown by charts.css) on a chart at least ``WIDE`` px wide."""
    colours = answer_colours(len(categories), ordinal=ordinal)
    layout = _Rows(r.label for r in rows)
    right = 4.0
    # the plot's width in px on the narrowest chart, and on a chart WIDE px wide
    narrow, wide = (width - layout.label_width - right for width in (MIN_WIDTH, WIDE))
    for row in rows:
        layout.heading(row.group)
        top, baseline = layout.row(row.label)
        if any(c is None for c in row.cells):
            layout.parts.append(_note(baseline, "◆ " + _("suppressed"), SUPPRESSED))
            continue
        start = 0.0
        for colour, cell in zip(colours, row.cells, strict=True):
            assert cell is not None
            width = min(cell, 100 - start)
            if width > 0:
                layout.parts.append(
                    f'<rect x="{_f(start)}%" y="{_f(top)}" width="{_f(width)}%" '
                    f'height="{BAR}" fill="{colour}" stroke="#ffffff"/>')
            value = f"{cell:.1f}"
            room = text_width(value, SMALL) + 6
            if room <= width * wide / 100:
                where = "ch-inside" if room <= width * narrow / 100 else "ch-inside ch-wide"
                layout.parts.append(_text(f"{_f(start + width / 2)}%", baseline - 0.5, value,
                                          text_anchor="middle", font_size=str(SMALL),
                                          fill=text_on(colour), **{"class": where}))
            start += width
    legend = "".join(
        f'<li><svg class="ch-swatch" width="12" height="12" aria-hidden="true" '
        f'focusable="false"><rect x="0.5" y="0.5" width="11" height="11" fill="{colour}" '
        f'stroke="{INK}"/></svg>{escape(name)}</li>'
        for colour, name in zip(colours, categories, strict=True))
    return (_figure(layout, right, title, description, salt)
            + Markup(f'<ul class="ch-legend">{legend}</ul>') + _caption(caption))


def _figure(rows: _Rows, right: float, title: str, description: str, salt: str) -> Markup:
    ident = _id(title, salt)
    height = rows.y + AXIS
    style = (f"display:block;box-sizing:border-box;width:100%;height:{_f(height)}px;"
             f"padding:0 {_f(right)}px 0 {_f(rows.label_width)}px;overflow:visible")
    return Markup(
        f'<svg class="chart" role="img" aria-labelledby="{ident}-t {ident}-d" '
        f'width="100%" height="{_f(height)}" style="{style}" font-size="{FONT}" fill="{INK}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-t">{escape(title)}</title>'
        f'<desc id="{ident}-d">{escape(description)}</desc>'
        + "".join(_axis(rows.y) + rows.parts) + "</svg>")


def _caption(caption: str) -> Markup:
    return Markup(f'<figcaption class="ch-caption">{escape(caption)}</figcaption>'
                  if caption else "")
