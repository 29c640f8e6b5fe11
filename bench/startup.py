"""Time from process start to the main window shown (offscreen), and check torch is not loaded yet.

Each run starts `bench/startup.py --child`, which runs the app's own entry point
(`pixova_desktop.cli.main`) with `MainWindow.show` wrapped to record the moment it returns
and the first event-loop turn after it, then quits. The parent takes the wall time from just
before it starts the child. `python -c "import torch"` and `python -c pass` run the same way
for comparison.
"""

from __future__ import annotations

import sys
import time

HEAVY_MODULES = ("torch", "diffusers", "transformers")


def run_child() -> int:
    import json

    from PySide6.QtCore import QCoreApplication, QTimer

    from pixova_desktop.cli import main
    from pixova_desktop.ui.main_window import MainWindow

    original_show = MainWindow.show
    marks: dict[str, object] = {}

    def show_and_record(window: MainWindow) -> None:
        original_show(window)
        marks["shown"] = time.time()
        marks["loaded"] = [name for name in HEAVY_MODULES if name in sys.modules]
        QTimer.singleShot(0, first_loop_turn)

    def first_loop_turn() -> None:
        marks["event_loop"] = time.time()
        print(json.dumps(marks), flush=True)
        QCoreApplication.quit()

    MainWindow.show = show_and_record  # type: ignore[method-assign]
    return main([])


if __name__ == "__main__" and sys.argv[1:] == ["--child"]:
    sys.exit(run_child())

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402

from common import (  # noqa: E402
    REPO_ROOT,
    isolated_env,
    median,
    print_header,
    print_table,
    run_child as run_process,
    use_isolated_env,
)

TARGET_SECONDS = 0.6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (default: 7)")
    args = parser.parse_args()

    scratch = use_isolated_env("pixova-bench-startup-")
    print_header("Start-up: process start to main window shown")
    env = isolated_env(scratch / "home")
    child = [sys.executable, str(REPO_ROOT / "bench" / "startup.py"), "--child"]

    # An installed app has bytecode for its modules, but an editable install under
    # PYTHONDONTWRITEBYTECODE=1 compiles them from source at every start. Write it once here.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO_ROOT / "pixova_desktop")],
                   env=dict(env, PYTHONDONTWRITEBYTECODE=""), check=True)
    print(f"PYTHONDONTWRITEBYTECODE={env.get('PYTHONDONTWRITEBYTECODE', '')!r}; bytecode for "
          "pixova_desktop written with compileall before the runs", flush=True)
    # One untimed run first, so every timed run finds the same warm file cache and settings.
    subprocess.run(child, env=env, capture_output=True, check=True)
    rows = []
    shown, loop, loaded = [], [], set()
    for run in range(args.runs):
        started = time.time()
        result = subprocess.run(child, env=env, capture_output=True, text=True, check=True)
        marks = json.loads(result.stdout.strip().splitlines()[-1])
        shown.append(marks["shown"] - started)
        loop.append(marks["event_loop"] - started)
        loaded.update(marks["loaded"])
        rows.append([run + 1, shown[-1], loop[-1], ", ".join(marks["loaded"]) or "none"])
    print_table(["run", "shown s", "first event-loop turn s", "torch/diffusers loaded"], rows)

    baselines = []
    for label, code in (("python -c pass", "pass"), ('python -c "import torch"', "import torch")):
        times = [run_process([sys.executable, "-c", code], env)[0] for _ in range(args.runs)]
        baselines.append([label, median(times), min(times)])
    print_table(["command", "median s", "min s"], baselines)

    result = median(shown)
    print(f"median time to window shown: {result:.3f} s, to the first event-loop turn: "
          f"{median(loop):.3f} s (target < {TARGET_SECONDS} s: "
          f"{'met' if result < TARGET_SECONDS else 'missed'})")
    print(f"heavy modules loaded when the window appeared: {', '.join(sorted(loaded)) or 'none'}")


if __name__ == "__main__":
    main()
