"""The main window: submit, poll, canvas, status line and messages, on a real event loop."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from pixova_desktop.core.job import JobState
from pixova_desktop.core.metadata import read_parameters
from pixova_desktop.core.settings import Settings
from pixova_desktop.jobs.queue import JobQueue
from pixova_desktop.jobs.store import JobStore
from pixova_desktop.ui.main_window import MainWindow
from tests.support.fake_engine import FakeEngine

TIMEOUT_MS = 20_000


def _window(qtbot, queue: JobQueue, poll_ms: int = 50) -> MainWindow:
    queue.settings.poll_interval_ms = poll_ms
    window = MainWindow(queue, queue.settings)
    qtbot.addWidget(window)
    window.show()
    return window


def _fill(window: MainWindow, prompt: str, model: str, **values: int) -> None:
    panel = window.panel
    panel.prompt_edit.setPlainText(prompt)
    panel.model_edit.setText(model)
    panel.width_spin.setValue(values.get("width", 64))
    panel.height_spin.setValue(values.get("height", 64))
    panel.steps_spin.setValue(values.get("steps", 2))
    panel.random_seed.setChecked(False)
    panel.seed_edit.setText(str(values.get("seed", 3)))


def test_generate_shows_image_and_saves_png(qtbot, fake_queue: JobQueue) -> None:
    window = _window(qtbot, fake_queue)
    _fill(window, "a red circle", "fake", seed=11)
    qtbot.mouseClick(window.panel.generate_button, Qt.MouseButton.LeftButton)

    assert len(window.active_jobs()) == 1
    job_id = window.active_jobs()[0]
    assert job_id in window.status_label.text()
    qtbot.waitUntil(lambda: window.current_image_path() is not None, timeout=TIMEOUT_MS)

    snapshot = fake_queue.status(job_id)
    assert snapshot.state is JobState.COMPLETED
    saved = Path(snapshot.result_paths[0])
    assert saved.is_file()
    assert read_parameters(str(saved)).request.seed == 11
    assert window.canvas.image() == QImage(str(saved))
    qtbot.waitUntil(lambda: "completed" in window.status_label.text(), timeout=TIMEOUT_MS)
    assert not window.poll_timer.isActive()


def test_ctrl_return_generates(qtbot, fake_queue: JobQueue) -> None:
    window = _window(qtbot, fake_queue)
    _fill(window, "a blue square", "fake")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=TIMEOUT_MS)
    window.panel.prompt_edit.setFocus()
    qtbot.keyClick(window.panel.prompt_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert len(window.active_jobs()) == 1
    assert window.panel.prompt_edit.toPlainText() == "a blue square"


def test_status_line_shows_step(qtbot, fake_queue: JobQueue, fake_engine: FakeEngine) -> None:
    fake_engine.gate = threading.Event()
    window = _window(qtbot, fake_queue)
    _fill(window, "a green triangle", "fake", steps=4)
    window.panel.generate_button.click()
    qtbot.waitUntil(lambda: "processing, step" in window.status_label.text(), timeout=TIMEOUT_MS)
    assert "/4" in window.status_label.text()
    fake_engine.gate.set()


def test_invalid_size_shows_message(qtbot, fake_queue: JobQueue, job_store: JobStore) -> None:
    window = _window(qtbot, fake_queue)
    _fill(window, "a cat", "fake", width=640, height=427)
    window.panel.generate_button.click()
    assert window.message_label.isVisible()
    assert "427" in window.message_label.text()
    assert "424 or 432" in window.message_label.text()
    assert window.active_jobs() == []
    assert job_store.list() == []


def test_failure_shows_message_window_usable(
    qtbot, fake_queue: JobQueue, fake_engine: FakeEngine
) -> None:
    fake_engine.fail_with = RuntimeError("out of paint")
    window = _window(qtbot, fake_queue)
    _fill(window, "a cat", "fake")
    window.panel.generate_button.click()
    qtbot.waitUntil(window.message_label.isVisible, timeout=TIMEOUT_MS)
    assert "out of paint" in window.message_label.text()

    window.panel.generate_button.click()
    qtbot.waitUntil(lambda: window.current_image_path() is not None, timeout=TIMEOUT_MS)
    assert not window.message_label.isVisible()


def test_size_spin_boxes_step_by_eight(qtbot, fake_queue: JobQueue) -> None:
    window = _window(qtbot, fake_queue)
    window.panel.width_spin.setValue(512)
    window.panel.width_spin.stepUp()
    assert window.panel.width_spin.value() == 520
    assert window.panel.height_spin.singleStep() == 8


@pytest.mark.parametrize("interval", [2000, 250])
def test_poll_interval_follows_setting(qtbot, fake_queue: JobQueue, interval: int) -> None:
    window = _window(qtbot, fake_queue, poll_ms=interval)
    assert window.poll_timer.interval() == interval


def test_default_poll_interval_is_two_seconds() -> None:
    assert Settings().poll_interval_ms == 2000


def test_window_on_tiny_pipeline(
    qtbot, job_store: JobStore, output_dir: Path, tiny_model_dir: Path, diffusers_engine_factory
) -> None:
    queue = JobQueue(job_store, Settings(output_dir=output_dir),
                     engine_factory=diffusers_engine_factory)
    window = _window(qtbot, queue, poll_ms=100)
    _fill(window, "a red circle on a white background", str(tiny_model_dir), seed=4)
    window.panel.generate_button.click()
    job_id = window.active_jobs()[0]
    qtbot.waitUntil(lambda: window.current_image_path() is not None, timeout=60_000)
    snapshot = queue.status(job_id)
    assert snapshot.state is JobState.COMPLETED
    params = read_parameters(snapshot.result_paths[0])
    assert params.request.prompt == "a red circle on a white background"
    assert params.request.model == str(tiny_model_dir)
    assert params.extra["device"] == "cpu"
    assert window.canvas.image() == QImage(snapshot.result_paths[0])
    assert queue.shutdown(TIMEOUT_MS)
