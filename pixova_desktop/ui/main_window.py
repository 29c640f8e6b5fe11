"""The main window: prompt panel, canvas and status line, refreshed by a polling timer."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QCloseEvent, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from pixova_desktop.core.job import JobSnapshot, JobState
from pixova_desktop.core.request import RequestError
from pixova_desktop.core.settings import Settings
from pixova_desktop.jobs.queue import JobQueue
from pixova_desktop.ui.canvas import ImageCanvas
from pixova_desktop.ui.prompt_panel import PromptPanel

logger = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Submits the form to the queue and polls active jobs on a `QTimer`.

    The window only reads job snapshots; the queue makes every state change.
    """

    def __init__(self, queue: JobQueue, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._queue = queue
        self._settings = settings
        self._active: list[str] = []
        self._last_states: dict[str, JobState] = {}
        self._shown_results: dict[str, int] = {}
        self.setWindowTitle(self.tr("Pixova Desktop"))

        # 1. Widgets: the form on the left, the canvas on the right, messages under the form.
        self.panel = PromptPanel(settings.output_dir)
        self.canvas = ImageCanvas()
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setVisible(False)
        self.status_label = QLabel(self.tr("Ready"))
        self.statusBar().addWidget(self.status_label, 1)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.panel)
        left_layout.addWidget(self.message_label)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.canvas)
        splitter.setStretchFactor(1, 1)
        self.setCentralWidget(splitter)
        self.resize(1100, 700)

        # 2. The polling timer runs while there are active jobs.
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(settings.poll_interval_ms)
        self.poll_timer.timeout.connect(self._on_poll)

        # 3. Actions.
        self.panel.generate_requested.connect(self._on_generate)
        self.panel.output_dir_changed.connect(self._on_output_dir_changed)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self._on_generate)

    def active_jobs(self) -> list[str]:
        return list(self._active)

    def show_error(self, text: str) -> None:
        """Show a failure in the window; the window stays usable."""
        logger.warning("Shown to the user: %s", text)
        self.message_label.setText(text)
        self.message_label.setStyleSheet("color: palette(highlighted-text); "
                                         "background: #b3261e; padding: 6px; border-radius: 4px;")
        self.message_label.setVisible(True)

    def clear_error(self) -> None:
        self.message_label.clear()
        self.message_label.setVisible(False)

    @Slot()
    def _on_generate(self) -> None:
        request = self.panel.request()
        try:
            job_id = self._queue.submit(request)
        except RequestError as error:
            self.show_error(self.tr("Cannot generate: {0}").format(error))
            return
        self.clear_error()
        self._active.append(job_id)
        self._last_states[job_id] = JobState.QUEUED
        self.status_label.setText(self.tr("Job {0}: queued").format(job_id))
        if not self.poll_timer.isActive():
            self.poll_timer.start()

    @Slot(str)
    def _on_output_dir_changed(self, folder: str) -> None:
        self._settings.output_dir = Path(folder)

    @Slot()
    def _on_poll(self) -> None:
        """Read each active job's snapshot and update the canvas and status line."""
        for job_id in list(self._active):
            snapshot = self._queue.status(job_id)
            self._show_snapshot(snapshot)
            if snapshot.state.is_final:
                self._active.remove(job_id)
        if not self._active:
            self.poll_timer.stop()

    def _show_snapshot(self, snapshot: JobSnapshot) -> None:
        previous = self._last_states.get(snapshot.job_id)
        self._last_states[snapshot.job_id] = snapshot.state
        text = self.tr("Job {0}: {1}").format(snapshot.job_id, snapshot.state.value)
        if snapshot.state is JobState.PROCESSING:
            text += self.tr(", step {0}/{1}").format(snapshot.step, snapshot.total_steps)
        if snapshot.state is JobState.COMPLETED and snapshot.result_paths:
            text += self.tr(", saved {0}").format(Path(snapshot.result_paths[-1]).name)
        self.status_label.setText(text)

        # Each image of a batch is shown as soon as it is saved.
        if len(snapshot.result_paths) > self._shown_results.get(snapshot.job_id, 0):
            self._shown_results[snapshot.job_id] = len(snapshot.result_paths)
            self._show_image(snapshot.result_paths[-1])
        if snapshot.state is JobState.FAILED and snapshot.state is not previous:
            self.show_error(self.tr("Job {0} failed: {1}").format(snapshot.job_id, snapshot.error))

    def _show_image(self, path: str) -> None:
        image = QImage(path)
        if image.isNull():
            self.show_error(self.tr("Could not open the saved image {0}.").format(path))
            return
        self.canvas.set_image(image)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.poll_timer.stop()
        super().closeEvent(event)
