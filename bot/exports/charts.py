"""Charts for the HTML report, drawn with matplotlib as inline SVG.

Why matplotlib: the report must open with no network and no script, so a chart has to be a
finished drawing inside the file. matplotlib is the most widely used and best maintained
Python plotting library, draws SVG with its own backend (no browser, no JavaScript runtime, no
native renderer to install: wheels for every platform), and is deterministic once the SVG
hash salt and date are fixed. The alternatives were worse here: Vega-Lite needs JavaScript in
the page or a bundled JavaScript engine (``vl-convert``, ~100 MB) to render offline; Plotly and
Bokeh put JavaScript in the page; pygal's SVGs load a script from the network by default.

The import costs ~0.4 s, so it happens on the first chart drawn, never when the bot starts.
Charts are drawn with the object-oriented API (``Figure``, no ``pyplot``: no global figure
state, safe in the export's worker thread). Text is kept as SVG ``<text>`` (``svg.fonttype``
``none``: small files, real glyphs for emoji and other scripts from the reader's own fonts);
matplotlib escapes it, and maths parsing is switched off for every label, so a group called
``$x$`` is shown as typed. Each SVG's ids get a per-chart prefix so several charts can live in
one page.

Two kinds of chart cover what the report draws, and are meant to be reused by later sections
(examples cited per prompt, votes): :class:`BarChart` (horizontal bars, stacked by series) and
:class:`LineChart` (e.g. cumulative counts over time).
"""

from __future__ import annotations

import io
import re
import threading
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAX_LABEL = 48
WIDTH = 8.0  # inches; the page scales the SVG to its column
FONT_SIZE = 10.0  # points
TOP, RIGHT, BOTTOM = 0.2, 0.3, 0.6  # margins in inches (BOTTOM: x ticks and label)
# Colour-blind-friendly qualitative palette (Okabe & Ito 2008), then matplotlib's tab10 for more
# series. Series beyond these are merged into "other" by the report before charting.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
    "#8c564b", "#7f7f7f",
)
MAX_SERIES = len(PALETTE)

_CONTROLS = re.compile("[\x00-\x1f\x7f]")
_lock = threading.Lock()
_loaded: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class BarChart:
    """Horizontal bars, one per category (top to bottom), stacked by series."""

    categories: Sequence[str]
    series: Sequence[tuple[str, Sequence[int]]]  # (label, one value per category)
    value_label: str


@dataclass(frozen=True, slots=True)
class LineChart:
    """One line per series over shared x positions (e.g. cumulative counts over time)."""

    x: Sequence[float]
    series: Sequence[tuple[str, Sequence[int]]]  # (label, one cumulative value per x)
    x_label: str
    y_label: str


def chart_label(text: str, limit: int = MAX_LABEL) -> str:
    """A label for a chart: one line, at most ``limit`` characters, without control or
    invisible format characters (SVG text has no bidi isolation, so a right-to-left override
    in a name must not reorder the rest of the label)."""
    text = _CONTROLS.sub(" ", text)
    if not text.isascii():
        text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "\u2026"
    return text or "(no name)"


def _matplotlib() -> dict[str, Any]:
    """Import matplotlib once (lazily: it is not needed until a chart is drawn)."""
    with _lock:
        if not _loaded:
            import matplotlib
            from matplotlib.collections import PolyCollection
            from matplotlib.figure import Figure
            from matplotlib.font_manager import FontProperties
            from matplotlib.text import Text
            from matplotlib.textpath import TextToPath

            matplotlib.rcParams.update({
                "svg.fonttype": "none",
                "svg.hashsalt": "workshop-bot",
                "font.family": "sans-serif",
                "font.size": FONT_SIZE,
                "axes.spines.top": False,
                "axes.spines.right": False,
            })
            _loaded.update(Figure=Figure, Text=Text, PolyCollection=PolyCollection,
                           measure=TextToPath().get_text_width_height_descent,
                           font=FontProperties(size=FONT_SIZE))
        return _loaded


