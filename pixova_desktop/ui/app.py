"""Start the window: logging, the job store, the queue, then the event loop."""

from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from pixova_desktop.core.logs import configure_logging
from pixova_desktop.core.paths import APP_AUTHOR, APP_NAME, job_store_path, resources_dir
from pixova_desktop.jobs.queue import JobQueue
from pixova_desktop.jobs.store import JobStore
from pixova_desktop.pyside_imports import stop_source_caching
from pixova_desktop.ui.main_window import MainWindow
from pixova_desktop.ui.settings_store import load_settings, open_qsettings, save_settings

logger = logging.getLogger(__name__)

# Milliseconds after which the event loop quits; the bundle smoke test sets it.
QUIT_AFTER_ENV = "PIXOVA_QUIT_AFTER_MS"


def run_window(argv: list[str]) -> int:
    """Open the main window and run until it closes; return the exit code."""
    stop_source_caching()
    configure_logging()
    app = QApplication.instance() or QApplication(argv)
    app.setOrganizationName(APP_AUTHOR)
    app.setApplicationName(APP_NAME)
    # The desktop file name matches resources/pixova-desktop.desktop, for Wayland compositors.
    app.setDesktopFileName("pixova-desktop")
    app.setWindowIcon(QIcon(str(resources_dir() / "icons" / "pixova-desktop.png")))
    # Fusion follows the system's light or dark colour scheme on every platform.
    app.setStyle("Fusion")

    qsettings = open_qsettings()
    settings = load_settings(qsettings)
    store = JobStore(job_store_path())
    interrupted = store.mark_interrupted()
    if interrupted:
        logger.warning("Marked %d unfinished jobs as interrupted", len(interrupted))
    queue = JobQueue(store, settings)

    window = MainWindow(queue, settings, qsettings)
    window.show()
    _quit_after_env_delay(app)
    code = app.exec()

    save_settings(qsettings, settings)
    queue.shutdown()
    store.close()
    return code


def _quit_after_env_delay(app: QApplication) -> None:
    value = os.environ.get(QUIT_AFTER_ENV, "")
    if not value:
        return
    try:
        delay_ms = int(value)
    except ValueError:
        logger.warning("Ignoring %s=%r: not a whole number of milliseconds", QUIT_AFTER_ENV, value)
        return
    logger.info("Quitting after %d ms (%s)", delay_ms, QUIT_AFTER_ENV)
    QTimer.singleShot(delay_ms, app.quit)


if __name__ == "__main__":
    sys.exit(run_window(sys.argv))
