"""The queue panel: recent jobs with state, prompt and progress, and actions on them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pixova_desktop.core.job import INTERRUPTED_REASON, JobSnapshot, JobState

JOB_ID_ROLE = Qt.ItemDataRole.UserRole
MAX_ROWS = 200


def format_progress(snapshot: JobSnapshot, tr=lambda text: text) -> str:
    """Return "step i/N, X it/s, ETA Ys" for a running job, or a short state note."""
    if snapshot.state is JobState.PROCESSING:
        text = tr("step {0}/{1}").format(snapshot.step, snapshot.total_steps)
        if snapshot.steps_per_second:
            text += tr(", {0:.2f} it/s").format(snapshot.steps_per_second)
        if snapshot.eta_seconds is not None:
            text += tr(", ETA {0}").format(format_duration(snapshot.eta_seconds))
        return text
    if snapshot.state is JobState.COMPLETED:
        return tr("{0} image(s)").format(len(snapshot.result_paths))
    if snapshot.state is JobState.FAILED and snapshot.error == INTERRUPTED_REASON:
        return tr("interrupted")
    return ""


def format_duration(seconds: float) -> str:
    whole = int(round(seconds))
    minutes, secs = divmod(whole, 60)
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


class QueuePanel(QWidget):
    """Lists jobs newest first. Buttons act on the selected job.

    Signals:
        stop_requested(str): cancel this running job.
        remove_requested(str): drop this queued job.
        rerun_requested(str): queue this job's request again.
        clear_requested: drop every queued job.
    """

    stop_requested = Signal(str)
    remove_requested = Signal(str)
    rerun_requested = Signal(str)
    clear_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        tr = self.tr
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([tr("State"), tr("Prompt"), tr("Progress")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip(tr("Jobs, newest first"))

        self.stop_button = _button(tr("Stop"), tr("Stop the selected running job (Esc stops the "
                                                  "running job)"))
        self.remove_button = _button(tr("Remove"), tr("Remove the selected waiting job"))
        self.rerun_button = _button(tr("Run again"), tr("Queue the selected job again with the "
                                                        "same settings and seed"))
        self.clear_button = _button(tr("Clear queue"), tr("Remove every waiting job"))
        buttons = QHBoxLayout()
        for button in (self.stop_button, self.remove_button, self.rerun_button,
                       self.clear_button):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

        self.stop_button.clicked.connect(self._on_stop_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.rerun_button.clicked.connect(self._on_rerun_clicked)
        self.clear_button.clicked.connect(self.clear_requested)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self._states: dict[str, JobState] = {}
        self._update_buttons()

    def set_jobs(self, snapshots: list[JobSnapshot]) -> None:
        """Show `snapshots` (newest first), keeping the selected job selected."""
        selected = self.selected_job()
        snapshots = snapshots[:MAX_ROWS]
        self.table.setRowCount(len(snapshots))
        self._states = {}
        for row, snapshot in enumerate(snapshots):
            self._states[snapshot.job_id] = snapshot.state
            prompt = snapshot.request.prompt.replace("\n", " ")
            cells = (snapshot.state.value, prompt, format_progress(snapshot, self.tr))
            for column, text in enumerate(cells):
                item = self.table.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(row, column, item)
                item.setText(text)
                item.setData(JOB_ID_ROLE, snapshot.job_id)
                item.setToolTip(snapshot.error or prompt)
            if snapshot.job_id == selected:
                self.table.selectRow(row)
        self._update_buttons()

    def row_text(self, job_id: str) -> list[str]:
        """Return the cells of `job_id`'s row, or [] when it is not listed."""
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(JOB_ID_ROLE) == job_id:
                return [self.table.item(row, column).text() for column in range(3)]
        return []

    def select_job(self, job_id: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(JOB_ID_ROLE) == job_id:
                self.table.selectRow(row)
                return

    def selected_job(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].data(JOB_ID_ROLE) if items else None

    @Slot()
    def _update_buttons(self) -> None:
        state = self._states.get(self.selected_job() or "")
        self.stop_button.setEnabled(state is JobState.PROCESSING)
        self.remove_button.setEnabled(state is JobState.QUEUED)
        self.rerun_button.setEnabled(state is not None and state.is_final)
        self.clear_button.setEnabled(JobState.QUEUED in self._states.values())

    @Slot()
    def _on_stop_clicked(self) -> None:
        if job_id := self.selected_job():
            self.stop_requested.emit(job_id)

    @Slot()
    def _on_remove_clicked(self) -> None:
        if job_id := self.selected_job():
            self.remove_requested.emit(job_id)

    @Slot()
    def _on_rerun_clicked(self) -> None:
        if job_id := self.selected_job():
            self.rerun_requested.emit(job_id)


def _button(text: str, tooltip: str) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tooltip)
    return button
