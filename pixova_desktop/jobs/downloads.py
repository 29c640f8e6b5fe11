"""Download hub pipelines into the Hugging Face cache on a pool thread, with progress and cancel.

model_index.json is fetched last, so a download that was cancelled or failed has no
model_index.json in its snapshot. The loader and the model library both treat such a repo as
not downloaded, and the next download of it resumes from the files already in the cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub import constants as hub_constants
from huggingface_hub import errors as hub_errors
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from tqdm.auto import tqdm

logger = logging.getLogger(__name__)

MODEL_INDEX = "model_index.json"
PROGRESS_INTERVAL_S = 0.1
# Component folders that the download skips: Pixova runs its own optional safety checker.
SKIPPED_COMPONENTS = ("safety_checker",)
_CONFIG_SUFFIXES = (".json", ".txt", ".model")


class DownloadCancelled(Exception):
    """Raised from the progress hook to stop a download; not an error."""


class DownloadError(Exception):
    """A download failed; the message completes the sentence "Could not download REPO: ..." ."""


@dataclass(frozen=True)
class RepoFile:
    """A file of a hub repo and its size in bytes."""

    name: str
    size: int


def select_pipeline_files(files: list[RepoFile]) -> list[RepoFile]:
    """Return the files a diffusers pipeline needs, with model_index.json last.

    That is the component configs, tokenizer files and the default (not fp16 or other variant)
    .safetensors weights, shards included. Top-level single-file checkpoints, pickle weights
    and the safety checker are left out.
    """
    selected = []
    index = None
    for repo_file in files:
        if repo_file.name == MODEL_INDEX:
            index = repo_file
            continue
        parts = repo_file.name.split("/")
        if len(parts) != 2 or parts[0] in SKIPPED_COMPONENTS:
            continue
        name = parts[1]
        if name.endswith(_CONFIG_SUFFIXES):
            selected.append(repo_file)
        elif name.endswith(".safetensors") and "." not in name.removesuffix(".safetensors"):
            selected.append(repo_file)
    if index is None:
        raise DownloadError("has no model_index.json, so it is not a diffusers pipeline")
    return selected + [index]


class _ProgressHook(tqdm):  # type: ignore[misc]
    """A silent tqdm that forwards byte counts to `on_bytes`, which raises to cancel.

    huggingface_hub creates one per file and calls `update(bytes)` as data arrives.
    """

    on_bytes: Callable[[int], None] = staticmethod(lambda count: None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("name", None)
        kwargs["disable"] = True
        super().__init__(*args, **kwargs)
        initial = int(kwargs.get("initial") or 0)
        if initial:
            self.on_bytes(initial)

    def update(self, n: float | None = 1) -> bool | None:
        self.on_bytes(int(n or 0))
        return None


class _DownloadRunnable(QRunnable):
    def __init__(self, run: Callable[[], None]) -> None:
        super().__init__()
        self._run = run

    def run(self) -> None:
        self._run()


class DownloadManager(QObject):
    """Downloads hub pipelines one at a time on its own pool thread.

    Signals:
        download_progress(str, int, int): repo id, bytes done, bytes total.
        download_finished(str): the repo is complete in the cache.
        download_failed(str, str): repo id and a message for the user.
        download_cancelled(str): the repo download stopped at the user's request.
    """

    download_progress = Signal(str, "qint64", "qint64")
    download_finished = Signal(str)
    download_failed = Signal(str, str)
    download_cancelled = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._cancel_events: dict[str, threading.Event] = {}

    def start(self, repo_id: str) -> bool:
        """Queue the download of `repo_id`; return False when it is already queued or running."""
        if repo_id in self._cancel_events:
            return False
        event = threading.Event()
        self._cancel_events[repo_id] = event
        self._pool.start(_DownloadRunnable(lambda: self._run(repo_id, event)))
        logger.info("Download of %s queued", repo_id)
        return True

    def is_active(self, repo_id: str) -> bool:
        return repo_id in self._cancel_events

    def cancel(self, repo_id: str) -> None:
        """Stop the download of `repo_id` at its next chunk of data."""
        event = self._cancel_events.get(repo_id)
        if event is not None:
            event.set()

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel every download and wait for the pool; return whether it finished in time."""
        for event in list(self._cancel_events.values()):
            event.set()
        return self._pool.waitForDone(timeout_ms)

    def _run(self, repo_id: str, cancel_event: threading.Event) -> None:
        try:
            download_pipeline(repo_id, cancel_event, self._progress_emitter(repo_id))
        except DownloadCancelled:
            logger.info("Download of %s cancelled", repo_id)
            self.download_cancelled.emit(repo_id)
        except DownloadError as error:
            logger.exception("Download of %s failed", repo_id)
            self.download_failed.emit(repo_id, f"Could not download {repo_id}: {error}")
        else:
            logger.info("Download of %s finished", repo_id)
            self.download_finished.emit(repo_id)
        finally:
            self._cancel_events.pop(repo_id, None)

    def _progress_emitter(self, repo_id: str) -> Callable[[int, int, bool], None]:
        last_emit = [0.0]

        def emit(done: int, total: int, force: bool) -> None:
            now = time.monotonic()
            if force or now - last_emit[0] >= PROGRESS_INTERVAL_S:
                last_emit[0] = now
                self.download_progress.emit(repo_id, done, total)

        return emit


