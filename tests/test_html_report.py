"""The HTML report: self-contained, strictly escaped, anonymous where it must be, with charts
that have text alternatives; and opened in a real browser (headless Chromium from the Debian
packages, driven by Playwright) with the network blocked.

The browser test is skipped, with the reason, where Chromium or Playwright is missing
(``.ci/install-browser`` installs Chromium). Its screenshot and PDF are kept under the test's
``tmp_path``, and copied to ``$ARTEFACTS_DIR`` when that is set.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine import Engine
from bot.exports import ExportFormat, ExportResult, ExportScope, export_to_dir
from bot.exports.charts import chart_label
from bot.exports.data import AnswerRecord, ExportPlan, PromptInfo, PromptSetInfo, SessionInfo
from bot.exports.html_report import (
    CHARTS,
    SECTIONS,
    Report,
    esc,
    submissions_over_time_chart,
)
from bot.models import Library
from bot.rules import clean_name
from bot.storage import Database, Scope
from tests.test_exports import (
    ANON,
    FACILITATOR,
    GUILD,
    NAMED,
    NOW,
    export,
    populate,
)

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
HOSTILE_CHANNEL = 880000000000000099

# Typed by people: each must show as exactly this text and nothing else.
HOSTILE_ANSWERS = [
    "<script>document.title='pwned'</script>",
    '<img src="http://evil.example/x.png" onerror="document.title=\'pwned\'">',
    "</div></article></section><h1>Fake heading</h1><a href='https://evil.example'>click</a>",
    "<!-- comment --> <![CDATA[ x ]]> <style>body{display:none}</style>",
    "&lt;b&gt;not bold&lt;/b&gt; &amp; &#x3C;script&#x3E; &copy;",
    "javascript:alert(1) https://evil.example/track.png www.evil.example",
    '<svg onload="alert(1)"><use href="http://evil.example/s.svg#x"/></svg>',
    "<link rel=stylesheet href=https://evil.example/x.css><meta http-equiv=refresh content=0>",
    "nul\x00bell\x07esc\x1b[31mred\x7fdel",
    "invoice \u202egnp.exe\u202c and \u2067isolate\u2069",
    "Line one\n\n    indented line\n- not a list\n> not a quote",
    "$x$ and $\\frac{1}{2}$ and \\$",
]
HOSTILE_GROUP = "<b>Group</b> $x$ \u202eevil"
HOSTILE_NAME = "<img src=x onerror=alert(1)>"


def control_pictures(text: str) -> str:
    """What the report shows for text with control characters (as the Markdown report)."""
    return "".join(chr(0x2400 + ord(c)) if ord(c) < 0x20 and c not in "\t\n\r"
                   else "\u2421" if c == "\x7f" else c for c in text)


class Page(HTMLParser):
    """The parts of the report the tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.urls: list[str] = []  # every href / src / xlink:href / url(...) target
        self.texts: list[str] = []  # the answer texts, as a browser reads them
        self.names: list[str] = []  # who answered, as shown
        self.handlers: list[str] = []  # on* attributes
        self._in: str | None = None
        self._buf: list[str] = []
        self._bdi_in_who = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        d = dict(attrs)
        for key, value in attrs:
            if key in ("href", "src", "xlink:href", "action", "srcset", "poster", "data"):
                self.urls.append(value or "")
            if key.startswith("on"):
                self.handlers.append(key)
            if key == "style" and value and "url(" in value:
                self.urls += re.findall(r"url\(([^)]*)\)", value)
        if tag == "div" and d.get("class") == "text":
            self._in, self._buf = "text", []
        elif tag == "p" and d.get("class") == "who":
            self._in, self._buf = "who", []
        elif tag == "bdi" and self._in == "who":
            self._bdi_in_who = True

    def handle_endtag(self, tag: str) -> None:
        if self._in == "text" and tag == "div":
            self.texts.append("".join(self._buf))
            self._in = None
        elif self._in == "who" and tag == "bdi":
            self.names.append("".join(self._buf))
            self._bdi_in_who = False
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "text" or (self._in == "who" and self._bdi_in_who):
            self._buf.append(data)


