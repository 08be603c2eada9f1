"""Hostile content packs: whatever an EXTRA_CONTENT_DIRS / EXTRA_PROMPT_DIRS folder (or
``validate --content/--prompts``) holds, loading ends with a verdict naming the problem, never
a hang, a traceback or a flood of memory. Every case is made of real files in tmp_path.

The time and memory these cases take are measured by ``bench/hostile_content.py``, not here.
"""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.config import BUNDLED_CONTENT_DIR, BUNDLED_PROMPTS_DIR, REPO_ROOT
from bot.content import ContentError, load_library, safe_yaml
from bot.content.limits import (
    MAX_DEPTH,
    MAX_ENTRIES,
    MAX_FILE_BYTES,
    MAX_FILE_NODES,
    MAX_FILES,
    MAX_PROBLEMS_PER_FILE,
    MAX_TOTAL_BYTES,
    MAX_TOTAL_NODES,
)
from bot.models import Library

VALID_SET = yaml.safe_load((BUNDLED_PROMPTS_DIR / "quick-reflection.yaml").read_text("utf-8"))
# A generous guard so that a regression shows as a failure, not as a test run that never
# ends (this is not a speed target: bench/hostile_content.py measures the speed).
HANG_GUARD = 120


def prompt_set(set_id: str, **extra: object) -> str:
    return yaml.safe_dump({**VALID_SET, "id": set_id, **extra}, sort_keys=False)


def load(content: list[Path] | None = None, prompts: list[Path] | None = None) -> Library:
    return load_library([BUNDLED_CONTENT_DIR, *(content or [])],
                        [BUNDLED_PROMPTS_DIR, *(prompts or [])])


def problems(content: list[Path] | None = None, prompts: list[Path] | None = None
             ) -> ContentError:
    with pytest.raises(ContentError) as info:
        load(content, prompts)
    return info.value


