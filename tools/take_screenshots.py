"""Render the main window offscreen and save screenshots for the README.

Usage: python tools/take_screenshots.py [--model MODEL] [--out docs/images]

Runs the real queue and diffusers engine (the built-in model by default) with a temporary
data folder, and writes window_empty.png, window_generating.png and window_history.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from pixova_desktop.core.job import JobState  # noqa: E402
from pixova_desktop.core.models import default_model  # noqa: E402
from pixova_desktop.core.settings import Settings  # noqa: E402
from pixova_desktop.jobs.queue import JobQueue  # noqa: E402
from pixova_desktop.jobs.store import JobStore  # noqa: E402
from pixova_desktop.ui.main_window import MainWindow  # noqa: E402

PROMPTS = (
    "a red circle on a white background",
    "a blue square on a yellow background",
    "a green triangle on a black background",
    "a yellow circle on a blue background",
    "a white square on a red background",
    "a black triangle on a green background",
)
TIMEOUT_S = 120


def wait_until(condition, timeout_s: float = TIMEOUT_S) -> None:
    """Process events until `condition()` is true; raise TimeoutError after `timeout_s`."""
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: condition() and loop.quit())
    timer.start()
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    timer.stop()
    if not condition():
        raise TimeoutError(f"the window did not reach the expected state in {timeout_s} s")


def apply_defaults(window: MainWindow, model: str, size: int) -> None:
    window.panel.apply_model_defaults(model)
    if size:
        window.panel.width_spin.setValue(size)
        window.panel.height_spin.setValue(size)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="", help="model to draw with (default: built-in)")
    parser.add_argument("--out", type=Path, default=Path("docs/images"), help="output folder")
    parser.add_argument("--size", type=int, default=0,
                        help="image width and height in pixels (default: the model's)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    work = Path(tempfile.mkdtemp(prefix="pixova-shots-"))
    store = JobStore(work / "jobs.sqlite3")
    settings = Settings(output_dir=work / "out", poll_interval_ms=100)
    queue = JobQueue(store, settings)
    window = MainWindow(queue, settings)
    window.resize(1280, 760)
    window.show()
    model = args.model or default_model()
    window.panel.model_edit.setText(args.model)
    apply_defaults(window, model, args.size)
    QCoreApplication.processEvents()
    window.grab().save(str(args.out / "window_empty.png"))

    # A job with many steps, caught while the preview is on the canvas.
    window.panel.prompt_edit.setPlainText(PROMPTS[0])
    window.panel.steps_spin.setValue(150)
    window.panel.random_seed.setChecked(False)
    window.panel.seed_edit.setText("1")
    window.panel.generate_button.click()
    job_id = window.active_jobs()[-1]

    def preview_shown() -> bool:
        snapshot = queue.status(job_id)
        return (snapshot.state is JobState.PROCESSING and snapshot.step > 40
                and window.canvas.image().width() > 0 and "it/s" in window.status_label.text())

    try:
        wait_until(preview_shown)
    except TimeoutError:
        print(queue.status(job_id), window.status_label.text(), file=sys.stderr)
        raise
    window.grab().save(str(args.out / "window_generating.png"))
    queue.cancel(job_id)

    # Several finished images in the history.
    apply_defaults(window, model, args.size)
    for index, prompt in enumerate(PROMPTS):
        window.panel.prompt_edit.setPlainText(prompt)
        window.panel.seed_edit.setText(str(index + 10))
        window.panel.generate_button.click()
    last = window.active_jobs()[-1]
    wait_until(lambda: queue.status(last).state.is_final and not window.active_jobs())
    window.side_tabs.setCurrentWidget(window.history_panel)
    window.history_panel.select_path(window.history_panel.paths()[0])
    QCoreApplication.processEvents()
    window.grab().save(str(args.out / "window_history.png"))

    window.close()
    queue.shutdown()
    store.close()
    print(f"wrote screenshots to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
