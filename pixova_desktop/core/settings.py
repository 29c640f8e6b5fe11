"""User settings that the queue, the window and the command line share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pixova_desktop.core.paths import default_output_dir

DEFAULT_POLL_INTERVAL_MS = 2000
MIN_POLL_INTERVAL_MS, MAX_POLL_INTERVAL_MS = 50, 60_000


@dataclass
class Settings:
    """Output folder, polling interval and default model; empty model means the default one."""

    output_dir: Path = field(default_factory=default_output_dir)
    poll_interval_ms: int = DEFAULT_POLL_INTERVAL_MS
    default_model: str = ""

    def __post_init__(self) -> None:
        self.output_dir = Path(self.output_dir)
        if not MIN_POLL_INTERVAL_MS <= self.poll_interval_ms <= MAX_POLL_INTERVAL_MS:
            raise ValueError(
                f"poll_interval_ms is {self.poll_interval_ms}; use a value from "
                f"{MIN_POLL_INTERVAL_MS} to {MAX_POLL_INTERVAL_MS} milliseconds."
            )
