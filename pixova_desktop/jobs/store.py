"""The SQLite job store: every job is on disk before `submit` returns."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from pixova_desktop.core.job import INTERRUPTED_REASON, JobSnapshot, JobState, PreviewImage
from pixova_desktop.core.request import GenerationRequest

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    state TEXT NOT NULL,
    request TEXT NOT NULL,
    step INTEGER NOT NULL DEFAULT 0,
    total_steps INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    result_paths TEXT NOT NULL DEFAULT '[]',
    started_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at);
"""
_COLUMNS = (
    "id, created_at, state, request, step, total_steps, error, result_paths, "
    "started_at, finished_at"
)


@dataclass
class _LiveProgress:
    """In-memory progress of a running job: the step, its timing and the newest preview."""

    step: int = 0
    first_step: int = 0
    first_time: float = 0.0
    last_time: float = 0.0
    preview: PreviewImage | None = None

    def steps_per_second(self) -> float | None:
        elapsed = self.last_time - self.first_time
        if self.step <= self.first_step or elapsed <= 0:
            return None
        return (self.step - self.first_step) / elapsed


class JobStore:
    """Jobs in a SQLite file (WAL mode), safe to use from the GUI and worker threads.

    Step progress is kept in memory and written to disk only with state changes, so a fast
    pipeline does not wait on the disk at every step.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None
        )
        with self._lock:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.executescript(_SCHEMA)
        self._progress: dict[str, _LiveProgress] = {}

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def add(self, request: GenerationRequest) -> str:
        """Store a new queued job for `request` and return its id."""
        job_id = uuid.uuid4().hex[:12]
        total = request.steps * request.batch_count
        with self._lock:
            self._connection.execute(
                "INSERT INTO jobs (id, created_at, state, request, total_steps) "
                "VALUES (?, ?, ?, ?, ?)",
                (job_id, time.time(), JobState.QUEUED.value, _dump(request), total),
            )
        return job_id

    def get(self, job_id: str) -> JobSnapshot | None:
        with self._lock:
            row = self._connection.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            return self._snapshot(row) if row else None

    def list(self, limit: int = 1000) -> list[JobSnapshot]:
        """Return the newest `limit` jobs, newest first."""
        with self._lock:
            rows = self._connection.execute(
                f"SELECT {_COLUMNS} FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
            return [self._snapshot(row) for row in rows]

    def set_state(
        self,
        job_id: str,
        state: JobState,
        *,
        expected: JobState | None = None,
        error: str = "",
    ) -> bool:
        """Move a job to `state`; with `expected`, only if it is in that state now.

        Returns whether the job changed.
        """
        now = time.time()
        assignments = "state = ?, error = ?"
        values: list[object] = [state.value, error]
        if state is JobState.PROCESSING:
            assignments += ", started_at = ?"
            values.append(now)
        if state.is_final:
            assignments += ", finished_at = ?"
            values.append(now)
        query = f"UPDATE jobs SET {assignments} WHERE id = ?"
        values.append(job_id)
        if expected is not None:
            query += " AND state = ?"
            values.append(expected.value)
        with self._lock:
            changed = self._connection.execute(query, values).rowcount == 1
            if changed and state.is_final:
                self._flush_progress_locked(job_id)
            return changed

    def set_progress(
        self, job_id: str, step: int, preview: PreviewImage | None = None
    ) -> None:
        """Record that `step` steps are done; speed is measured from the first recorded step."""
        now = time.perf_counter()
        with self._lock:
            live = self._progress.get(job_id)
            if live is None:
                live = self._progress[job_id] = _LiveProgress(step, step, now, now)
            live.step = step
            live.last_time = now
            if preview is not None:
                live.preview = preview

    def add_result(self, job_id: str, path: str) -> None:
        """Append a saved file to the job's results; called after the file has its final name."""
        with self._lock:
            row = self._connection.execute(
                "SELECT result_paths FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            paths = json.loads(row[0]) if row else []
            paths.append(path)
            self._connection.execute(
                "UPDATE jobs SET result_paths = ? WHERE id = ?", (json.dumps(paths), job_id)
            )

    def mark_interrupted(self) -> list[str]:
        """Fail the jobs a previous run left queued or processing; return their ids."""
        unfinished = (JobState.QUEUED.value, JobState.PROCESSING.value)
        with self._lock:
            rows = self._connection.execute(
                "SELECT id FROM jobs WHERE state IN (?, ?)", unfinished
            ).fetchall()
            self._connection.execute(
                "UPDATE jobs SET state = ?, error = ?, finished_at = ? WHERE state IN (?, ?)",
                (JobState.FAILED.value, INTERRUPTED_REASON, time.time(), *unfinished),
            )
        return [row[0] for row in rows]

    def _flush_progress_locked(self, job_id: str) -> None:
        live = self._progress.pop(job_id, None)
        if live is not None:
            self._connection.execute("UPDATE jobs SET step = ? WHERE id = ?", (live.step, job_id))

    def _snapshot(self, row: tuple) -> JobSnapshot:
        job_id, created, state, request, step, total, error, paths, started, finished = row
        live = self._progress.get(job_id)
        return JobSnapshot(
            job_id=job_id,
            request=GenerationRequest.from_dict(json.loads(request)),
            state=JobState(state),
            step=live.step if live else step,
            total_steps=total,
            error=error,
            result_paths=tuple(json.loads(paths)),
            created_at=created,
            started_at=started,
            finished_at=finished,
            steps_per_second=live.steps_per_second() if live else None,
            preview=live.preview if live else None,
        )


def _dump(request: GenerationRequest) -> str:
    return json.dumps(request.to_dict(), ensure_ascii=False)
