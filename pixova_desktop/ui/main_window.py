"""The main window: form, canvas, queue and history, refreshed by a polling timer."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pixova_desktop.core.job import JobSnapshot, JobState, PreviewImage
from pixova_desktop.core.metadata import format_parameters, read_parameters
from pixova_desktop.core.request import RequestError
from pixova_desktop.core.settings import Settings
from pixova_desktop.jobs.queue import JobQueue
from pixova_desktop.jobs.tokenizers import TokenCounter
from pixova_desktop.ui.canvas import ImageCanvas
from pixova_desktop.ui.history_panel import HistoryPanel
from pixova_desktop.ui.log_folder import open_log_folder
from pixova_desktop.ui.prompt_panel import PromptPanel
from pixova_desktop.ui.queue_panel import QueuePanel, format_progress
from pixova_desktop.ui.settings_dialog import SettingsDialog
from pixova_desktop.ui.settings_store import (
    GEOMETRY_KEY,
    STATE_KEY,
    load_last_request,
    save_last_request,
    save_settings,
)

logger = logging.getLogger(__name__)

PNG_FILTER = "PNG images (*.png)"
QUEUE_ROWS = 200


class MainWindow(QMainWindow):
    """Submits the form to the queue and polls active jobs on a `QTimer`.

    The window only reads job snapshots; the queue makes every state change.
    `qsettings`, when given, keeps geometry, the last parameters and the settings.
    """

    def __init__(
        self,
        queue: JobQueue,
        settings: Settings,
        qsettings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._queue = queue
        self._settings = settings
        self._qsettings = qsettings
        self._active: list[str] = []
        self._last_states: dict[str, JobState] = {}
        self._shown_results: dict[str, int] = {}
        self._current_path: str | None = None
        self.setWindowTitle(self.tr("Pixova Desktop"))
        self.setAcceptDrops(True)

        # 1. Widgets: form | canvas and parameters | queue and history.
        self.token_counter = TokenCounter(self)
        self.panel = PromptPanel(settings.output_dir, self.token_counter)
        self.panel.apply_settings(settings)
        self.canvas = ImageCanvas()
        self.params_label = QLabel()
        self.params_label.setWordWrap(True)
        self.params_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.params_label.setToolTip(self.tr("Parameters of the image on the canvas"))
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setVisible(False)
        self.status_label = QLabel(self.tr("Ready"))
        self.statusBar().addWidget(self.status_label, 1)
        self.queue_panel = QueuePanel()
        self.history_panel = HistoryPanel()
        self.side_tabs = QTabWidget()
        self.side_tabs.addTab(self.queue_panel, self.tr("Queue"))
        self.side_tabs.addTab(self.history_panel, self.tr("History"))
        self.setCentralWidget(self._build_splitter())
        self.resize(1280, 760)

        # 2. The polling timer runs while there are active jobs.
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(settings.poll_interval_ms)
        self.poll_timer.timeout.connect(self._on_poll)

        # 3. Menus, shortcuts and signals.
        self._build_menus()
        self.panel.generate_requested.connect(self._on_generate)
        self.panel.stop_requested.connect(self._on_stop)
        self.panel.output_dir_changed.connect(self._on_output_dir_changed)
        self.queue_panel.stop_requested.connect(self._on_cancel_job)
        self.queue_panel.remove_requested.connect(self._on_cancel_job)
        self.queue_panel.rerun_requested.connect(self._on_rerun)
        self.queue_panel.clear_requested.connect(self._on_clear_queue)
        self.history_panel.image_selected.connect(self._on_history_selected)
        self.history_panel.reuse_requested.connect(self.restore_from_png)
        self.history_panel.delete_failed.connect(self._on_delete_failed)

        # 4. Show what the store already holds, and restore the last session's layout.
        self._restore_session()
        self._refresh_lists()

    def _build_splitter(self) -> QSplitter:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.panel)
        left_layout.addWidget(self.message_label)
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.addWidget(self.canvas, 1)
        middle_layout.addWidget(self.params_label)
        splitter = QSplitter()
        for widget in (left, middle, self.side_tabs):
            splitter.addWidget(widget)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([360, 560, 360])
        return splitter

    def _build_menus(self) -> None:
        tr = self.tr
        file_menu = self.menuBar().addMenu(tr("&File"))
        self.open_action = _action(self, tr("&Open PNG…"), QKeySequence.StandardKey.Open,
                                   tr("Fill the form from a PNG's parameters"), self._on_open)
        self.save_as_action = _action(self, tr("Save image &as…"), QKeySequence("Ctrl+Shift+S"),
                                      tr("Save a copy of the image on the canvas"),
                                      self._on_save_as)
        quit_action = _action(self, tr("&Quit"), QKeySequence.StandardKey.Quit,
                              tr("Close the window"), self.close)
        file_menu.addActions([self.open_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addAction(quit_action)

        generate_menu = self.menuBar().addMenu(tr("&Generate"))
        self.generate_action = _action(self, tr("&Generate"), QKeySequence("Ctrl+Return"),
                                       tr("Queue a job with the form's settings"),
                                       self._on_generate)
        self.generate_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.stop_action = _action(self, tr("&Stop"), QKeySequence(Qt.Key.Key_Escape),
                                   tr("Stop the running job"), self._on_stop)
        clear_action = _action(self, tr("&Clear queue"), None, tr("Remove every waiting job"),
                               self._on_clear_queue)
        generate_menu.addActions([self.generate_action, self.stop_action, clear_action])

        settings_menu = self.menuBar().addMenu(tr("&Settings"))
        self.settings_action = _action(self, tr("&Settings…"), QKeySequence("Ctrl+,"),
                                       tr("Output folder, defaults, device and memory"),
                                       self.open_settings)
        settings_menu.addAction(self.settings_action)

        help_menu = self.menuBar().addMenu(tr("&Help"))
        log_action = _action(self, tr("Open &log folder"), None,
                             tr("Show the folder with the log file"), lambda: open_log_folder())
        help_menu.addAction(log_action)
        for action in (self.open_action, self.save_as_action, self.generate_action,
                       self.stop_action, clear_action, self.settings_action, quit_action,
                       log_action):
            self.addAction(action)

    def active_jobs(self) -> list[str]:
        return list(self._active)

    def current_image_path(self) -> str | None:
        return self._current_path

    def show_error(self, text: str) -> None:
        """Show a failure in the window; the window stays usable."""
        logger.warning("Shown to the user: %s", text)
        self.message_label.setText(text)
        self.message_label.setStyleSheet("color: white; background: #b3261e; padding: 6px; "
                                         "border-radius: 4px;")
        self.message_label.setVisible(True)

    def clear_error(self) -> None:
        self.message_label.clear()
        self.message_label.setVisible(False)

    def restore_from_png(self, path: str) -> bool:
        """Fill the form from the parameters in the PNG at `path`; show why when it has none."""
        try:
            params = read_parameters(path)
        except (OSError, ValueError) as error:
            self.show_error(self.tr("Cannot read parameters from {0}: {1}").format(path, error))
            return False
        self.panel.apply_request(params.request)
        self.clear_error()
        self.status_label.setText(self.tr("Parameters loaded from {0}").format(Path(path).name))
        return True

    @Slot()
    def open_settings(self) -> None:
        dialog = SettingsDialog(self._settings, self)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            self.apply_settings(dialog.settings())

    def apply_settings(self, settings: Settings) -> None:
        """Copy `settings` into the shared settings object that the queue reads."""
        for name, value in vars(settings).items():
            setattr(self._settings, name, value)
        self.poll_timer.setInterval(self._settings.poll_interval_ms)
        self.panel.apply_settings(self._settings)
        if self._qsettings is not None:
            save_settings(self._qsettings, self._settings)

    @Slot()
    def _on_generate(self) -> None:
        request = self.panel.request()
        try:
            job_id = self._queue.submit(request)
        except RequestError as error:
            self.show_error(self.tr("Cannot generate: {0}").format(error))
            return
        self.clear_error()
        if self._qsettings is not None:
            save_last_request(self._qsettings, request)
        self._track(job_id)
        self.status_label.setText(self.tr("Job {0}: queued").format(job_id))
        self._refresh_lists()

    def _track(self, job_id: str) -> None:
        self._active.append(job_id)
        self._last_states[job_id] = JobState.QUEUED
        if not self.poll_timer.isActive():
            self.poll_timer.start()

    @Slot()
    def _on_stop(self) -> None:
        for job_id in self._active:
            if self._queue.status(job_id).state is JobState.PROCESSING:
                self._queue.cancel(job_id)
                self.status_label.setText(self.tr("Job {0}: stopping").format(job_id))
                return

    @Slot(str)
    def _on_cancel_job(self, job_id: str) -> None:
        self._queue.cancel(job_id)
        self._refresh_lists()

    @Slot(str)
    def _on_rerun(self, job_id: str) -> None:
        new_id = self._queue.rerun(job_id)
        self._track(new_id)
        self._refresh_lists()

    @Slot()
    def _on_clear_queue(self) -> None:
        removed = self._queue.clear_queue()
        self.status_label.setText(self.tr("Removed {0} waiting job(s)").format(len(removed)))
        self._refresh_lists()

    @Slot(str)
    def _on_output_dir_changed(self, folder: str) -> None:
        self._settings.output_dir = Path(folder)
        if self._qsettings is not None:
            save_settings(self._qsettings, self._settings)

    @Slot()
    def _on_poll(self) -> None:
        """Read each active job's snapshot and update the canvas, status line and lists."""
        finished = False
        for job_id in list(self._active):
            snapshot = self._queue.status(job_id)
            self._show_snapshot(snapshot)
            if snapshot.state.is_final:
                self._active.remove(job_id)
                finished = True
        self._refresh_lists(history=finished)
        if not self._active:
            self.poll_timer.stop()

    def _refresh_lists(self, history: bool = True) -> None:
        jobs = self._queue.jobs(QUEUE_ROWS)
        self.queue_panel.set_jobs(jobs)
        if history:
            self.history_panel.set_jobs(jobs)

    def _show_snapshot(self, snapshot: JobSnapshot) -> None:
        previous = self._last_states.get(snapshot.job_id)
        self._last_states[snapshot.job_id] = snapshot.state
        text = self.tr("Job {0}: {1}").format(snapshot.job_id, snapshot.state.value)
        progress = format_progress(snapshot, self.tr)
        if snapshot.state is JobState.PROCESSING:
            text += ", " + progress
        self.status_label.setText(text)

        # Each image of a batch is shown as soon as it is saved; until then, the preview.
        if len(snapshot.result_paths) > self._shown_results.get(snapshot.job_id, 0):
            self._shown_results[snapshot.job_id] = len(snapshot.result_paths)
            self._show_image(snapshot.result_paths[-1])
        elif snapshot.state is JobState.PROCESSING and snapshot.preview is not None:
            self._show_preview(snapshot.preview)
        if snapshot.state is JobState.FAILED and snapshot.state is not previous:
            self.show_error(self.tr("Job {0} failed: {1}").format(snapshot.job_id, snapshot.error))

    def _show_preview(self, preview: PreviewImage) -> None:
        image = QImage(preview.data, preview.width, preview.height, preview.width * 3,
                       QImage.Format.Format_RGB888).copy()
        self.canvas.set_image(image)
        self._current_path = None
        self.save_as_action.setEnabled(False)

    def _show_image(self, path: str) -> None:
        image = QImage(path)
        if image.isNull():
            self.show_error(self.tr("Could not open the saved image {0}.").format(path))
            return
        self.canvas.set_image(image)
        self._current_path = path
        self.save_as_action.setEnabled(True)
        try:
            self.params_label.setText(format_parameters(read_parameters(path)))
        except (OSError, ValueError):
            self.params_label.clear()

    @Slot(str, str)
    def _on_history_selected(self, path: str, job_id: str) -> None:
        self._show_image(path)

    @Slot(str)
    def _on_delete_failed(self, path: str) -> None:
        self.show_error(self.tr("Could not move {0} to the trash; check that the file is not "
                                "open elsewhere and that you may change its folder.").format(path))

    @Slot()
    def _on_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open a PNG"), "", self.tr(PNG_FILTER))
        if path:
            self.restore_from_png(path)

    @Slot()
    def _on_save_as(self) -> None:
        if self._current_path is None:
            return
        target, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save image as"), Path(self._current_path).name, self.tr(PNG_FILTER)
        )
        if not target:
            return
        try:
            shutil.copyfile(self._current_path, target)
        except OSError as error:
            self.show_error(self.tr("Could not save {0}: {1}").format(target, error))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].toLocalFile().lower().endswith(".png"):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = event.mimeData().urls()
        if urls:
            self.restore_from_png(urls[0].toLocalFile())
            event.acceptProposedAction()

    def _restore_session(self) -> None:
        if self._qsettings is None:
            return
        geometry = self._qsettings.value(GEOMETRY_KEY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self._qsettings.value(STATE_KEY)
        if state is not None:
            self.restoreState(state)
        last = load_last_request(self._qsettings)
        if last is not None:
            self.panel.apply_request(last)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.poll_timer.stop()
        if self._qsettings is not None:
            self._qsettings.setValue(GEOMETRY_KEY, self.saveGeometry())
            self._qsettings.setValue(STATE_KEY, self.saveState())
            save_settings(self._qsettings, self._settings)
        super().closeEvent(event)


def _action(parent: QWidget, text: str, shortcut: object, tip: str, slot: object) -> QAction:
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(shortcut)
    action.setToolTip(tip)
    action.setStatusTip(tip)
    action.triggered.connect(slot)
    return action
