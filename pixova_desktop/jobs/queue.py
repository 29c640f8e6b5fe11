"""`JobQueue`: submit returns a job id at once; one pool thread runs jobs in order."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThreadPool

from pixova_desktop.core.job import JobSnapshot, JobState
from pixova_desktop.core.models import default_model
from pixova_desktop.core.request import GenerationRequest
from pixova_desktop.core.settings import EngineOptions, Settings
from pixova_desktop.engine.native_libraries import preload_torch_libraries
from pixova_desktop.jobs.store import JobStore
from pixova_desktop.jobs.worker import Engine, JobRunnable, execute_job

logger = logging.getLogger(__name__)


def load_diffusers_engine(options: EngineOptions) -> Engine:
    """Import the diffusers engine; called on the worker thread so torch loads off the GUI."""
    preload_torch_libraries()
    runner = importlib.import_module("pixova_desktop.engine.runner")
    return runner.DiffusersEngine(options=options)


class JobQueue(QObject):
    """Owns every job state change. Readers poll `status()` and `jobs()`.

    Args:
        store: where jobs live.
        settings: output folder and default model.
        engine_factory: builds the engine on first use, on the worker thread; by default the
            diffusers engine with `settings.engine`.
    """

    def __init__(
        self,
        store: JobStore,
        settings: Settings,
        engine_factory: Callable[[], Engine] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.settings = settings
        self._engine_factory = engine_factory or functools.partial(
            load_diffusers_engine, settings.engine
        )
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._cancel_events: dict[str, threading.Event] = {}
        self._closing = False
        # One thread per device: jobs run one after another in submission order.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)

    def submit(self, request: GenerationRequest) -> str:
        """Validate and store `request`, queue it and return its job id.

        Raises RequestError for invalid values; nothing is stored then. No model is loaded here.
        """
        if not request.model:
            model = self.settings.default_model or default_model()
            request = dataclasses.replace(request, model=model)
        request = request.validated()
        job_id = self.store.add(request)
        self._cancel_events[job_id] = threading.Event()
        self._pool.start(JobRunnable(job_id, self._execute))
        logger.info("Job %s queued", job_id)
        return job_id

    def status(self, job_id: str) -> JobSnapshot:
        """Return the job's snapshot; raises KeyError for an unknown id."""
        snapshot = self.store.get(job_id)
        if snapshot is None:
            raise KeyError(f"No job with id {job_id}")
        return snapshot

    def jobs(self, limit: int = 1000) -> list[JobSnapshot]:
        return self.store.list(limit)

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued job at once, or a running one at its next step end.

        Returns False when the job had already finished.
        """
        if self.store.set_state(job_id, JobState.CANCELLED, expected=JobState.QUEUED):
            logger.info("Job %s cancelled before it started", job_id)
            return True
        snapshot = self.store.get(job_id)
        if snapshot is None or snapshot.state is not JobState.PROCESSING:
            return False
        event = self._cancel_events.get(job_id)
        if event is not None:
            event.set()
        return True

    def clear_queue(self) -> list[str]:
        """Cancel every job that has not started; return their ids."""
        waiting = [job.job_id for job in self.store.list() if job.state is JobState.QUEUED]
        return [job_id for job_id in waiting if self.store.set_state(
            job_id, JobState.CANCELLED, expected=JobState.QUEUED)]

    def rerun(self, job_id: str) -> str:
        """Queue a new job with the same request as `job_id` (same seed); return the new id."""
        return self.submit(self.status(job_id).request)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop taking jobs, cancel the running one and wait for the pool thread.

        Jobs still queued stay queued in the store and are marked interrupted on the next
        start. Returns whether the pool finished within `timeout_ms`.
        """
        self._closing = True
        for event in list(self._cancel_events.values()):
            event.set()
        return self._pool.waitForDone(timeout_ms)

    def wait_for_idle(self, timeout_ms: int) -> bool:
        return self._pool.waitForDone(timeout_ms)

    def _execute(self, job_id: str) -> None:
        event = self._cancel_events[job_id]
        if self._closing:
            return
        try:
            execute_job(job_id, self.store, self._get_engine, self.settings, event)
        finally:
            self._cancel_events.pop(job_id, None)

    def _get_engine(self) -> Engine:
        with self._engine_lock:
            if self._engine is None:
                self._engine = self._engine_factory()
            return self._engine
