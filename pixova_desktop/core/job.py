"""Job states and the read-only snapshot of a job that the queue hands to its readers."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from pixova_desktop.core.metadata import ImageParameters
from pixova_desktop.core.request import GenerationRequest

INTERRUPTED_REASON = "interrupted"


class JobState(str, enum.Enum):
    """The stage of a job: queued, then processing, then one of the final states."""

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class JobSnapshot:
    """A job's state at one moment.

    `step` counts denoising steps done over the whole batch and `total_steps` is
    steps x batch_count. `result_paths` lists the saved PNG files in batch order.
    """

    job_id: str
    request: GenerationRequest
    state: JobState
    step: int = 0
    total_steps: int = 0
    error: str = ""
    result_paths: tuple[str, ...] = field(default_factory=tuple)
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    steps_per_second: float | None = None
    preview: PreviewImage | None = None

    @property
    def eta_seconds(self) -> float | None:
        """Estimated seconds left at the current speed, or None before the speed is known."""
        if not self.steps_per_second or self.state is not JobState.PROCESSING:
            return None
        return max(0, self.total_steps - self.step) / self.steps_per_second


@dataclass(frozen=True)
class PreviewImage:
    """A small RGB888 picture of the current latents, row-major, `width * 3` bytes a row."""

    width: int
    height: int
    data: bytes


@dataclass(frozen=True)
class GeneratedImage:
    """One finished image (a PIL image) and the parameters to embed in its PNG."""

    image: Any
    params: ImageParameters