def download_pipeline(
    repo_id: str,
    cancel_event: threading.Event,
    on_progress: Callable[[int, int, bool], None],
) -> Path:
    """Download the files of pipeline `repo_id` into the hub cache; return the snapshot folder.

    `on_progress(done, total, force)` receives byte counts; `force` marks the first and last
    report. Raises DownloadCancelled when `cancel_event` is set and DownloadError on failure.
    """
    # 1. List the files and their sizes.
    if hub_constants.HF_HUB_OFFLINE:
        raise DownloadError(
            "offline mode is on (HF_HUB_OFFLINE is set). Unset it and try again."
        )
    try:
        info = HfApi().model_info(repo_id, files_metadata=True)
    except hub_errors.RepositoryNotFoundError as error:
        raise DownloadError(
            "the Hugging Face hub has no such model. Check the spelling of the id."
        ) from error
    except (hub_errors.HfHubHTTPError, OSError) as error:
        raise DownloadError(f"{error}. Check the internet connection and try again.") from error
    files = select_pipeline_files(
        [RepoFile(sibling.rfilename, sibling.size or 0) for sibling in info.siblings or []]
    )
    total = sum(repo_file.size for repo_file in files)
    done = 0
    on_progress(0, total, True)
    logger.info("Downloading %d files (%d bytes) of %s at %s", len(files), total, repo_id, info.sha)

    # 2. Fetch each file; the hook counts bytes and stops the transfer on cancel.
    current = [0]

    def on_bytes(count: int) -> None:
        if cancel_event.is_set():
            raise DownloadCancelled()
        current[0] += count
        on_progress(done + current[0], total, False)

    hook = type("_RepoProgressHook", (_ProgressHook,), {"on_bytes": staticmethod(on_bytes)})
    snapshot = None
    for repo_file in files:
        if cancel_event.is_set():
            raise DownloadCancelled()
        current[0] = 0
        # model_index.json comes from "main", which records the ref in the cache.
        revision = "main" if repo_file.name == MODEL_INDEX else info.sha
        try:
            path = hf_hub_download(repo_id, repo_file.name, revision=revision, tqdm_class=hook)
        except (hub_errors.HfHubHTTPError, hub_errors.LocalEntryNotFoundError) as error:
            raise DownloadError(
                f"{repo_file.name} failed: {error}. Check the internet connection and try "
                "again; the next try resumes from the files already downloaded."
            ) from error
        except OSError as error:
            raise DownloadError(
                f"{repo_file.name} could not be written to the Hugging Face cache "
                f"({error.strerror or error}). Free some disk space and try again."
            ) from error
        done += repo_file.size
        snapshot = Path(path).parent

    # 3. A repo that moved on during the download has its files split over two commits.
    assert snapshot is not None
    if info.sha and snapshot.name != info.sha:
        raise DownloadError(
            "the model changed on the hub during the download. Start the download again."
        )
    on_progress(total, total, True)
    return snapshot
