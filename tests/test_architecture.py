"""The seams the features build on: no import loop in bot/, all SQL in bot/storage/, every
custom id parses back, Database is a Storage."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.discord_ui import ids
from bot.storage import Database, Storage

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """bot.* modules imported at module level (imports inside functions or under
    TYPE_CHECKING do not make a loop at import time)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = _module_name(path) if path.name == "__init__.py" else \
        _module_name(path).rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in [node] if not isinstance(node, ast.If) else node.body:
            if isinstance(sub, ast.Import):
                found |= {a.name for a in sub.names if a.name.startswith("bot")}
            elif isinstance(sub, ast.ImportFrom):
                if sub.level:
                    base = package.split(".")
                    base = base[: len(base) - sub.level + 1]
                    name = ".".join([*base, sub.module] if sub.module else base)
                else:
                    name = sub.module or ""
                if name.startswith("bot"):
                    found.add(name)
                    found |= {f"{name}.{a.name}" for a in sub.names}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in BOT.rglob("*.py") if "emulator" not in p.parts}
    return {name: {m for m in _imports(path) if m in modules and m != name}
            for name, path in modules.items()}


def test_no_import_loop_in_bot() -> None:
    graph = _graph()
    assert len(graph) > 30
    # a package's __init__ re-exporting its own modules is not a loop
    for name, deps in graph.items():
        graph[name] = {d for d in deps if not name.startswith(d + ".")}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                loop = [*stack[stack.index(dep):], dep]
                pytest.fail("import loop: " + " -> ".join(loop))
            if dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_cogs_are_imported_never_importers_of_each_other() -> None:
    graph = _graph()
    for name, deps in graph.items():
        if ".cogs." in name or name.endswith(".cogs"):
            continue
        assert not [d for d in deps if ".cogs." in d], f"{name} imports a cog: {deps}"


def test_only_storage_speaks_sql() -> None:
    for path in BOT.rglob("*.py"):
        if "storage" in path.relative_to(BOT).parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from) (aiosqlite|sqlite3)\b", text, re.M), path
        assert not re.search(r"\b(SELECT|INSERT INTO|DELETE FROM|UPDATE \w+ SET)\b", text), path


def test_migrations_are_numbered_sql_files_shipped_in_the_package() -> None:
    from bot.storage.schema import SCHEMA_VERSION, migrations

    files = sorted((BOT / "storage" / "migrations").glob("*.sql"))
    assert [f.name[:4] for f in files] == [f"{n:04d}" for n in range(1, len(files) + 1)]
    assert len(migrations()) == SCHEMA_VERSION == len(files)


def test_database_is_a_storage() -> None:
    assert issubclass(Database, Storage)
    missing = [name for name in dir(Storage) if not name.startswith("_")
               and not hasattr(Database, name)]
    assert missing == []


SAMPLES = {"int": [1, 9_999_999_999_999_999_999], "id": ["a", "x" * 50, "identify-change"],
           "token": ["0", "abcdef012345"]}


@pytest.mark.parametrize("custom", ids.ALL, ids=lambda c: c.kind)
def test_every_custom_id_parses_back(custom: ids.CustomId) -> None:
    # the smallest and the largest value of every field, and a realistic one
    for pick in (0, -1):
        values = {name: SAMPLES[kind][pick] for name, kind in custom.fields}
        text = custom.make(**values)
        assert len(text) <= ids.MAX_LENGTH
        assert custom.parse(text) == values
        assert custom.template.fullmatch(text)
        # no other kind claims it (dispatch is by template)
        assert [c.kind for c in ids.ALL if c.template.fullmatch(text)] == [custom.kind]
    with pytest.raises(ValueError):
        custom.make(**{name: "BAD VALUE" for name, _ in custom.fields})


def test_every_item_the_bot_registers_uses_an_id_of_the_registry() -> None:
    from bot.discord_ui.items import ITEMS

    templates = {c.template.pattern for c in ids.ALL}
    assert {item.__discord_ui_compiled_template__.pattern for item in ITEMS} <= templates