def validate(*args: str, cwd: Path, user: int | None = None, python: str = sys.executable
             ) -> subprocess.CompletedProcess[str]:
    """``workshop-bot validate ...`` in a fresh process, as a user would run it."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("EXTRA_CONTENT_DIRS", "EXTRA_PROMPT_DIRS")}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *site.getsitepackages()])
    return subprocess.run(
        [python, "-m", "bot", "validate", *args], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=HANG_GUARD, check=False,
        user=user, group=user, extra_groups=[] if user is not None else None,
    )


# --------------------------------------------------------------------------- not regular files


def test_a_fifo_named_yaml_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    os.mkfifo(prompts / "x.yaml")  # opening it to read would wait for a writer forever
    result = validate("--prompts", str(BUNDLED_PROMPTS_DIR), "--prompts", str(prompts),
                      cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "prompts/x.yaml: cannot read file: a named pipe (FIFO), not a regular file" \
        in result.stderr
    assert "Traceback" not in result.stderr


def test_a_symlink_to_dev_zero_is_a_problem_not_a_memory_flood(tmp_path: Path) -> None:
    examples = tmp_path / "content" / "examples"
    examples.mkdir(parents=True)
    (examples / "zero.yaml").symlink_to("/dev/zero")  # reading it never ends
    result = validate("--content", str(BUNDLED_CONTENT_DIR), "--content",
                      str(tmp_path / "content"), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "examples/zero.yaml: cannot read file: a character device, not a regular file" \
        in result.stderr


def test_a_fifo_given_as_a_folder(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    error = problems(prompts=[tmp_path / "pipe"])
    assert "pipe: prompt folder is not a folder" in error.report()


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.mkdir(), "a folder, not a regular file"),
    (lambda p: p.symlink_to(p.parent / "nowhere.yaml"), "not found (a broken symbolic link?)"),
    (lambda p: p.symlink_to(p), "a symbolic link loop"),
], ids=["folder", "broken-symlink", "symlink-loop"])
def test_other_things_named_yaml(tmp_path: Path, make: object, message: str) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    make(prompts / "x.yaml")  # type: ignore[operator]
    error = problems(prompts=[prompts])
    assert f"prompts/x.yaml: cannot read file: {message}" in error.report()


# --------------------------------------------------------------------------- sizes


def test_a_22_mb_file_is_refused_unread(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    big = prompts / "big.yaml"
    with big.open("w", encoding="utf-8") as out:
        out.write(prompt_set("big"))
        line = "# " + "x" * 98 + "\n"
        out.writelines(line for _ in range(22 * 1024 * 1024 // len(line)))
    assert big.stat().st_size > 22_000_000
    error = problems(prompts=[prompts])
    assert [str(p) for p in error.problems] == [
        f"{error.problems[0].file}: file is 22.0 MiB; the limit is 256 KiB per file"
    ]
    assert MAX_FILE_BYTES == 256 * 1024


def test_a_file_just_under_the_size_limit_loads(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    text = prompt_set("padded").encode()
    (prompts / "padded.yaml").write_bytes(text + b"#" * (MAX_FILE_BYTES - len(text) - 1) + b"\n")
    assert (prompts / "padded.yaml").stat().st_size == MAX_FILE_BYTES
    assert "padded" in load(prompts=[prompts]).prompt_sets


def test_too_many_values_in_one_file(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    many = "[" + ",".join("1" for _ in range(MAX_FILE_NODES)) + "]"
    (prompts / "many.yaml").write_text(f"id: many\ntitle: {many}\n")
    assert (prompts / "many.yaml").stat().st_size < MAX_FILE_BYTES
    error = problems(prompts=[prompts])
    assert error.report().endswith(
        f"many.yaml: more than {MAX_FILE_NODES:,} YAML values (lists, mappings and single "
        f"values); the limit per file is {MAX_FILE_NODES:,}")


def test_nesting_deeper_than_the_limit(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "deep.yaml").write_text("id: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5))
    error = problems(prompts=[prompts])
    assert f"nested too deeply (more than {MAX_DEPTH} levels)" in error.report()


# --------------------------------------------------------------------------- the whole load


def test_too_many_bytes_together_stops_reading(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    per_file = MAX_FILE_BYTES - 1000
    count = MAX_TOTAL_BYTES // per_file + 2
    for i in range(count):
        text = prompt_set(f"s{i:02d}").encode()
        (prompts / f"s{i:02d}.yaml").write_bytes(text + b"#" * (per_file - len(text) - 1) + b"\n")
    error = problems(prompts=[prompts])
    assert len(error.problems) == 1, error.report()
    assert "reading stopped here: the YAML files of this load come to more than 1 MiB " \
           "together, the limit" in error.report()
    assert MAX_TOTAL_BYTES == 1024 * 1024


def test_too_many_values_together_stops_reading(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    values = MAX_FILE_NODES - 500  # (and the prompt set itself)
    for i in range(MAX_TOTAL_NODES // values + 2):
        (prompts / f"s{i:02d}.yaml").write_text(prompt_set(f"s{i:02d}", padding=["x"] * values))
    error = problems(prompts=[prompts])
    assert f"reading stopped here: the files of this load hold more than " \
           f"{MAX_TOTAL_NODES:,} YAML values" in error.report()
    # the files read before the limit are reported as usual (an unknown key each)
    assert "unknown key 'padding'" in error.report()


def test_too_many_files_stops_reading(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    for i in range(MAX_FILES + 5):
        (prompts / f"s{i:04d}.yaml").write_text("id: x\n")
    error = problems(prompts=[prompts])
    stopped = [p for p in error.problems if "reading stopped here" in p.message]
    assert len(stopped) == 1
    assert "/prompts/s0" in stopped[0].file  # (the bundled files were read first)
    assert re.search(rf"more than {MAX_FILES:,} YAML files, the limit for one load "
                     r"\(\d+ in this folder not read\)$", stopped[0].message)


def test_too_many_folder_entries_stops_reading(tmp_path: Path) -> None:
    folder = tmp_path / "prompts"
    folder.mkdir()
    for i in range(MAX_ENTRIES + 1):
        (folder / f"n{i}.txt").touch()
    error = problems(prompts=[folder])
    assert f"reading stopped in this folder: the folders hold more than {MAX_ENTRIES:,} " \
           "files and folders" in error.report()


def test_problems_per_file_are_capped_and_counted(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    bad_fields = [{"id": f"F{i}", "label": ""} for i in range(300)]  # two problems each
    data = {**VALID_SET, "id": "noisy"}
    data["prompts"] = [{**VALID_SET["prompts"][0], "fields": bad_fields}]
    (prompts / "noisy.yaml").write_text(yaml.safe_dump(data))
    error = problems(prompts=[prompts])
    assert len(error.problems) == MAX_PROBLEMS_PER_FILE + 1
    assert error.total == 601  # 600 bad values and "has 300 fields; the limit is 5"
    assert str(error.problems[0]).endswith(
        f"noisy.yaml: 601 problems in this file; the first {MAX_PROBLEMS_PER_FILE} found "
        "are listed")


# --------------------------------------------------------------------------- anchors and aliases

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
id: *i
"""
MERGE_BOMB = "a: &a {x: 1}\n" + "".join(
    f"k{n}: &k{n} {{<<: [{', '.join(['*a' if n == 0 else f'*k{n - 1}'] * 9)}]}}\n"
    for n in range(12)
)


