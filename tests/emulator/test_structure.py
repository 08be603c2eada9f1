"""The emulator's modules form layers: no import loop (type-checking imports included), each
imports on its own, and world objects reach the server only through their Host interface."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "bot" / "emulator"
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")


def _emulator_imports(module: str) -> set[str]:
    """Sibling modules ``module`` imports anywhere (``if TYPE_CHECKING:`` blocks included)."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "bot.emulator":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("bot.emulator."):
                found.add(node.module.removeprefix("bot.emulator.").split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("bot.emulator."):
                    found.add(alias.name.removeprefix("bot.emulator.").split(".")[0])
    return found


def test_modules_import_only_sibling_modules_without_a_loop() -> None:
    graph = {m: _emulator_imports(m) for m in MODULES}
    for module, imported in graph.items():
        # `from bot.emulator import X` must name a module, never a re-exported class.
        assert imported <= set(MODULES), (module, imported - set(MODULES))
    order: list[str] = []
    visiting: list[str] = []

    def visit(module: str) -> None:
        if module in order:
            return
        assert module not in visiting, "import loop: " + " -> ".join([*visiting, module])
        visiting.append(module)
        for dep in sorted(graph[module]):
            visit(dep)
        visiting.pop()
        order.append(module)

    for module in MODULES:
        visit(module)
    # The server only wires the pieces: nothing below it imports it (the harness sits on top).
    assert {m for m, deps in graph.items() if "server" in deps} == {"harness"}


IMPORT_ALONE = """
import importlib, sys, types

failed = {}
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.startswith("bot.emulator")]:
        del sys.modules[loaded]
    # An empty package, so that the real __init__ (which imports everything) does not run
    # first and hide a loop: the module then pulls in exactly what it imports.
    package = types.ModuleType("bot.emulator")
    package.__path__ = PATH
    sys.modules["bot.emulator"] = package
    try:
        importlib.import_module("bot.emulator." + name)
    except Exception as exc:
        failed[name] = repr(exc)
print(failed)
"""


def test_each_module_imports_alone() -> None:
    script = IMPORT_ALONE.replace("PATH", repr([str(PACKAGE)]))
    proc = subprocess.run(
        [sys.executable, "-c", script, *MODULES],
        capture_output=True,
        text=True,
        cwd=PACKAGE.parents[1],
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "{}"


def test_world_objects_talk_to_their_host_interface_only() -> None:
    world = (PACKAGE / "world.py").read_text(encoding="utf-8")
    tree = ast.parse(world)
    host_calls = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "_host"
    }
    protocol = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Host")
    declared = {
        n.name for n in protocol.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    assert host_calls <= declared, host_calls - declared
    assert not any(name.startswith("_") for name in host_calls)
    assert "server" not in _emulator_imports("world")
