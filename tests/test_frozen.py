"""A windowed bundle starts with sys.stdout and sys.stderr set to None, and tqdm must still work."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

# Runs in a child process, so the None streams do not affect pytest's own capture.
CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path

    sys.stdout = None
    sys.stderr = None
    if sys.argv[2] == "fix":
        from pixova_desktop.frozen import ensure_std_streams
        ensure_std_streams()

    import tqdm

    try:
        for _ in tqdm.tqdm(range(3)):
            pass
    except Exception as error:
        Path(sys.argv[1]).write_text(type(error).__name__, encoding="utf-8")
    else:
        Path(sys.argv[1]).write_text("ok", encoding="utf-8")
""")


def run_child(tmp_path: Path, mode: str) -> str:
    result_file = tmp_path / f"result-{mode}.txt"
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(result_file), mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return result_file.read_text(encoding="utf-8")


def test_tqdm_works_after_stream_fix(tmp_path: Path) -> None:
    assert run_child(tmp_path, "fix") == "ok"


def test_tqdm_fails_without_stream_fix(tmp_path: Path) -> None:
    # Shows that the case above is real: tqdm writes to sys.stderr and cannot write to None.
    assert run_child(tmp_path, "none") == "AttributeError"


def test_existing_streams_are_kept() -> None:
    from pixova_desktop.frozen import ensure_std_streams

    stdout, stderr = sys.stdout, sys.stderr
    ensure_std_streams()

    assert sys.stdout is stdout
    assert sys.stderr is stderr
