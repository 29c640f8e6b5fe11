"""JobQueue and JobStore: submit, states, order, cancel, failures and restart."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from pixova_desktop.core.job import INTERRUPTED_REASON, JobState
from pixova_desktop.core.metadata import read_parameters
from pixova_desktop.core.request import GenerationRequest, RequestError
from pixova_desktop.core.settings import Settings
from pixova_desktop.jobs.queue import JobQueue
from pixova_desktop.jobs.store import JobStore
from tests.support.fake_engine import FakeEngine, failing_engine_factory

TIMEOUT_MS = 10_000


def _request(**changes: object) -> GenerationRequest:
    fields = {"model": "fake", "steps": 2, "width": 64, "height": 64, "seed": 1} | changes
    return GenerationRequest("a red circle", **fields)


def _wait_final(qtbot, queue: JobQueue, job_id: str) -> None:
    qtbot.waitUntil(lambda: queue.status(job_id).state.is_final, timeout=TIMEOUT_MS)


def test_submit_returns_before_engine_loads(qtbot, job_store: JobStore, output_dir: Path) -> None:
    release = threading.Event()
    factory_called = threading.Event()

    def slow_factory() -> FakeEngine:
        factory_called.set()
        release.wait(timeout=30)
        return FakeEngine()

    queue = JobQueue(job_store, Settings(output_dir=output_dir), engine_factory=slow_factory)
    job_id = queue.submit(_request())
    state_at_return = queue.status(job_id).state
    assert state_at_return in (JobState.QUEUED, JobState.PROCESSING)
    assert job_store.get(job_id) is not None
    qtbot.waitUntil(factory_called.is_set, timeout=TIMEOUT_MS)
    assert queue.status(job_id).state is JobState.PROCESSING
    release.set()
    _wait_final(qtbot, queue, job_id)
    assert queue.status(job_id).state is JobState.COMPLETED
    assert queue.shutdown(TIMEOUT_MS)


def test_completed_job_has_png(qtbot, fake_queue: JobQueue, output_dir: Path) -> None:
    job_id = fake_queue.submit(_request(seed=5, batch_count=2))
    _wait_final(qtbot, fake_queue, job_id)
    snapshot = fake_queue.status(job_id)
    assert snapshot.state is JobState.COMPLETED
    assert snapshot.step == snapshot.total_steps == 4
    assert len(snapshot.result_paths) == 2
    seeds = [read_parameters(path).request.seed for path in snapshot.result_paths]
    assert seeds == [5, 6]
    assert all(Path(path).parent == output_dir for path in snapshot.result_paths)


def test_invalid_request_stores_nothing(fake_queue: JobQueue, job_store: JobStore) -> None:
    with pytest.raises(RequestError, match="427"):
        fake_queue.submit(_request(width=640, height=427))
    assert job_store.list() == []


def test_empty_model_uses_default(qtbot, fake_queue: JobQueue, fake_engine: FakeEngine) -> None:
    job_id = fake_queue.submit(_request(model=""))
    _wait_final(qtbot, fake_queue, job_id)
    assert fake_engine.requests[0].model != ""


def test_jobs_run_in_submission_order(qtbot, fake_queue: JobQueue, fake_engine: FakeEngine) -> None:
    ids = [fake_queue.submit(_request(seed=seed)) for seed in (10, 20, 30)]
    for job_id in ids:
        _wait_final(qtbot, fake_queue, job_id)
    assert [request.seed for request in fake_engine.requests] == [10, 20, 30]


def test_cancel_queued_job(qtbot, fake_queue: JobQueue, fake_engine: FakeEngine) -> None:
    fake_engine.gate = threading.Event()
    running = fake_queue.submit(_request(seed=1))
    waiting = fake_queue.submit(_request(seed=2))
    assert fake_queue.cancel(waiting)
    assert fake_queue.status(waiting).state is JobState.CANCELLED
    fake_engine.gate.set()
    _wait_final(qtbot, fake_queue, running)
    assert fake_queue.status(running).state is JobState.COMPLETED
    assert [request.seed for request in fake_engine.requests] == [1]


def test_cancel_running_job_saves_nothing(
    qtbot, fake_queue: JobQueue, fake_engine: FakeEngine, output_dir: Path
) -> None:
    fake_engine.gate = threading.Event()
    job_id = fake_queue.submit(_request(steps=5))
    qtbot.waitUntil(fake_engine.step_reached.is_set, timeout=TIMEOUT_MS)
    assert fake_queue.cancel(job_id)
    fake_engine.gate.set()
    _wait_final(qtbot, fake_queue, job_id)
    snapshot = fake_queue.status(job_id)
    assert snapshot.state is JobState.CANCELLED
    assert snapshot.result_paths == ()
    assert not output_dir.exists() or list(output_dir.iterdir()) == []


def test_cancel_finished_job_is_refused(qtbot, fake_queue: JobQueue) -> None:
    job_id = fake_queue.submit(_request())
    _wait_final(qtbot, fake_queue, job_id)
    assert not fake_queue.cancel(job_id)
    assert fake_queue.status(job_id).state is JobState.COMPLETED


def test_failure_then_next_job_runs(qtbot, fake_queue: JobQueue, fake_engine: FakeEngine) -> None:
    fake_engine.fail_with = RuntimeError("boom")
    failed = fake_queue.submit(_request())
    after = fake_queue.submit(_request(seed=2))
    _wait_final(qtbot, fake_queue, failed)
    _wait_final(qtbot, fake_queue, after)
    assert fake_queue.status(failed).state is JobState.FAILED
    assert "RuntimeError: boom" in fake_queue.status(failed).error
    assert fake_queue.status(after).state is JobState.COMPLETED


def test_engine_error_text_reaches_snapshot(qtbot, job_store: JobStore, output_dir: Path) -> None:
    queue = JobQueue(
        job_store,
        Settings(output_dir=output_dir),
        engine_factory=failing_engine_factory("Model x has not been downloaded yet."),
    )
    job_id = queue.submit(_request())
    _wait_final(qtbot, queue, job_id)
    snapshot = queue.status(job_id)
    assert snapshot.state is JobState.FAILED
    assert snapshot.error == "Model x has not been downloaded yet."
    assert queue.shutdown(TIMEOUT_MS)


def test_unwritable_output_fails_clearly(qtbot, job_store: JobStore, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the output folder should be")
    queue = JobQueue(job_store, Settings(output_dir=blocker), engine_factory=FakeEngine)
    job_id = queue.submit(_request())
    _wait_final(qtbot, queue, job_id)
    snapshot = queue.status(job_id)
    assert snapshot.state is JobState.FAILED
    assert str(blocker) in snapshot.error
    assert "Choose another output folder" in snapshot.error
    assert queue.shutdown(TIMEOUT_MS)


def test_restart_marks_unfinished_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    store = JobStore(path)
    processing = store.add(_request().validated())
    store.set_state(processing, JobState.PROCESSING)
    queued = store.add(_request().validated())
    done = store.add(_request().validated())
    store.set_state(done, JobState.COMPLETED)
    store.close()

    reopened = JobStore(path)
    assert sorted(reopened.mark_interrupted()) == sorted([processing, queued])
    for job_id in (processing, queued):
        snapshot = reopened.get(job_id)
        assert snapshot is not None
        assert snapshot.state is JobState.FAILED
        assert snapshot.error == INTERRUPTED_REASON
    assert reopened.get(done).state is JobState.COMPLETED
    reopened.close()


def test_store_uses_wal(job_store: JobStore) -> None:
    mode = job_store._connection.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_cancel_on_last_step_spares_next_job(
    qtbot, job_store: JobStore, output_dir: Path, tiny_model_dir: Path, diffusers_engine_factory
) -> None:
    queue = JobQueue(job_store, Settings(output_dir=output_dir),
                     engine_factory=diffusers_engine_factory)
    request = GenerationRequest("a red circle", model=str(tiny_model_dir), steps=3, width=64,
                                height=64, seed=1)
    original = job_store.set_progress
    cancelled_job: list[str] = []

    def cancel_at_last_step(job_id: str, step: int, preview: object = None) -> None:
        original(job_id, step, preview)
        if step == 3 and not cancelled_job:
            cancelled_job.append(job_id)
            queue.cancel(job_id)

    job_store.set_progress = cancel_at_last_step
    first = queue.submit(request)
    second = queue.submit(dataclasses.replace(request, seed=2))
    _wait_final(qtbot, queue, first)
    _wait_final(qtbot, queue, second)
    assert cancelled_job == [first]
    assert queue.status(first).state is JobState.CANCELLED
    assert queue.status(first).result_paths == ()
    assert queue.status(second).state is JobState.COMPLETED
    assert queue.status(second).step == 3
    assert len(queue.status(second).result_paths) == 1
    assert queue.shutdown(TIMEOUT_MS)
