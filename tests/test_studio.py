"""Studio features of the window: progress, previews, stop, queue, history, restore, settings."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage

from pixova_desktop.core.job import JobState
from pixova_desktop.core.metadata import read_parameters
from pixova_desktop.core.request import GenerationRequest
from pixova_desktop.core.settings import Settings
from pixova_desktop.jobs.queue import JobQueue
from pixova_desktop.jobs.store import JobStore
from pixova_desktop.ui.main_window import MainWindow
from pixova_desktop.ui.queue_panel import format_duration
from pixova_desktop.ui.settings_dialog import SettingsDialog
from pixova_desktop.ui.settings_store import load_settings, save_settings
from tests.support.fake_engine import FakeEngine

TIMEOUT_MS = 20_000


@pytest.fixture
def qsettings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def _window(qtbot, queue: JobQueue, qsettings: QSettings | None = None) -> MainWindow:
    queue.settings.poll_interval_ms = 50
    window = MainWindow(queue, queue.settings, qsettings)
    qtbot.addWidget(window)
    window.show()
    return window


def _fill(window: MainWindow, prompt: str, seed: int = 3, steps: int = 2, batch: int = 1) -> None:
    panel = window.panel
    panel.prompt_edit.setPlainText(prompt)
    panel.model_edit.setText("fake")
    panel.width_spin.setValue(64)
    panel.height_spin.setValue(64)
    panel.steps_spin.setValue(steps)
    panel.batch_spin.setValue(batch)
    panel.random_seed.setChecked(False)
    panel.seed_edit.setText(str(seed))


def _generate(window: MainWindow) -> str:
    window.panel.generate_button.click()
    return window.active_jobs()[-1]


def _wait_state(qtbot, queue: JobQueue, job_id: str, state: JobState) -> None:
    qtbot.waitUntil(lambda: queue.status(job_id).state is state, timeout=TIMEOUT_MS)


def test_progress_shows_speed_and_eta(qtbot, fake_queue: JobQueue, fake_engine: FakeEngine) -> None:
    fake_engine.gate = threading.Event()
    window = _window(qtbot, fake_queue)
    _fill(window, "a slow job", steps=50)
    job_id = _generate(window)
    qtbot.waitUntil(fake_engine.step_reached.is_set, timeout=TIMEOUT_MS)
    for _ in range(3):
        fake_engine.step_reached.clear()
        fake_engine.gate.set()
        fake_engine.gate.clear()
        qtbot.waitUntil(fake_engine.step_reached.is_set, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: "it/s" in window.status_label.text(), timeout=TIMEOUT_MS)
    assert "ETA" in window.status_label.text()
    row = window.queue_panel.row_text(job_id)
    assert row[0] == "processing"
    assert "it/s" in row[2]
    fake_engine.gate.set()


def test_duration_format() -> None:
    assert format_duration(5.4) == "5s"
    assert format_duration(125) == "2m 05s"


def test_preview_shown_while_running(qtbot, fake_queue: JobQueue, fake_engine: FakeEngine) -> None:
    fake_engine.gate = threading.Event()
    window = _window(qtbot, fake_queue)
    _fill(window, "a previewed job", steps=3)
    _generate(window)
    qtbot.waitUntil(fake_engine.step_reached.is_set, timeout=TIMEOUT_MS)
    fake_engine.step_reached.clear()
    fake_engine.gate.set()
    fake_engine.gate.clear()
    qtbot.waitUntil(lambda: window.canvas.image().width() == 16, timeout=TIMEOUT_MS)
    assert window.current_image_path() is None
    fake_engine.gate.set()
    qtbot.waitUntil(lambda: window.current_image_path() is not None, timeout=TIMEOUT_MS)
    assert window.canvas.image().width() == 64


def test_previews_off_sends_none(qtbot, fake_queue: JobQueue, job_store: JobStore) -> None:
    fake_queue.settings.previews = False
    job_id = fake_queue.submit(GenerationRequest("x", model="fake", steps=2, width=64,
                                                 height=64, seed=1))
    qtbot.waitUntil(lambda: fake_queue.status(job_id).state.is_final, timeout=TIMEOUT_MS)
    seen: list[object] = []
    original = job_store.set_progress
    job_store.set_progress = lambda job, step, preview=None: (seen.append(preview),
                                                              original(job, step, preview))
    second = fake_queue.submit(GenerationRequest("x", model="fake", steps=2, width=64,
                                                 height=64, seed=2))
    qtbot.waitUntil(lambda: fake_queue.status(second).state.is_final, timeout=TIMEOUT_MS)
    assert seen == [None, None]


def test_escape_stops_running_job(qtbot, fake_queue: JobQueue, fake_engine: FakeEngine,
                                  output_dir: Path) -> None:
    fake_engine.gate = threading.Event()
    window = _window(qtbot, fake_queue)
    _fill(window, "to be stopped", steps=10)
    job_id = _generate(window)
    qtbot.waitUntil(lambda: fake_queue.status(job_id).state is JobState.PROCESSING,
                    timeout=TIMEOUT_MS)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=TIMEOUT_MS)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    fake_engine.gate.set()
    _wait_state(qtbot, fake_queue, job_id, JobState.CANCELLED)
    assert fake_queue.status(job_id).result_paths == ()
    assert not output_dir.exists() or list(output_dir.iterdir()) == []


def test_queue_remove_and_clear(qtbot, fake_queue: JobQueue, fake_engine: FakeEngine) -> None:
    fake_engine.gate = threading.Event()
    window = _window(qtbot, fake_queue)
    ids = []
    for seed in (1, 2, 3, 4):
        _fill(window, f"job {seed}", seed=seed)
        ids.append(_generate(window))
    qtbot.waitUntil(fake_engine.step_reached.is_set, timeout=TIMEOUT_MS)

    window.queue_panel.select_job(ids[1])
    assert window.queue_panel.remove_button.isEnabled()
    window.queue_panel.remove_button.click()
    assert fake_queue.status(ids[1]).state is JobState.CANCELLED
    window.queue_panel.clear_button.click()
    assert [fake_queue.status(job).state for job in ids[2:]] == [JobState.CANCELLED] * 2

    fake_engine.gate.set()
    _wait_state(qtbot, fake_queue, ids[0], JobState.COMPLETED)
    assert [request.seed for request in fake_engine.requests] == [1]


def test_history_lists_images_after_restart(
    qtbot, fake_queue: JobQueue, job_store: JobStore, fake_engine: FakeEngine
) -> None:
    window = _window(qtbot, fake_queue)
    _fill(window, "batch", seed=30, batch=3)
    job_id = _generate(window)
    _wait_state(qtbot, fake_queue, job_id, JobState.COMPLETED)
    qtbot.waitUntil(lambda: len(window.history_panel.paths()) == 3, timeout=TIMEOUT_MS)

    reopened = JobStore(job_store.path)
    queue = JobQueue(reopened, Settings(output_dir=fake_queue.settings.output_dir),
                     engine_factory=FakeEngine)
    restarted = _window(qtbot, queue)
    assert restarted.history_panel.paths() == list(reversed(fake_queue.status(job_id).result_paths))
    assert queue.shutdown(TIMEOUT_MS)
    reopened.close()


def test_history_click_shows_and_reuses(qtbot, fake_queue: JobQueue) -> None:
    window = _window(qtbot, fake_queue)
    _fill(window, "first picture", seed=41)
    first = _generate(window)
    _wait_state(qtbot, fake_queue, first, JobState.COMPLETED)
    _fill(window, "second picture", seed=42)
    second = _generate(window)
    _wait_state(qtbot, fake_queue, second, JobState.COMPLETED)
    qtbot.waitUntil(lambda: len(window.history_panel.paths()) == 2, timeout=TIMEOUT_MS)

    first_path = fake_queue.status(first).result_paths[0]
    window.history_panel.select_path(first_path)
    assert window.current_image_path() == first_path
    assert "first picture" in window.params_label.text()
    assert "Seed: 41" in window.params_label.text()

    window.history_panel.reuse_button.click()
    assert window.panel.prompt_edit.toPlainText() == "first picture"
    assert window.panel.seed_edit.text() == "41"
    assert not window.panel.random_seed.isChecked()

    window.history_panel.copy_button.click()
    assert QGuiApplication.clipboard().image() == QImage(first_path)


def test_history_delete_moves_to_trash(qtbot, fake_queue: JobQueue, user_dirs: Path) -> None:
    window = _window(qtbot, fake_queue)
    _fill(window, "doomed", seed=5)
    job_id = _generate(window)
    _wait_state(qtbot, fake_queue, job_id, JobState.COMPLETED)
    qtbot.waitUntil(lambda: len(window.history_panel.paths()) == 1, timeout=TIMEOUT_MS)
    path = window.history_panel.paths()[0]
    window.history_panel.select_path(path)
    window.history_panel.delete_button.click()
    assert not Path(path).exists()
    trash = user_dirs / ".local/share/Trash/files"
    assert (trash / Path(path).name).is_file()
    assert window.history_panel.paths() == []


def test_interrupted_job_runs_again(qtbot, job_store: JobStore, output_dir: Path) -> None:
    job_id = job_store.add(GenerationRequest("lost", model="fake", steps=2, width=64, height=64,
                                             seed=9).validated())
    job_store.set_state(job_id, JobState.PROCESSING)
    assert job_store.mark_interrupted() == [job_id]
    queue = JobQueue(job_store, Settings(output_dir=output_dir), engine_factory=FakeEngine)
    window = _window(qtbot, queue)
    assert window.queue_panel.row_text(job_id)[2] == "interrupted"
    window.queue_panel.select_job(job_id)
    assert window.queue_panel.rerun_button.isEnabled()
    window.queue_panel.rerun_button.click()
    new_id = window.active_jobs()[-1]
    _wait_state(qtbot, queue, new_id, JobState.COMPLETED)
    assert read_parameters(queue.status(new_id).result_paths[0]).request.seed == 9
    assert queue.shutdown(TIMEOUT_MS)


def test_drop_png_restores_form(qtbot, fake_queue: JobQueue) -> None:
    window = _window(qtbot, fake_queue)
    prompt = "多行の\nprompt, with: colons"
    _fill(window, prompt, seed=77)
    window.panel.negative_edit.setPlainText("ぼやけ, blur")
    job_id = _generate(window)
    _wait_state(qtbot, fake_queue, job_id, JobState.COMPLETED)
    path = fake_queue.status(job_id).result_paths[0]

    window.panel.prompt_edit.clear()
    window.panel.negative_edit.clear()
    window.panel.random_seed.setChecked(True)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(path)])
    enter = QDragEnterEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    assert window.panel.prompt_edit.toPlainText() == prompt
    assert window.panel.negative_edit.toPlainText() == "ぼやけ, blur"
    assert window.panel.seed_edit.text() == "77"


def test_restore_from_png_without_parameters(qtbot, fake_queue: JobQueue, tmp_path: Path) -> None:
    window = _window(qtbot, fake_queue)
    plain = tmp_path / "plain.png"
    QImage(8, 8, QImage.Format.Format_RGB888).save(str(plain))
    assert not window.restore_from_png(str(plain))
    assert "plain.png" in window.message_label.text()
    assert "no generation parameters" in window.message_label.text()


def test_settings_persist(qtbot, qsettings: QSettings, tmp_path: Path) -> None:
    settings = Settings(output_dir=tmp_path / "pictures", poll_interval_ms=750, previews=False,
                        file_name_pattern="{seed}-{prompt}", default_steps=12)
    settings.engine.device = "cpu"
    settings.engine.attention_slicing = True
    save_settings(qsettings, settings)
    loaded = load_settings(qsettings)
    assert loaded == settings


def test_settings_dialog_rejects_bad_pattern(qtbot, tmp_path: Path) -> None:
    dialog = SettingsDialog(Settings(output_dir=tmp_path))
    qtbot.addWidget(dialog)
    dialog.pattern_edit.setText("{seed}-{colour}")
    dialog.accept()
    assert "{colour}" in dialog.error_label.text()
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    dialog.pattern_edit.setText("{seed}-{prompt}")
    dialog.poll_spin.setValue(500)
    dialog.accept()
    assert dialog.settings().file_name_pattern == "{seed}-{prompt}"
    assert dialog.settings().poll_interval_ms == 500


def test_settings_apply_to_window(qtbot, fake_queue: JobQueue, qsettings: QSettings,
                                  tmp_path: Path) -> None:
    window = _window(qtbot, fake_queue, qsettings)
    changed = Settings(output_dir=tmp_path / "elsewhere", poll_interval_ms=900,
                       file_name_pattern="pixova-{seed}")
    window.apply_settings(changed)
    assert window.poll_timer.interval() == 900
    assert fake_queue.settings.output_dir == tmp_path / "elsewhere"
    _fill(window, "renamed", seed=123)
    job_id = _generate(window)
    _wait_state(qtbot, fake_queue, job_id, JobState.COMPLETED)
    assert Path(fake_queue.status(job_id).result_paths[0]) == tmp_path / "elsewhere/pixova-123.png"
    assert load_settings(qsettings).poll_interval_ms == 900


def test_window_remembers_last_parameters(qtbot, fake_queue: JobQueue,
                                          qsettings: QSettings) -> None:
    window = _window(qtbot, fake_queue, qsettings)
    _fill(window, "remember me", seed=314)
    job_id = _generate(window)
    _wait_state(qtbot, fake_queue, job_id, JobState.COMPLETED)
    window.resize(900, 600)
    size = window.size()
    window.close()
    again = _window(qtbot, fake_queue, qsettings)
    assert again.panel.prompt_edit.toPlainText() == "remember me"
    assert again.panel.seed_edit.text() == "314"
    # The offscreen platform adds a few pixels of frame on restore; the default is 1280x760.
    assert abs(again.width() - size.width()) <= 16
    assert abs(again.height() - size.height()) <= 16


def test_token_counter_warns_past_limit(qtbot, fake_queue: JobQueue, tiny_model_dir: Path) -> None:
    window = _window(qtbot, fake_queue)
    panel = window.panel
    panel.model_edit.setText(str(tiny_model_dir))
    panel.apply_model_defaults(str(tiny_model_dir))
    panel.prompt_edit.setPlainText("a red circle")
    qtbot.waitUntil(lambda: "tokens" in panel.token_label.text(), timeout=TIMEOUT_MS)
    assert "of 77 tokens" in panel.token_label.text()
    panel.prompt_edit.setPlainText("a " * 120)
    assert "ignored" in panel.token_label.text()
    assert "of 77" in panel.token_label.text()


def test_controls_have_tooltips(qtbot, fake_queue: JobQueue) -> None:
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit

    window = _window(qtbot, fake_queue)
    missing = [
        widget.objectName() or type(widget).__name__ + ":" + getattr(widget, "text", str)()
        for kind in (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit)
        for widget in window.findChildren(kind)
        if widget.isVisibleTo(window) and not widget.toolTip()
        and not isinstance(widget.parent(), (QAbstractSpinBox, QComboBox))
    ]
    assert missing == []
