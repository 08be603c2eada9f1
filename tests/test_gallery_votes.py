"""Gallery walks, comments and dot-votes in the engine and storage: replayed clicks and forms
change nothing, budgets hold under clicks at once, a walk cannot be moved twice by a race, the
prompt is chosen plainly, and erasure (with a restore) takes comments and dots away."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.engine import Engine, InvalidMove, NotFound, WorkshopError
from bot.engine.gallery import GalleryCardsChanged, GalleryWalkStep
from bot.storage import CommentOutcome, Database, DotOutcome
from bot.storage.backup import backup_database, restore_database

G = 9
WORKSHOP = "Wall"


async def groups(engine: Engine, count: int = 3, **kw: object) -> list:  # type: ignore[type-arg]
    out = []
    for n in range(count):
        out.append(await engine.start(G, 100 + n, group_name=f"g{n + 1}", workshop=WORKSHOP,
                                      set_id="key-questions", started_by=1, **kw))
    return out


async def answer(engine: Engine, session, user_id: int, text: str):  # type: ignore[no-untyped-def]
    prompt = engine.live_prompt(session)
    sub = await engine.submit(G, session.id, prompt.id, user_id=user_id,
                              display_name=f"Person {user_id}",
                              values={f.id: text for f in prompt.fields if not f.is_cite})
    return sub.answer


async def test_a_replayed_click_or_comment_changes_nothing(engine: Engine) -> None:
    a, b, _ = await groups(engine)
    theirs = await answer(engine, b, 20, "b's idea")
    await engine.start_vote(G, WORKSHOP, 2)
    first = await engine.dot(G, theirs.id, viewer_session_id=a.id, user_id=5, add=True,
                             interaction_id=1001)
    again = await engine.dot(G, theirs.id, viewer_session_id=a.id, user_id=5, add=True,
                             interaction_id=1001)
    assert first.outcome is DotOutcome.ADDED and again.outcome is DotOutcome.REPLAYED
    assert again.used == 1 and again.left == 1
    taken = await engine.dot(G, theirs.id, viewer_session_id=a.id, user_id=5, add=False,
                             interaction_id=1002)
    replayed = await engine.dot(G, theirs.id, viewer_session_id=a.id, user_id=5, add=False,
                                interaction_id=1002)
    assert taken.outcome is DotOutcome.REMOVED and replayed.outcome is DotOutcome.REPLAYED
    assert replayed.used == 0
    said = await engine.comment(G, theirs.id, from_session_id=a.id, user_id=5,
                                display_name="Five", text=" good ", interaction_id=2001)
    twice = await engine.comment(G, theirs.id, from_session_id=a.id, user_id=5,
                                 display_name="Five", text=" good ", interaction_id=2001)
    assert said.outcome is CommentOutcome.SAVED and twice.outcome is CommentOutcome.REPLAYED
    assert said.comment.text == "good"
    assert len(await engine.db.comments_on_session(G, b.id)) == 1


async def test_clicks_at_once_never_pass_the_budget(engine: Engine) -> None:
    a, b, c = await groups(engine)
    targets = [await answer(engine, b, 20, "b"), await answer(engine, c, 30, "c")]
    await engine.start_vote(G, WORKSHOP, 3)
    results = await asyncio.gather(*(
        engine.dot(G, targets[i % 2].id, viewer_session_id=a.id, user_id=7, add=True,
                   interaction_id=3000 + i) for i in range(12)))
    outcomes = [r.outcome for r in results]
    assert outcomes.count(DotOutcome.ADDED) == 3
    assert outcomes.count(DotOutcome.NO_DOTS_LEFT) == 9
    assert sum((await engine.db.dot_counts(G, 1)).values()) == 3
    own = await engine.dot(G, targets[0].id, viewer_session_id=a.id, user_id=20, add=True)
    assert own.outcome is DotOutcome.OWN_GROUP  # 20 answered in b
    here = await engine.dot(G, targets[0].id, viewer_session_id=b.id, user_id=8, add=True)
    assert here.outcome is DotOutcome.OWN_GROUP  # the card is in b's own channel


async def test_a_walk_moves_once_and_ends_after_a_full_round(engine: Engine) -> None:
    a, b, c = await groups(engine)
    for session, uid in ((a, 10), (b, 20), (c, 30)):
        await answer(engine, session, uid, f"idea of {uid}")
    steps: list[GalleryWalkStep] = []
    engine.events.subscribe(GalleryWalkStep, steps.append)
    start = await engine.start_walk(G, WORKSHOP)
    assert [(v.viewer.id, v.groups[0].id) for v in start.views] == \
        [(a.id, b.id), (b.id, c.id), (c.id, a.id)]
    with pytest.raises(WorkshopError, match="already running"):
        await engine.start_walk(G, WORKSHOP)
    raced = await asyncio.gather(engine.rotate_walk(G, WORKSHOP),
                                 engine.rotate_walk(G, WORKSHOP), return_exceptions=True)
    assert sum(isinstance(r, InvalidMove) for r in raced) == 1  # one move, not two
    moved = next(r for r in raced if not isinstance(r, BaseException))
    assert [(v.viewer.id, v.groups[0].id) for v in moved.views] == \
        [(a.id, c.id), (b.id, a.id), (c.id, b.id)]
    ended = await engine.rotate_walk(G, WORKSHOP)
    assert ended.ended and [g.id for g in ended.groups] == [a.id, b.id, c.id]
    assert [(s.step.walk.round, s.step.ended) for s in steps] == [(1, False), (2, False),
                                                                   (2, True)]
    assert (await engine.workshop(G, WORKSHOP)).phase.value == "answering"
    with pytest.raises(NotFound, match="No gallery walk"):
        await engine.rotate_walk(G, WORKSHOP)


async def test_the_prompt_is_the_live_one_or_named(engine: Engine) -> None:
    _, b = await groups(engine, 2)
    await engine.goto(G, b.channel_id, 2)
    with pytest.raises(WorkshopError, match="different prompts"):
        await engine.start_walk(G, WORKSHOP)
    by_number = await engine.start_walk(G, WORKSHOP, "2")
    assert by_number.prompt.number == 2
    await engine.end_walk(G, WORKSHOP)
    by_id = await engine.start_vote(G, WORKSHOP, 1, "identify-change")
    assert by_id.prompt.number == 1
    with pytest.raises(NotFound, match="has that prompt"):
        await engine.start_walk(G, WORKSHOP, "no-such-prompt")
    await engine.start(G, 999, group_name="alone", workshop="Solo", set_id="key-questions",
                       started_by=1)
    with pytest.raises(WorkshopError, match="at least two groups"):
        await engine.start_walk(G, "Solo")
    with pytest.raises(WorkshopError, match="1 to 20 dots"):
        await engine.start_vote(G, WORKSHOP, 21, "2")


async def test_comments_only_while_shown_and_read_after_the_walk(engine: Engine) -> None:
    a, b = await groups(engine, 2)
    theirs = await answer(engine, b, 20, "b's idea")
    with pytest.raises(WorkshopError, match="comments are closed"):
        await engine.comment(G, theirs.id, from_session_id=a.id, user_id=5,
                             display_name="Five", text="early")
    await engine.start_walk(G, WORKSHOP)
    with pytest.raises(WorkshopError, match="the limit is 500"):
        await engine.comment(G, theirs.id, from_session_id=a.id, user_id=5,
                             display_name="Five", text="x" * 501)
    await engine.comment(G, theirs.id, from_session_id=a.id, user_id=5, display_name="Five",
                         text="noted")
    with pytest.raises(WorkshopError, match="when the gallery walk ends"):
        await engine.session_comments(G, b.channel_id, 20, facilitator=False)
    await engine.end_walk(G, WORKSHOP)
    session, shown = await engine.session_comments(G, b.channel_id, 20, facilitator=False)
    assert session.id == b.id
    assert [(c.group, c.name, c.text, c.answer_label) for c in shown] == \
        [("g1", None, "noted", "your answer")]
    with pytest.raises(WorkshopError, match="people who answered in it"):
        await engine.session_comments(G, b.channel_id, 5, facilitator=False)


async def test_erasure_takes_comments_and_dots_and_names_the_cards(engine: Engine) -> None:
    a, b = await groups(engine, 2)
    mine = await answer(engine, a, 10, "a's idea")
    theirs = await answer(engine, b, 20, "b's idea")
    await engine.start_walk(G, WORKSHOP)
    await engine.start_vote(G, WORKSHOP, 2)
    await engine.comment(G, theirs.id, from_session_id=a.id, user_id=10,
                         display_name="Ten", text="from ten")
    await engine.comment(G, mine.id, from_session_id=b.id, user_id=20,
                         display_name="Twenty", text="on ten's")
    await engine.dot(G, theirs.id, viewer_session_id=a.id, user_id=10, add=True,
                     interaction_id=1)
    await engine.dot(G, mine.id, viewer_session_id=b.id, user_id=20, add=True,
                     interaction_id=2)
    await engine.db.remember_message(guild_id=G, kind="gallery", channel_id=b.channel_id,
                                     message_id=555, session_id=b.id, answer_id=mine.id)
    changed: list[GalleryCardsChanged] = []
    engine.events.subscribe(GalleryCardsChanged, changed.append)
    assert await engine.forget(G, 10) == 1
    (event,) = changed
    assert [(c.note.message_id, c.shown) for c in event.changes] == [(555, None)]
    db = engine.db
    rows = await db.fetchall("SELECT user_id, text FROM gallery_comments")
    assert rows == []  # ten's own comment, and twenty's on ten's answer
    assert await db.fetchall("SELECT user_id FROM dots") == []
    assert await db.fetchall("SELECT user_id FROM dot_clicks") == []


async def test_an_edit_reaches_the_cards_posted_unless_it_would_give_a_pseudonym_away(
    engine: Engine
) -> None:
    """Cards already posted show an edited answer's new text (a group's new version, a person's
    answer in a named session), but not a person's own answer in an anonymous session: a card
    changing as someone submits would link them to their pseudonym."""
    start = engine.start
    named = await start(G, 201, group_name="named", workshop=WORKSHOP, set_id="key-questions",
                        started_by=1)
    anon = await start(G, 202, group_name="anon", workshop=WORKSHOP, set_id="key-questions",
                       started_by=1, anonymous=True)
    team = await start(G, 203, group_name="team", workshop=WORKSHOP, set_id="key-questions",
                       started_by=1, anonymous=True, answers="group")
    firsts = []
    for session, user in ((named, 10), (anon, 20), (team, 30)):
        firsts.append(await answer(engine, session, user, f"first {session.group_name}"))
    changed: list[GalleryCardsChanged] = []
    engine.events.subscribe(GalleryCardsChanged, changed.append)
    statements: list[str] = []  # every statement SQLite runs for the bot from here on
    raw = engine.db._conn
    await raw._execute(raw._conn.set_trace_callback, statements.append)
    await answer(engine, named, 10, "edited before any walk: no card to look for")
    assert changed == []
    # no walk or vote in this workshop yet, so its edits do not look for cards at all
    assert statements and not any("bot_messages" in sql for sql in statements)

    await engine.start_walk(G, WORKSHOP)
    for n, (session, first) in enumerate(zip((named, anon, team), firsts, strict=True)):
        for kind in ("gallery", "gallery-result"):  # a card, and a vote's result card
            await engine.db.remember_message(
                guild_id=G, kind=kind, channel_id=300, message_id=900 + n + (10 if
                kind == "gallery-result" else 0), session_id=session.id, answer_id=first.id)

    statements.clear()
    await answer(engine, named, 10, "named, edited")
    assert any("FROM bot_messages" in sql for sql in statements)
    (event,) = changed
    assert sorted(c.note.message_id for c in event.changes) == [900, 910]
    assert all(c.shown is not None and "named, edited" in c.shown.fields.values()
               for c in event.changes)
    await answer(engine, team, 31, "the team's second version")
    assert len(changed) == 2
    assert sorted(c.note.message_id for c in changed[1].changes) == [902, 912]
    assert all(c.shown is not None and "the team's second version" in c.shown.fields.values()
               for c in changed[1].changes)
    await answer(engine, anon, 20, "anon, edited")
    assert len(changed) == 2  # no event: the anonymous person's cards are left as posted
    await answer(engine, named, 11, "a new answer: no cards yet")
    assert len(changed) == 2
    # after a restart the bot still knows which workshops have had a walk
    again = await Engine.create(engine.db, engine.library)
    again.events.subscribe(GalleryCardsChanged, changed.append)
    await answer(again, named, 10, "named, edited after a restart")
    assert len(changed) == 3 and sorted(c.note.message_id for c in changed[2].changes) == [900,
                                                                                          910]


async def test_a_restore_erases_again_a_person_who_only_commented_and_voted(
    db_path: Path, tmp_path: Path, library
) -> None:  # type: ignore[no-untyped-def]
    db = await Database.open(db_path)
    engine = await Engine.create(db, library)
    a, b = await groups(engine, 2)
    theirs = await answer(engine, b, 20, "b's idea")
    await engine.start_walk(G, WORKSHOP)
    await engine.start_vote(G, WORKSHOP, 2)
    await engine.comment(G, theirs.id, from_session_id=a.id, user_id=77, display_name="Lurker",
                         text="lurker's note")
    await engine.dot(G, theirs.id, viewer_session_id=a.id, user_id=77, add=True,
                     interaction_id=9)
    backup = tmp_path / "backup.db"
    backup_database(db_path, backup)
    assert await engine.forget(G, 77) == 0
    await db.close()
    restore_database(backup, db_path, force=True)
    conn = sqlite3.connect(db_path)
    try:
        for table in ("gallery_comments", "dots", "dot_clicks"):
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE user_id = 77"
                                ).fetchone()[0] == 0, table
        assert conn.execute("SELECT count(*) FROM answers").fetchone()[0] == 1
    finally:
        conn.close()
