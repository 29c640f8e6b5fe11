"""Costs found by the benchmarks in bench/: start-up imports, source caching, CLI previews."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path


def _python(code: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
                        "XDG_STATE_HOME": str(home / "state"),
                        "XDG_CONFIG_HOME": str(home / "config")}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def test_pyside_hook_caches_source(tmp_path: Path) -> None:
    """Without the fix, PySide6 keeps the source of each later import in linecache."""
    result = _python("""
        import linecache
        import PySide6.QtCore
        import colorsys
        print(colorsys.__file__ in linecache.cache)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_stop_source_caching(tmp_path: Path) -> None:
    result = _python("""
        import linecache
        import PySide6.QtCore
        from pixova_desktop.pyside_imports import stop_source_caching
        print(stop_source_caching())
        import colorsys
        print(colorsys.__file__ in linecache.cache)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False"]


def test_restore_builtin_import(tmp_path: Path) -> None:
    result = _python("""
        import builtins
        from PySide6.QtCore import QCoreApplication, QTimer
        from pixova_desktop.pyside_imports import restore_builtin_import
        print(builtins.__import__ is builtins.__orig_import__)
        print(restore_builtin_import())
        print(builtins.__import__ is builtins.__orig_import__)
        print(restore_builtin_import())
        import colorsys
        app = QCoreApplication([])
        QTimer.singleShot(0, app.quit)
        print(app.exec())
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "False", "0"]


def test_window_shows_before_transformers(tmp_path: Path) -> None:
    """The tokenizer load waits for the event loop, so it does not slow the window's start."""
    result = _python(f"""
        import sys, time
        from pathlib import Path
        from PySide6.QtWidgets import QApplication
        from pixova_desktop.core.settings import Settings
        from pixova_desktop.jobs.queue import JobQueue
        from pixova_desktop.jobs.store import JobStore
        from pixova_desktop.ui.main_window import MainWindow
        app = QApplication([])
        store = JobStore(Path({str(tmp_path / "jobs.sqlite3")!r}))
        window = MainWindow(JobQueue(store, Settings()), Settings())
        window.show()
        time.sleep(0.5)
        print("transformers" in sys.modules)
        app.processEvents()
        window.token_counter.wait_for_idle(120_000)
        print("transformers" in sys.modules)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["False", "True"]


def test_cli_generate_skips_previews(tiny_model_dir: Path, tmp_path: Path) -> None:
    """The command line shows no previews, so its jobs must not compute them."""
    result = _python(f"""
        import pixova_desktop.engine.runner as runner
        calls = []
        original = runner.latents_to_preview
        def counting_preview(*args, **kwargs):
            calls.append(1)
            return original(*args, **kwargs)
        runner.latents_to_preview = counting_preview
        from pixova_desktop.cli import main
        code = main(["generate", "a red circle", "--model", {str(tiny_model_dir)!r},
                     "--out", {str(tmp_path / "out")!r}, "--steps", "2", "--seed", "1",
                     "--width", "64", "--height", "64"])
        print("exit", code, "previews", len(calls))
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-4:] == ["exit", "0", "previews", "0"]