def parse(path: Path) -> tuple[str, Page]:
    text = path.read_bytes().decode("utf-8")  # line breaks as written (no newline translation)
    page = Page()
    page.feed(text)
    page.close()
    return text, page


async def hostile_session(engine: Engine, library: Library) -> int:
    s = await engine.start(GUILD, HOSTILE_CHANNEL, group_name=HOSTILE_GROUP,
                           workshop="Leeds seminar", set_id="quick-reflection",
                           started_by=FACILITATOR, pace="self")
    prompt = library.prompt_sets["quick-reflection"].prompts[0]
    for i, text in enumerate(HOSTILE_ANSWERS):
        await engine.submit(GUILD, s.id, prompt.id, user_id=10**17 + i,
                            display_name=HOSTILE_NAME if i % 2 else f"Person {i}",
                            values={prompt.fields[0].id: text})
    return s.id


def test_esc_is_html_escape_plus_control_pictures() -> None:
    for text in [*HOSTILE_ANSWERS, "", "plain", "'\"&<>", "\u00e9\x07\U0001f642"]:
        assert esc(text) == control_pictures(html.escape(text, quote=True)), text


def test_the_report_is_built_from_optional_sections() -> None:
    assert [b.__name__ for b in SECTIONS] == ["overview_section", "charts_section",
                                              "chain_section"]
    assert [b.__name__ for b in CHARTS] == ["answers_per_prompt_chart",
                                            "submissions_over_time_chart",
                                            "examples_cited_chart", "votes_chart"]
    assert chart_label("a\n\tb\x07 \u202e" + "x" * 80).startswith("a b x")
    assert len(chart_label("x" * 80)) == 48


def _timed_report(minutes: list[float]) -> Report:
    """A one-session report whose answers came ``minutes`` after the session started."""
    start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    session = SessionInfo(id=1, workshop_id=1, group="Group A", prompt_set="s", status="open",
                          anonymous=True, pace="self", current_prompt=1, prompt_count=1,
                          created_at=start.isoformat(timespec="milliseconds"), closed_at=None,
                          participants=len(minutes))
    prompt = PromptInfo(index=0, set_id="s", id="p", number=1, title="Only", question="",
                        fields=(), examples=(), in_library=True)
    plan = ExportPlan(guild_id=1, scope=ExportScope.session(1), workshop_id=1, workshop="W",
                      exported_at=start, sessions=(session,),
                      prompt_sets=(PromptSetInfo("s", "Set", True),), prompts=(prompt,),
                      counts={(0, 1): len(minutes)}, where=Scope(1, 1))
    report = Report.of(plan)
    times = [(start + timedelta(minutes=m)).isoformat(timespec="milliseconds") for m in minutes]
    report.add(session, [AnswerRecord(session, prompt, f"P{i:02d}", None, {}, t, t)
                         for i, t in enumerate(times, start=1)])
    return report


def test_submissions_over_time_counts_by_the_end_of_each_bin() -> None:
    panel = submissions_over_time_chart(_timed_report([1, 7.5, 45]))
    assert panel is not None
    assert panel.table.head == ("Minutes since the session started", "Group A")
    rows = dict(panel.table.rows)  # minutes -> answers received by then
    assert len(rows) == 46  # 1-minute bins up to 45 minutes
    assert (rows["0"], rows["1"], rows["7"], rows["8"], rows["44"], rows["45"]) == \
        (0, 1, 1, 2, 2, 3)
    assert "all 3 had arrived within 45 minutes" in panel.summary
    # a long session is shown in hours, with round bins
    long = submissions_over_time_chart(_timed_report([5, 200, 400]))
    assert long is not None and long.table.head[0] == "Hours since the session started"
    assert [r[0] for r in long.table.rows[:3]] == ["0", "0.17", "0.33"]
    assert long.table.rows[-1] == ("6.67", 3)


