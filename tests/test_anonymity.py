"""Pseudonyms cannot be traced back to names (issue 11): in a workshop with a named and an
anonymous group, pseudonyms count the anonymous group's first answers only, anonymous answers
come in pseudonym order, and their times are cut to the minute; no name or id leaks."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from bot.engine import Engine
from bot.exports import ExportScope, export_to_dir
from bot.models import Library

G = 5
NAMED = {11: "Nadia Named", 12: "Noor Named"}
ANON = {21: "Ada Hidden", 22: "Bea Hidden", 23: "Cy Hidden"}


async def test_pseudonyms_say_nothing_about_the_named_group(
    engine: Engine, library: Library, tmp_path: Path
) -> None:
    named = await engine.start(G, 1, group_name="named", workshop="Mixed", set_id="key-questions",
                               started_by=1, pace="self")
    anon = await engine.start(G, 2, group_name="anon", workshop="Mixed", set_id="key-questions",
                              started_by=1, pace="self", anonymous=True)
    prompts = library.prompt_sets["key-questions"].prompts

    async def say(session, uid: int, name: str, prompt) -> None:  # type: ignore[no-untyped-def]
        await engine.submit(G, session.id, prompt.id, user_id=uid, display_name=name,
                            values={f.id: f"an answer to {prompt.id}" for f in prompt.fields
                                    if not f.is_cite})

    # The named group answers first, then the anonymous one, in an interleaved order: Cy's
    # first answer comes before Ada's.
    for uid, name in NAMED.items():
        await say(named, uid, name, prompts[0])
    await say(anon, 23, ANON[23], prompts[1])
    await say(anon, 21, ANON[21], prompts[0])
    await say(anon, 22, ANON[22], prompts[0])
    await say(anon, 23, ANON[23], prompts[0])

    result = await export_to_dir(engine.db, library, guild_id=G,
                                 scope=ExportScope.workshop("mixed"), fmt="json",
                                 out_dir=tmp_path, actor_id=None)
    doc = json.loads(result.path.read_text(encoding="utf-8"))
    rows = [a for a in doc["answers"] if a["session_id"] == anon.id]
    # numbered by first answer among the anonymous only: Cy P01, Ada P02, Bea P03
    first_prompt = [a["participant"] for a in rows if a["prompt_id"] == prompts[0].id]
    assert first_prompt == ["P01", "P02", "P03"]  # in pseudonym order, not submission order
    assert {a["participant"] for a in rows} == {"P01", "P02", "P03"}
    for a in rows:
        assert "user_id" not in a and "id" not in a
        assert a["submitted_at"][16:] == ":00.000+00:00"  # to the minute only
        assert a["updated_at"][16:] == ":00.000+00:00"
    named_rows = [a for a in doc["answers"] if a["session_id"] == named.id]
    assert {a["participant"] for a in named_rows} == set(NAMED.values())
    raw = result.path.read_text(encoding="utf-8")
    for name in ANON.values():
        assert name not in raw

    csv_result = await export_to_dir(engine.db, library, guild_id=G,
                                     scope=ExportScope.session(anon.id), fmt="csv",
                                     out_dir=tmp_path, actor_id=None)
    table = list(csv.reader(io.StringIO(csv_result.path.read_text(encoding="utf-8-sig"))))
    assert {row[7] for row in table[1:]} == {"P01", "P02", "P03"}
