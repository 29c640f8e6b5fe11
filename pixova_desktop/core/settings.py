"""User settings that the queue, the window and the command line share."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from pixova_desktop.core.output import DEFAULT_FILE_NAME_PATTERN, check_file_name_pattern
from pixova_desktop.core.paths import default_output_dir, user_data_dir

DEFAULT_POLL_INTERVAL_MS = 2000
MIN_POLL_INTERVAL_MS, MAX_POLL_INTERVAL_MS = 50, 60_000


def default_models_dir() -> Path:
    return user_data_dir() / "models"


@dataclass
class EngineOptions:
    """Pipeline options: device, precision, memory savers, safety checker, models folder.

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


def low_vram_options(options: EngineOptions) -> EngineOptions:
    """Return `options` with every memory saver on: slicing, VAE tiling, model CPU offload.

    Each saver makes a step slower. Device, dtype and the other options stay as they are.
    """
    return dataclasses.replace(
        options, attention_slicing=True, vae_slicing=True, vae_tiling=True, cpu_offload="model"
    )


@dataclass
class Settings:
    """Output folder, polling interval and default model; empty model means the default one."""

    output_dir: Path = field(default_factory=default_output_dir)
    poll_interval_ms: int = DEFAULT_POLL_INTERVAL_MS
    default_model: str = ""
    previews: bool = True
    file_name_pattern: str = DEFAULT_FILE_NAME_PATTERN
    # 0 means "what the model recommends" (see core.models.model_defaults).
    default_width: int = 0
    default_height: int = 0
    default_steps: int = 0
    default_cfg_scale: float = 0.0
    engine: EngineOptions = field(default_factory=EngineOptions)

    def __post_init__(self) -> None:
        self.output_dir = Path(self.output_dir)
        if not MIN_POLL_INTERVAL_MS <= self.poll_interval_ms <= MAX_POLL_INTERVAL_MS:
            raise ValueError(
                f"poll_interval_ms is {self.poll_interval_ms}; use a value from "
                f"{MIN_POLL_INTERVAL_MS} to {MAX_POLL_INTERVAL_MS} milliseconds."
            )
        check_file_name_pattern(self.file_name_pattern)