async def test_html_report_holds_everything_escaped(db: Database, library: Library,
                                                    engine: Engine, tmp_path: Path) -> None:
    world = await populate(engine)
    hostile = await hostile_session(engine, library)
    result = await export(db, library, "html", tmp_path)
    assert result.filename == "leeds-seminar-20261126-1405.html"
    assert result.answers == world.answers + len(HOSTILE_ANSWERS)
    text, page = parse(result.path)
    # self-contained: nothing to load, no script, no handler; only in-page links and data:
    assert text.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    for tag in ("script", "img", "iframe", "object", "embed", "form", "base", "audio",
                "video", "foreignobject"):
        assert page.tags[tag] == 0, tag
    assert page.tags["link"] == 1  # the empty data: icon, so no browser asks for favicon.ico
    assert page.handlers == []
    assert all(u.startswith(("#", "data:")) for u in page.urls), page.urls
    assert "@import" not in text and "@font-face" not in text
    # every answer reads back exactly as typed (controls as pictures), hostile ones included
    pset = library.prompt_sets["key-questions"]
    typed = [v for k, fields in world.stored.items() for v in fields.values()
             if isinstance(v, str) and v.strip()]
    typed += HOSTILE_ANSWERS
    assert Counter(page.texts) == Counter(control_pictures(t) for t in typed)
    # each answer with its time, to the minute, as in the Markdown report
    assert len(re.findall(r'<span class="when">\d{4}-\d\d-\d\d \d\d:\d\d UTC</span>', text)) \
        == result.answers
    # names as shown, escaped: the pseudonyms for the anonymous group, never a name or an id
    assert Counter(page.names)[HOSTILE_NAME] == len(HOSTILE_ANSWERS) // 2
    assert {"Priya K.", "=Bob Formula", "P01", "P02", "P03"} <= set(page.names)
    for secret in [*ANON.values(), *(str(u) for u in ANON), *(str(u) for u in NAMED)]:
        assert secret not in text, secret
    # structure: overview, charts, then every prompt with its question and examples
    for heading in ("Overview", "Charts", "Answers per prompt and group",
                    "Submissions over time"):
        assert f">{heading}</h" in text, heading
    for prompt in pset.prompts:
        assert esc(prompt.question) in text
        assert f"{prompt.number}. {esc(prompt.title)}</h2>" in text
        for link in prompt.examples:
            assert esc(library.examples[link.example_id].title) in text
    stored = clean_name(HOSTILE_GROUP)  # group names are stored without bidi overrides
    # (the override is gone from the group's name; an answer may still hold one: as typed)
    assert esc(stored) in text and stored not in text and esc(HOSTILE_GROUP) not in text
    assert text.count('<svg class="chart" role="img"') == 3  # (no vote: no chart of dots)
    assert text.count("<details><summary>The figures as a table</summary>") == 3
    # citations: per answer by title, per prompt with counts and the examples never cited
    assert text.count('<p class="field">Seminar examples that informed this: ') == \
        world.answers
    for prompt in pset.prompts:
        tally = {e: 0 for e in prompt.example_ids}
        for (_, pid, _), fields in world.stored.items():
            for e in fields["examples"] if pid == prompt.id else ():
                tally[e] += 1
        cited = "; ".join(f"<i>{esc(library.examples[e].title)}</i> ({n})" for e, n in sorted(
            ((e, n) for e, n in tally.items() if n), key=lambda t: (-t[1], list(tally).index(
                t[0]))))
        assert f"cite one): {cited}</p>" in text, prompt.id
    assert ">Seminar examples cited per prompt</h3>" in text
    # the theory of change: a row per participant, gaps said in words
    chain = text[text.index('<section id="theory-of-change"'):text.index('<section class="prompt"')]
    assert chain.count('<tr><th scope="row">') == len(world.stored) // len(pset.prompts)
    assert "<b>Gap:</b> No seminar example cited for prompt" in chain
    assert chain.count('<td class="gap">') == chain.count('<ul class="gaps">')
    # the chart table says what the bar chart shows
    row = re.search(r'<th scope="row">[^<]*1\. Identifying the change</th>'
                    r"(.*?)</tr>", text)
    assert row is not None
    assert re.findall(r'<td class="n">(\d+)</td>', row.group(1)) == ["3", "3", "0", "6"]
    # no id is used twice in the page (two inline SVGs would otherwise collide)
    ids = re.findall(r'\sid="([^"]+)"', text)
    assert len(ids) == len(set(ids))
    assert hostile  # the hostile group is in the workshop export


