"""User settings that the queue, the window and the command line share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pixova_desktop.core.paths import default_output_dir, user_data_dir

DEFAULT_POLL_INTERVAL_MS = 2000
MIN_POLL_INTERVAL_MS, MAX_POLL_INTERVAL_MS = 50, 60_000


def default_models_dir() -> Path:
    return user_data_dir() / "models"


@dataclass
class EngineOptions:
    """How pipelines run: device, precision, memory savers, safety checker, models folder.

    `device` is "auto", "cpu", "cuda", "cuda:N" or "mps"; `dtype` is "auto", "float16",
    "bfloat16" or "float32"; `cpu_offload` is "none", "model" or "sequential".
    """

    device: str = "auto"
    dtype: str = "auto"
    attention_slicing: bool = False
    vae_slicing: bool = False
    vae_tiling: bool = False
    cpu_offload: str = "none"
    safety_checker: bool = False
    models_dir: Path = field(default_factory=default_models_dir)


@dataclass
class Settings:
    """Output folder, polling interval and default model; empty model means the default one."""

    output_dir: Path = field(default_factory=default_output_dir)
    poll_interval_ms: int = DEFAULT_POLL_INTERVAL_MS
    default_model: str = ""
    previews: bool = True
    engine: EngineOptions = field(default_factory=EngineOptions)

    def __post_init__(self) -> None:
        self.output_dir = Path(self.output_dir)
        if not MIN_POLL_INTERVAL_MS <= self.poll_interval_ms <= MAX_POLL_INTERVAL_MS:
            raise ValueError(
                f"poll_interval_ms is {self.poll_interval_ms}; use a value from "
                f"{MIN_POLL_INTERVAL_MS} to {MAX_POLL_INTERVAL_MS} milliseconds."
            )
