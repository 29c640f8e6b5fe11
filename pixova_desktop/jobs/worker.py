"""Run one job on a pool thread: generate, save each image, record the outcome in the store."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QRunnable

from pixova_desktop.core.job import GeneratedImage, JobState, PreviewImage
from pixova_desktop.core.output import format_file_stem, save_png
from pixova_desktop.core.request import GenerationRequest
from pixova_desktop.core.settings import Settings
from pixova_desktop.engine.errors import EngineError, GenerationCancelled
from pixova_desktop.jobs.store import JobStore

logger = logging.getLogger(__name__)


class Engine(Protocol):
    """The engine interface the worker uses; `engine.runner.DiffusersEngine` implements it."""

    def generate(
        self,
        request: GenerationRequest,
        on_step: Callable[[int, int, PreviewImage | None], None],
        is_cancelled: Callable[[], bool],
        previews: bool = False,
    ) -> Iterator[GeneratedImage]: ...


class JobRunnable(QRunnable):
    """Runs `execute_job` for one job id; never touches widgets."""

    def __init__(self, job_id: str, execute: Callable[[str], None]) -> None:
        super().__init__()
        self._job_id = job_id
        self._execute = execute

    def run(self) -> None:
        self._execute(self._job_id)


def execute_job(
    job_id: str,
    store: JobStore,
    engine_provider: Callable[[], Engine],
    settings: Settings,
    cancel_event: threading.Event,
) -> None:
    """Run a queued job to a final state; a job cancelled while queued is skipped.

    The output folder, file name pattern and previews switch are read from `settings` when
    the job starts.
    """
    # 1. Claim the job; it may have been cancelled while it waited.
    if not store.set_state(job_id, JobState.PROCESSING, expected=JobState.QUEUED):
        logger.info("Job %s is no longer queued; skipping it", job_id)
        return
    snapshot = store.get(job_id)
    assert snapshot is not None
    request = snapshot.request
    logger.info("Job %s started: %s", job_id, request)

    output_dir, pattern, previews = settings.output_dir, settings.file_name_pattern, settings.previews

    # 2. Generate and save image by image, so finished images survive a later failure.
    def on_step(done: int, total: int, preview: PreviewImage | None) -> None:
        store.set_progress(job_id, done, preview)

    try:
        engine = engine_provider()
        for generated in engine.generate(request, on_step, cancel_event.is_set, previews):
            _save(job_id, store, generated, output_dir, pattern)
    except GenerationCancelled:
        store.set_state(job_id, JobState.CANCELLED)
        logger.info("Job %s cancelled", job_id)
        return
    except EngineError as error:
        logger.error("Job %s failed: %s", job_id, error)
        store.set_state(job_id, JobState.FAILED, error=str(error))
        return
    except Exception as error:  # noqa: BLE001 - a job must end in a state, whatever failed
        logger.exception("Job %s failed unexpectedly", job_id)
        message = f"Generation failed: {type(error).__name__}: {error}. The log file has details."
        store.set_state(job_id, JobState.FAILED, error=message)
        return

    # 3. Done.
    store.set_state(job_id, JobState.COMPLETED)
    logger.info("Job %s completed", job_id)


def _save(
    job_id: str, store: JobStore, generated: GeneratedImage, output_dir: Path, pattern: str
) -> None:
    request = generated.params.request
    assert request.seed is not None
    stem = format_file_stem(pattern, request.prompt, request.seed, generated.params.model_name)
    try:
        path = save_png(generated.image, output_dir, stem, generated.params)
    except OSError as error:
        raise EngineError(
            f"Could not save the image in {output_dir}: {error.strerror or error}. "
            "Choose another output folder or free some disk space."
        ) from error
    store.add_result(job_id, str(path))
