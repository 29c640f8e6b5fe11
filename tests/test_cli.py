"""The command line in a subprocess, as a user runs it: exit codes, output and saved files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pixova_desktop.core.metadata import read_parameters


def _run(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
                        "XDG_STATE_HOME": str(home / "state")}
    return subprocess.run(
        [sys.executable, "-m", "pixova_desktop", *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )


def test_generate_saves_png(tiny_model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run(["generate", "a red circle", "--model", str(tiny_model_dir), "--out", str(out),
                   "--steps", "2", "--width", "64", "--height", "64", "--seed", "9",
                   "--batch", "2", "--negative", "blue", "--cfg", "4.5"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "processing" in result.stdout
    assert "step 4/4" in result.stdout
    assert "completed" in result.stdout
    saved = [line.removeprefix("saved ") for line in result.stdout.splitlines()
             if line.startswith("saved ")]
    assert len(saved) == 2
    params = [read_parameters(path) for path in saved]
    assert [p.request.seed for p in params] == [9, 10]
    assert params[0].request.negative_prompt == "blue"
    assert params[0].request.cfg_scale == 4.5
    assert all(Path(path).parent == out for path in saved)


def test_bad_size_exits_with_message(tiny_model_dir: Path, tmp_path: Path) -> None:
    result = _run(["generate", "x", "--model", str(tiny_model_dir), "--width", "640",
                   "--height", "427"], tmp_path)
    assert result.returncode == 2
    assert "427" in result.stderr
    assert "424 or 432" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_model_exits_with_message(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    result = _run(["generate", "x", "--model", str(missing)], tmp_path)
    assert result.returncode == 1
    assert str(missing) in result.stderr
    assert "not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_uncached_hub_model_not_downloaded(tmp_path: Path) -> None:
    result = _run(["generate", "x", "--model", "stabilityai/sd-turbo"], tmp_path)
    assert result.returncode == 1
    assert "stabilityai/sd-turbo has not been downloaded yet" in result.stderr
    assert "Unset HF_HUB_OFFLINE" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_options(tmp_path: Path) -> None:
    result = _run(["generate", "--help"], tmp_path)
    assert result.returncode == 0
    for option in ("--model", "--out", "--negative", "--steps", "--cfg", "--width",
                   "--height", "--seed", "--batch"):
        assert option in result.stdout
    assert "--sampler NAME" in result.stdout
    assert "{," not in result.stdout, "the empty default choice is listed"