async def test_html_report_without_answers(db: Database, library: Library, engine: Engine,
                                           tmp_path: Path) -> None:
    await engine.start(GUILD, HOSTILE_CHANNEL, group_name="Quiet group", workshop="Empty",
                       set_id="quick-reflection", started_by=FACILITATOR, pace="self")
    result = await export(db, library, "html", tmp_path, ExportScope.workshop("Empty"))
    text, _ = parse(result.path)
    assert result.answers == 0
    assert "No answers yet: nothing to chart." in text and "<svg" not in text
    assert text.count("No answers.") == len(library.prompt_sets["quick-reflection"].prompts)


def test_matplotlib_is_imported_only_when_a_report_is_written() -> None:
    """The bot and the CLI start without paying matplotlib's import (~0.4 s)."""
    code = ("import sys, bot.exports, bot.cli, bot.discord_ui.cogs.facilitation; "
            "print('matplotlib' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    assert proc.stdout.strip() == "False"


def test_cli_exports_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          library: Library) -> None:
    import asyncio

    async def fill() -> None:
        db = await Database.open(tmp_path / "data" / "workshop.db")
        try:
            await populate(await Engine.create(db, library))
        finally:
            await db.close()

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "data" / "workshop.db"))
    monkeypatch.delenv("EXTRA_CONTENT_DIRS", raising=False)
    monkeypatch.delenv("EXTRA_PROMPT_DIRS", raising=False)
    asyncio.run(fill())
    out = tmp_path / "exports"
    assert main(["export", "--workshop", "Leeds seminar", "--format", "html", "-o",
                 str(out)]) == 0
    (file,) = out.iterdir()
    assert file.suffix == ".html"
    assert "Answers per prompt and group" in file.read_text(encoding="utf-8")
    assert ExportFormat.parse("HTM") is ExportFormat.HTML


# --- in a real browser ----------------------------------------------------------------------


def _browser_missing() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install '.[test]')"
    if not CHROMIUM.exists():
        return (f"Chromium is not installed at {CHROMIUM} (run .ci/install-browser, or set "
                "CHROMIUM to its path)")
    return None