@pytest.mark.parametrize("text", [BILLION_LAUGHS, MERGE_BOMB], ids=["laughs", "merge-keys"])
@pytest.mark.parametrize("where", ["prompts/bomb.yaml", "content/examples/bomb.yaml"])
def test_alias_bombs_are_refused_unexpanded(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / where
    path.parent.mkdir(parents=True)
    path.write_text(text)
    error = problems([tmp_path / "content"], [tmp_path / "prompts"])
    assert len(text) < 2000
    assert "bomb.yaml:1: YAML anchor &a is not allowed: anchors (&) and aliases (*) are " \
           "refused, not expanded; write the value out in full" in error.report()
    count = BILLION_LAUGHS.count("&") + BILLION_LAUGHS.count("*") if text == BILLION_LAUGHS \
        else MERGE_BOMB.count("&") + MERGE_BOMB.count("*")
    assert f"write the value out in full (this file has {count} anchors and aliases)" \
        in error.report()
    assert len([p for p in error.problems if "anchor" in p.message]) == 1
    if text == MERGE_BOMB:
        assert "k0.<<: YAML merge keys (<<) are not allowed" in error.report()


def test_an_anchor_alone_is_refused_too(tmp_path: Path) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    (prompts / "anchor.yaml").write_text(prompt_set("anchored").replace(
        "title: Quick reflection", "title: &t Quick reflection", 1))
    error = problems(prompts=[prompts])
    assert "anchor.yaml:2: YAML anchor &t is not allowed" in error.report()


@pytest.mark.parametrize("pure", [False, True], ids=["libyaml", "pure-python"])
@pytest.mark.parametrize(("text", "outcome"), [
    (BILLION_LAUGHS, "refused"),
    ("[" * 60 + "]" * 60, safe_yaml.TooDeep),
    ("[" + "1," * 200 + "1]", safe_yaml.TooMany),
], ids=["aliases", "depth", "values"])
def test_both_parsers_apply_the_same_checks(text: str, outcome: object, pure: bool) -> None:
    if not pure and not safe_yaml.LIBYAML:
        pytest.skip("PyYAML was built without libyaml here")
    loader = safe_yaml.loader(text, node_limit=200, depth_limit=MAX_DEPTH, pure=pure)
    try:
        if outcome == "refused":
            node = loader.get_single_node()
            assert loader.refused[0] == ("&", "a", 1) and ("*", "i", 10) in loader.refused
            # an alias is composed as an empty value: the document is no bigger than its text
            assert loader.construct_document(node)["id"] is None
        else:
            with pytest.raises(outcome):  # type: ignore[call-overload]
                loader.get_single_node()
    finally:
        loader.dispose()


# --------------------------------------------------------------------------- folders


def test_a_folder_symlink_loop_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    error = problems([tmp_path / "loop"], [tmp_path / "loop"])
    assert "loop: content folder is a symbolic link loop" in error.report()
    assert "loop: prompt folder is a symbolic link loop" in error.report()


def test_an_examples_folder_symlink_loop_is_a_problem(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "examples").symlink_to(content / "examples")
    error = problems([content])
    assert [str(p) for p in error.problems] == [
        f"{error.problems[0].file}: examples folder is a symbolic link loop"]
    assert error.problems[0].file.endswith("content/examples")


def test_two_folders_linked_in_a_cycle(tmp_path: Path) -> None:
    """Folders that link back to each other are read once each (nothing walks into them)."""
    content = tmp_path / "content"
    (content / "examples").mkdir(parents=True)
    (content / "examples" / "up").symlink_to(content)
    (content / "back").symlink_to(content / "examples")
    assert load([content]).examples == load().examples


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder any user can reach (tmp_path's parents are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="wb-hostile-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def _unreadable_verdict(path: Path, args: list[str], cwd: Path) -> str:
    """Make ``path`` unreadable (chmod 000) and return what ``validate`` says. As root, chmod
    does not stop reading, so the check runs as the unprivileged user 'nobody' instead."""
    mode = path.stat().st_mode
    path.chmod(0o000)
    try:
        if os.geteuid() != 0:
            return validate(*args, cwd=cwd).stderr
        # this Python may live where 'nobody' cannot go (e.g. under /root): try the system's
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        tried = []
        for python in (sys.executable, f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
            try:
                result = validate(*args, cwd=cwd, user=65534, python=python)
            except OSError as exc:
                tried.append(f"{python}: {exc.strerror}")
                continue
            if "Traceback" not in result.stderr:
                return result.stderr
            tried.append(f"{python}: {result.stderr.strip().splitlines()[-1]}")
        pytest.skip("running as root, where chmod 000 has no effect, and the user 'nobody' "
                    f"cannot run this project's Python ({'; '.join(tried)})")
    finally:
        path.chmod(mode)


def test_an_unreadable_examples_folder_is_a_problem(shared_tmp: Path) -> None:
    content = shared_tmp / "content"
    write_example = content / "examples" / "local.yaml"
    write_example.parent.mkdir(parents=True)
    write_example.write_text("examples: []\n")
    content.chmod(0o755)
    err = _unreadable_verdict(content / "examples", [
        "--content", str(BUNDLED_CONTENT_DIR), "--content", str(content)], cwd=shared_tmp)
    assert "content/examples: examples folder cannot be read: permission denied" in err
    assert "1 problem in 1 file." in err


def test_an_unreadable_file_is_a_problem(shared_tmp: Path) -> None:
    prompts = shared_tmp / "prompts"
    prompts.mkdir(mode=0o755)
    (prompts / "mine.yaml").write_text(prompt_set("mine"))
    err = _unreadable_verdict(prompts / "mine.yaml", [
        "--prompts", str(BUNDLED_PROMPTS_DIR), "--prompts", str(prompts)], cwd=shared_tmp)
    assert "prompts/mine.yaml: cannot read file: permission denied" in err
