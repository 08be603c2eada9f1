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
            from matplotlib.text import Text

            matplotlib.rcParams.update({
                "svg.fonttype": "none",
                "svg.hashsalt": "workshop-bot",
                "font.family": "sans-serif",
                "font.size": 10,
                "axes.spines.top": False,
                "axes.spines.right": False,
            })
            _loaded.update(Figure=Figure, Text=Text, PolyCollection=PolyCollection)
        return _loaded


def render_svg(chart: BarChart | LineChart, chart_id: str, *, width: float = 8.0) -> str:
    """The chart as an ``<svg>`` element (no XML declaration), ids prefixed with ``chart_id``.

    The caller adds the accessible name (``role``, ``<title>``) with :func:`label_svg`."""
    mpl = _matplotlib()
    if isinstance(chart, BarChart):
        height = 1.2 + 0.38 * max(len(chart.categories), 1) + 0.25 * _legend_rows(chart.series)
        fig = mpl["Figure"](figsize=(width, height), layout="constrained")
        _draw_bars(fig, chart)
    else:
        fig = mpl["Figure"](figsize=(width, 3.6 + 0.25 * _legend_rows(chart.series)),
                            layout="constrained")
        _draw_lines(fig, chart)
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


def _legend_rows(series: Sequence[tuple[str, Sequence[int]]]) -> int:
    return 0 if len(series) <= 1 else (len(series) + 2) // 3


def _legend(fig: Any, ax: Any, count: int) -> None:
    if count > 1:
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center",
                   ncols=min(count, 3), frameon=False)


def _draw_bars(fig: Any, chart: BarChart) -> None:
    # One collection of rectangles per series (not a patch per bar: with 20 prompts and 10
    # groups, 200 patches cost ~0.15 s to add and draw; 10 collections almost nothing).
    collection = _matplotlib()["PolyCollection"]
    ax = fig.add_subplot()
    n = len(chart.categories)
    left = [0] * n
    half = 0.35
    for (label, values), colour in zip(chart.series, _colours(len(chart.series)), strict=True):
        boxes = [[(x0, y - half), (x0 + v, y - half), (x0 + v, y + half), (x0, y + half)]
                 for y, (x0, v) in enumerate(zip(left, values, strict=True)) if v]
        ax.add_collection(collection(boxes, facecolors=colour, edgecolors="none",
                                     label=chart_label(label)), autolim=False)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(list(range(n)), [chart_label(c) for c in chart.categories])
    ax.set_ylim(n - 0.5, -0.5)  # first category on top
    ax.set_xlabel(chart.value_label)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlim(0, max(max(left, default=0) * 1.05, 1))
    _legend(fig, ax, len(chart.series))


def _draw_lines(fig: Any, chart: LineChart) -> None:
    ax = fig.add_subplot()
    for (label, values), colour in zip(chart.series, _colours(len(chart.series)), strict=True):
        ax.plot(chart.x, values, color=colour, label=chart_label(label), linewidth=1.8)
    ax.set_xlabel(chart.x_label)
    ax.set_ylabel(chart.y_label)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    _legend(fig, ax, len(chart.series))


def _colours(n: int) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(n)]