def keep_artefact(path: Path) -> None:
    target = os.environ.get("ARTEFACTS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, Path(target) / path.name)


async def test_report_in_a_real_browser_offline(db: Database, library: Library,
                                                engine: Engine, tmp_path: Path) -> None:
    missing = _browser_missing()
    if missing:
        pytest.skip(f"browser test skipped: {missing}")
    from playwright.async_api import Request, Route, async_playwright

    world = await populate(engine)
    await hostile_session(engine, library)
    result: ExportResult = await export_to_dir(
        db, library, guild_id=GUILD, scope=ExportScope.workshop("Leeds seminar"), fmt="html",
        out_dir=tmp_path / "export", actor_id=FACILITATOR, now=NOW,
    )
    url = result.path.resolve().as_uri()
    requested: list[str] = []
    blocked: list[str] = []
    problems: list[str] = []

    async def only_the_file(route: Route, request: Request) -> None:
        if request.url == url:
            await route.continue_()
        else:
            blocked.append(request.url)
            await route.abort("internetdisconnected")

    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1000, "height": 800},
            offline=True, service_workers="block",
        )
        try:
            await context.route("**/*", only_the_file)
            context.on("request", lambda r: requested.append(r.url))
            page = await context.new_page()
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            await page.goto(url, wait_until="load")
            assert await page.title() == "Workshop report: Leeds seminar"
            # nothing from the answers became an element or ran
            counts = await page.evaluate(
                "() => ['script', 'img', 'iframe', 'a[href^=\"http\"]', 'style', 'link',"
                " 'meta[http-equiv=refresh]'].map(s => document.querySelectorAll(s).length)"
            )
            assert counts == [0, 0, 0, 0, 1, 1, 0]
            shown = await page.locator("div.text").all_inner_texts()
            for typed in HOSTILE_ANSWERS[:8]:
                assert typed in shown, typed
            # every chart is drawn, with an accessible name (the examples cited among them)
            charts = page.locator("svg.chart")
            assert await charts.count() == 3
            cited = page.locator("#chart-examples-cited svg.chart")
            assert await cited.count() == 1
            box = await cited.bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 100
            for i in range(3):
                chart = charts.nth(i)
                box = await chart.bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 100
                assert await chart.get_attribute("role") == "img"
                labelled = await chart.get_attribute("aria-labelledby")
                name = await page.locator(f"#{labelled}").text_content()
                assert name and len(name) > 20
                assert await chart.locator("rect, path").count() > 5
            # the theory of change: a row per participant, every gap in words as well as
            # in colour
            chain = page.locator("table.chain")
            assert await chain.is_visible()
            assert await chain.locator("tbody tr").count() == 6
            gaps = chain.locator("td.gap:not(.n)")
            assert await gaps.count() > 0
            for i in range(await gaps.count()):
                assert "Gap" in (await gaps.nth(i).inner_text())
            await page.screenshot(path=tmp_path / "html-report.png", full_page=True)
            # a phone: the page itself never scrolls sideways (wide tables scroll inside)
            await page.set_viewport_size({"width": 390, "height": 844})
            width = await page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390
            box = await charts.nth(0).bounding_box()
            assert box is not None and 0 < box["width"] <= 390
            await page.screenshot(path=tmp_path / "html-report-phone.png")
            # print: a page break before each prompt, no navigation
            await page.emulate_media(media="print")
            breaks = await page.evaluate(
                "() => [...document.querySelectorAll('section.prompt')]"
                ".map(s => getComputedStyle(s).breakBefore)"
            )
            assert breaks == ["page"] * len(library.prompt_sets["key-questions"].prompts) + \
                ["page"] * len(library.prompt_sets["quick-reflection"].prompts)
            assert await page.locator("nav").is_hidden()
            await page.pdf(path=tmp_path / "html-report.pdf")
        finally:
            await context.close()
    assert blocked == [], blocked
    assert requested == [url], requested
    assert problems == [], problems
    assert (tmp_path / "html-report.pdf").stat().st_size > 10_000
    for name in ("html-report.png", "html-report-phone.png", "html-report.pdf"):
        keep_artefact(tmp_path / name)
    assert world.answers


def test_browser_check_is_skipped_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"{__name__}.CHROMIUM", Path("/nonexistent/chromium"))
    reason = _browser_missing()
    assert reason is not None and "install-browser" in reason


async def test_the_answers_are_copied_in_whole_without_sendfile(
        db: Database, library: Library, engine: Engine, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The answers, written first to a temporary file, are copied into the report by the
    kernel where it can; where it cannot (no ``os.sendfile``, or one that refuses files, as
    on macOS) the report is the same, byte for byte."""
    world = await populate(engine)
    kernel = (await export(db, library, "html", tmp_path / "kernel")).path.read_bytes()

    def refuse(*args: object) -> int:
        raise OSError("sendfile: not a socket")

    monkeypatch.setattr(os, "sendfile", refuse)
    refused = (await export(db, library, "html", tmp_path / "refused")).path.read_bytes()
    monkeypatch.delattr(os, "sendfile")
    missing = (await export(db, library, "html", tmp_path / "missing")).path.read_bytes()
    assert kernel == refused == missing
    assert kernel.count(b'<article class="answer">') == world.answers
    assert kernel.endswith(b"</div></section></main></body></html>\n")