def render_svg(chart: BarChart | LineChart, chart_id: str, *, width: float = WIDTH) -> str:
    """The chart as an ``<svg>`` element (no XML declaration), ids prefixed with ``chart_id``.

    The caller adds the accessible name (``role``, ``<title>``) with :func:`label_svg`.
    Margins are computed from the measured widths of the labels (a layout engine would draw
    the figure once more: twice the time)."""
    mpl = _matplotlib()
    labels = [chart_label(label) for label, _ in chart.series]
    columns, legend = _legend_size(labels, width)
    if isinstance(chart, BarChart):
        categories = [chart_label(c) for c in chart.categories]
        left = max((_text_width(c) for c in categories), default=0.0) + 0.25
        height = TOP + 0.38 * max(len(categories), 1) + BOTTOM + legend
        fig = mpl["Figure"](figsize=(width, height))
        ax = _draw_bars(fig, chart, categories, labels)
    else:
        left = 0.85  # the y tick numbers and the y label
        height = TOP + 3.0 + BOTTOM + legend
        fig = mpl["Figure"](figsize=(width, height))
        ax = _draw_lines(fig, chart, labels)
    left = min(left, width * 0.5)
    fig.subplots_adjust(left=left / width, right=1 - RIGHT / width,
                        bottom=(BOTTOM + legend) / height, top=1 - TOP / height)
    if len(labels) > 1:
        fig.legend(*ax.get_legend_handles_labels(), loc="lower center",
                   bbox_to_anchor=(0.5, 0.0), ncols=columns, frameon=False)
    for text in fig.findobj(mpl["Text"]):
        text.set_parse_math(False)  # "$x$" in a group name is text, not maths
    buf = io.StringIO()
    with warnings.catch_warnings():
        # glyphs DejaVu lacks (emoji, CJK): the browser draws them from its own fonts
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None,
                                                 "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = _STYLE.sub("", svg, count=1)  # "*{stroke-linejoin...}": moved to the page's CSS
    return _TAG.sub(lambda m: _prefix_ids(m.group(0), chart_id + "-"), svg).strip()


def label_svg(svg: str, *, title_id: str, title: str, css_class: str) -> str:
    """Give an ``<svg>`` from :func:`render_svg` its accessible name: ``role="img"``,
    ``aria-labelledby`` and a ``<title>`` (``title`` must already be HTML-escaped), and swap
    its fixed size for a class (the page's CSS makes it fluid; the viewBox keeps the shape)."""
    head_end = svg.index(">") + 1
    head = svg[:head_end]
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    head = head.replace("<svg", f'<svg class="{css_class}" role="img" '
                        f'aria-labelledby="{title_id}" focusable="false"', 1)
    return f'{head}<title id="{title_id}">{title}</title>{svg[head_end:]}'


_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.S)
_TAG = re.compile(r"<[^>]+>")  # matplotlib escapes < and > in text and attribute values


def _prefix_ids(tag: str, prefix: str) -> str:
    if "id=" in tag:
        tag = re.sub(r'(\sid=")', rf"\1{prefix}", tag)
    if "#" in tag:
        tag = tag.replace("url(#", f"url(#{prefix}").replace('href="#', f'href="#{prefix}')
    return tag


def _text_width(text: str) -> float:
    """Width of ``text`` at the charts' font size, in inches (DejaVu Sans metrics; characters
    it lacks are counted as wide ones)."""
    mpl = _matplotlib()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        points = mpl["measure"](text, mpl["font"], ismath=False)[0]
    wide = sum(1 for c in text if unicodedata.east_asian_width(c) in "WF")
    return (points + wide * FONT_SIZE * 0.4) / 72


def _legend_size(labels: list[str], width: float) -> tuple[int, float]:
    """Columns of the legend below the chart, and its height in inches (0 for one series)."""
    if len(labels) <= 1:
        return 1, 0.0
    column = max(_text_width(label) for label in labels) + 0.7  # marker and gap
    columns = max(1, min(3, len(labels), int((width - 0.4) // column)))
    rows = -(-len(labels) // columns)
    return columns, 0.1 + 0.24 * rows


def _draw_bars(fig: Any, chart: BarChart, categories: list[str], labels: list[str]) -> Any:
    # One collection of rectangles per series (not a patch per bar: with 20 prompts and 10
    # groups, 200 patches cost ~0.15 s to add and draw; 10 collections almost nothing).
    collection = _matplotlib()["PolyCollection"]
    ax = fig.add_subplot()
    n = len(chart.categories)
    left = [0] * n
    half = 0.35
    for (_, values), label, colour in zip(chart.series, labels, _colours(len(labels)),
                                          strict=True):
        boxes = [[(x0, y - half), (x0 + v, y - half), (x0 + v, y + half), (x0, y + half)]
                 for y, (x0, v) in enumerate(zip(left, values, strict=True)) if v]
        ax.add_collection(collection(boxes, facecolors=colour, edgecolors="none",
                                     label=label), autolim=False)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(list(range(n)), categories)
    ax.set_ylim(n - 0.5, -0.5)  # first category on top
    ax.set_xlabel(chart.value_label)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlim(0, max(max(left, default=0) * 1.05, 1))
    return ax


def _draw_lines(fig: Any, chart: LineChart, labels: list[str]) -> Any:
    ax = fig.add_subplot()
    for (_, values), label, colour in zip(chart.series, labels, _colours(len(labels)),
                                          strict=True):
        ax.plot(chart.x, values, color=colour, label=label, linewidth=1.8)
    ax.set_xlabel(chart.x_label)
    ax.set_ylabel(chart.y_label)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    return ax


def _colours(n: int) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(n)]
