"""The words and links of the bundled content against the seminar report: every quotation of
the three key questions matches the content file (which matches the report), what is not
from the report says so in the data, and links the report does not support stay out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import BUNDLED_CONTENT_DIR, BUNDLED_PROMPTS_DIR, REPO_ROOT
from bot.content import load_library
from bot.models import Library

SOURCE_REPORT = Path("/work/shared/source/seminar-report-2016.txt")
# Where the questions may be quoted: docs, content, prompt sets, and the bot's own text.
QUOTING = ["*.md", "docs/**/*.md", "bench/*.md", "content/**/*.yaml", "prompts/*.yaml",
           "bot/**/*.py"]


@pytest.fixture(scope="module")
def bundled() -> Library:
    return load_library([BUNDLED_CONTENT_DIR], [BUNDLED_PROMPTS_DIR])


def squash(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split())


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def texts_of(path: Path) -> list[str]:
    """The text a reader of ``path`` sees: YAML values (folded scalars unfolded), or the
    file with markdown line breaks joined."""
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".yaml":
        return [squash(s) for s in _strings(yaml.safe_load(raw))]
    return [squash(raw)]


def quotations(question: str) -> list[tuple[str, str]]:
    """Every place a file quotes ``question`` (found by its first five words): the file and
    the text from there on."""
    opening = " ".join(question.split()[:5])
    found = []
    for pattern in QUOTING:
        for path in sorted(REPO_ROOT.glob(pattern)):
            for text in texts_of(path):
                for match in re.finditer(re.escape(opening), text):
                    found.append((path.relative_to(REPO_ROOT).as_posix(),
                                  text[match.start():]))
    return found


def test_every_quotation_of_a_key_question_matches_the_content_file(bundled: Library) -> None:
    for question in bundled.key_questions.values():
        places = quotations(question.text)
        files = {file for file, _ in places}
        # the README and every bundled prompt set quote it (so this test finds quotations)
        assert {"README.md", "content/key-questions.yaml", "prompts/key-questions.yaml",
                "prompts/key-questions-group.yaml", "prompts/quick-reflection.yaml"} <= files
        for file, text in places:
            assert text.startswith(squash(question.text)), (
                f"{file} misquotes key question {question.number}: {text[:200]!r}")


def test_the_readme_says_what_the_report_says_about_the_panels() -> None:
    readme = squash((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert '"Key questions were discussed by panels on both days"' in readme
    assert "ended with panels" not in readme
    assert "Everything in them is taken from the seminar report" not in readme
    assert "Names explained (not from the report)" in readme and "from_report" in readme


@pytest.mark.skipif(not SOURCE_REPORT.exists(), reason="source report not available")
def test_the_content_file_quotes_the_report(bundled: Library) -> None:
    report = squash(SOURCE_REPORT.read_text(encoding="utf-8"))
    assert "Key questions were discussed by panels on both days" in report
    for question in bundled.key_questions.values():
        assert squash(question.text) in report, question.id


# --------------------------------------------------------------------------- provenance


def test_every_glossary_entry_says_it_is_not_from_the_report(bundled: Library) -> None:
    """The report expands and describes none of the names it uses."""
    assert bundled.glossary
    for entry in bundled.glossary.values():
        assert entry.from_report is False, entry.id
    raw = yaml.safe_load((BUNDLED_CONTENT_DIR / "glossary.yaml").read_text("utf-8"))
    assert all(item["from_report"] is False for item in raw["glossary"])  # said in the data


@pytest.mark.skipif(not SOURCE_REPORT.exists(), reason="source report not available")
def test_glossary_expansions_are_not_in_the_report(bundled: Library) -> None:
    report = squash(SOURCE_REPORT.read_text(encoding="utf-8")).lower()
    for entry in bundled.glossary.values():
        if re.search(rf"\b{re.escape(entry.term.lower())}\b", report):  # (not "EBI")
            assert entry.expansion.lower() not in report, entry.id  # so: context, marked


def test_every_bundled_example_is_marked_as_from_the_report(bundled: Library) -> None:
    for example in bundled.examples.values():
        assert example.from_report, example.id


@pytest.mark.skipif(not SOURCE_REPORT.exists(), reason="source report not available")
def test_example_organisations_are_the_reports(bundled: Library) -> None:
    report = squash(SOURCE_REPORT.read_text(encoding="utf-8")).lower()
    for example in bundled.examples.values():
        name = re.sub(r"\s*\(.*\)$", "", example.organisation).lower()
        assert name in report, example.id
    assert bundled.event is not None and bundled.event.organiser.lower() in report


# --------------------------------------------------------------------------- links


def linked(bundled: Library, example_id: str) -> set[str]:
    return {q.question_id for q in bundled.examples[example_id].questions}


@pytest.mark.parametrize(("example_id", "question_id"), [
    ("dudley-keep", "scale-and-sustain"),  # nothing on scale or keeping it going
    ("leeds-mst-can", "scale-and-sustain"),  # "an adaptation of MST" is not in the report
    ("essex-manchester-sib", "measure-impact"),  # nothing on measurement
    ("bridges-outcomes-investment", "measure-impact"),
    ("young-person-mst", "measure-impact"),  # an inferred link a reader would not accept
    ("nis-draft-film", "measure-impact"),
])
def test_links_the_report_does_not_support_stay_out(bundled: Library, example_id: str,
                                                    question_id: str) -> None:
    assert question_id not in linked(bundled, example_id)


def test_the_reports_own_words(bundled: Library) -> None:
    nis = bundled.glossary["nis"]
    assert "ran these seminars" not in nis.description + nis.source_note
    assert "hosted by Leeds City Council and Birmingham City Council" in nis.source_note
    why = bundled.examples["oxfordshire-residential-result"].questions[0].why
    assert "across the county" in why and "whole county" not in why
    assert "were key points to take away" in bundled.examples["holmes-costs-value"].summary
    for eid in ("young-person-mst", "nis-draft-film"):
        example = bundled.examples[eid]
        assert "Leeds," not in example.event and "Birmingham," not in example.event
        assert "say at which event" in example.source_note


def test_each_example_card_and_listing_agree(bundled: Library) -> None:
    """One source of truth: a prompt with a key question shows exactly the examples
    ``/examples question:`` lists for it."""
    checked = 0
    for pset in bundled.prompt_sets.values():
        for prompt in pset.prompts:
            if prompt.key_question is None:
                continue
            on_card = [link.example_id for link in prompt.examples]
            assert len(on_card) == len(set(on_card))
            listed = {e.id for e in bundled.examples_for_question(prompt.key_question)}
            assert set(on_card) == listed, (pset.id, prompt.id)
            for link in prompt.examples:  # each with the reason its example gives
                why = {q.question_id: q.why for q in bundled.examples[link.example_id].questions}
                assert link.look_at == why[prompt.key_question]
            checked += 1
    assert checked == 9
    # every example shows on some card (Leeds MST CAN and TEND once appeared on none)
    shown = {link.example_id for pset in bundled.prompt_sets.values()
             for prompt in pset.prompts for link in prompt.examples}
    assert shown == set(bundled.examples)


def test_placeholders_draw_on_different_examples(bundled: Library) -> None:
    """Groups are not all anchored on one case: the key-questions placeholders name at least
    six different seminar examples, none more than twice."""
    names = ["Northamptonshire", "Leeds", "Oxfordshire", "Dudley", "Birmingham", "Essex",
             "Bridges", "Holmes", "NIS film", "abuse and neglect", "foster carers",
             "residential services", "aged 0-4", "young person", "Social Impact Bond"]
    for set_id in ("key-questions", "key-questions-group"):
        placeholders = [f.placeholder or "" for p in bundled.prompt_sets[set_id].prompts
                        for f in p.fields]
        counts = {n: sum(n.lower() in ph.lower() for ph in placeholders) for n in names}
        assert sum(1 for c in counts.values() if c) >= 6, counts
        assert max(counts.values()) <= 2, counts
