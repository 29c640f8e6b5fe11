"""Helpers shared by the benchmark scripts: isolated folders, the models, child processes, output."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BUILTIN_MODEL = REPO_ROOT / "resources" / "models" / "pixova-demo"

# The scripts import the app and the test helpers from the source tree.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def isolated_env(root: Path) -> dict[str, str]:
    """Return a copy of the environment with HOME, the XDG folders and HF_HOME under `root`.

    The app then writes its job store, log, settings and images there, never in the real
    user folders, and the Hugging Face hub is not contacted (HF_HUB_OFFLINE=1).
    """
    env = dict(os.environ)
    env["HOME"] = str(root)
    for name, sub in (
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        (root / sub).mkdir(parents=True, exist_ok=True)
        env[name] = str(root / sub)
    env.pop("XDG_PICTURES_DIR", None)
    env["HF_HOME"] = str(root / ".cache" / "huggingface")
    env["HF_HUB_OFFLINE"] = "1"
    env["HF_HUB_DISABLE_TELEMETRY"] = "1"
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def use_isolated_env(prefix: str) -> Path:
    """Point this process at a new temporary home (see `isolated_env`) and return it.

    Call it before importing Qt, huggingface_hub or the app.
    """
    root = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(isolated_env(root))
    return root


def tiny_model(folder: Path) -> Path:
    """Build the tests' tiny random-weight SD 1.x pipeline (64x64 native) in `folder`.

    It is built in a child process, so this process has not imported torch afterwards.
    """
    if not (folder / "model_index.json").is_file():
        code = ("import sys; from pathlib import Path; "
                "from tests.support.ldm_checkpoint import build_tiny_pipeline; "
                "build_tiny_pipeline(Path(sys.argv[1]))")
        subprocess.run([sys.executable, "-c", code, str(folder)], cwd=REPO_ROOT,
                       env=isolated_env(folder.parent), check=True, capture_output=True)
    return folder


def builtin_model() -> Path | None:
    """Return the built-in model's folder, or None while it has not been trained yet."""
    return BUILTIN_MODEL if (BUILTIN_MODEL / "model_index.json").is_file() else None


def models_for(names: str, scratch: Path) -> list[tuple[str, Path]]:
    """Return (name, folder) for a comma-separated list of "builtin" and "tiny".

    A missing built-in model is reported and left out.
    """
    models = []
    for name in names.split(","):
        if name == "tiny":
            models.append(("tiny", tiny_model(scratch / "tiny-sd")))
        elif name == "builtin":
            folder = builtin_model()
            if folder is None:
                print(f"note: {BUILTIN_MODEL} has no model_index.json yet; skipping it")
            else:
                models.append(("builtin", folder))
        else:
            raise SystemExit(f"error: unknown model {name!r}; use builtin or tiny")
    return models


def run_child(command: Sequence[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Run `command` to its end; return (wall seconds, peak RSS in MiB, exit status).

    The peak RSS is the child's own ru_maxrss from os.wait4 (kilobytes on Linux).
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss // 1024, process.returncode


def other_load() -> str:
    """Describe the CPU load from other processes: the load average and a running trainer."""
    load = Path("/proc/loadavg").read_text().split()[:3]
    trainer = subprocess.run(
        ["pgrep", "-f", "train_demo_model"], capture_output=True, text=True, check=False
    ).stdout.split()
    text = f"load average {' '.join(load)}"
    if trainer:
        text += "; tools/train_demo_model.py was running (it shares the CPU)"
    return text


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def print_header(title: str) -> None:
    """Print the title, the command line and the machine, as the first lines of a result."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = " ".join(shlex.quote(part) for part in [Path(sys.executable).name, *sys.argv])
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}" for name in ("torch", "diffusers", "PySide6_Essentials")
    )
    print(f"## {title}")
    print(f"date: {now}")
    print(f"command: {command}")
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{versions}")
    print(f"other load at start: {other_load()}")
    print(flush=True)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a Markdown table, ready to paste into docs/benchmarks.md."""
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(_cell(value) for value in row) + " |")
    print(flush=True)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
