"""The generation request and the checks that every request passes before it is queued."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from typing import Any

MIN_STEPS, MAX_STEPS = 1, 150
MIN_CFG, MAX_CFG = 0.0, 30.0
MIN_SIZE, MAX_SIZE, SIZE_MULTIPLE = 64, 2048, 8
MAX_SEED = 2**32 - 1
MIN_BATCH, MAX_BATCH = 1, 100
# Sampler names as AUTOMATIC1111 shows them; the engine maps each to a diffusers scheduler.
SAMPLER_NAMES = (
    "Euler",
    "Euler a",
    "DPM++ 2M",
    "DPM++ 2M Karras",
    "DPM++ SDE Karras",
    "DDIM",
    "UniPC",
    "LCM",
)


class RequestError(ValueError):
    """An invalid request value: `field` names it and the message gives the fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class GenerationRequest:
    """A generation request: prompt, model and sampling parameters.

    `seed` None means "pick a random seed"; `validated()` replaces it with the seed actually
    used. `model` empty means the default model; `scheduler` empty means the model's own.
    `batch_count` images are made one after another with seeds seed, seed + 1, ...
    """

    prompt: str
    negative_prompt: str = ""
    model: str = ""
    steps: int = 20
    cfg_scale: float = 7.0
    width: int = 512
    height: int = 512
    seed: int | None = None
    scheduler: str = ""
    batch_count: int = 1

    def validated(self) -> GenerationRequest:
        """Return a copy with a concrete seed, or raise `RequestError` for the first bad value."""
        _check_int_range("steps", self.steps, MIN_STEPS, MAX_STEPS)
        _check_cfg(self.cfg_scale)
        _check_size("width", self.width)
        _check_size("height", self.height)
        _check_int_range("batch_count", self.batch_count, MIN_BATCH, MAX_BATCH)
        if not isinstance(self.prompt, str) or not isinstance(self.negative_prompt, str):
            raise RequestError("prompt", "The prompt and negative prompt must be text.")
        if self.scheduler and self.scheduler not in SAMPLER_NAMES:
            raise RequestError(
                "scheduler",
                f"Unknown sampler {self.scheduler!r}; choose one of: {', '.join(SAMPLER_NAMES)}, "
                "or leave it empty for the model's own.",
            )
        seed = self.seed
        if seed is None:
            seed = secrets.randbelow(MAX_SEED + 1)
        else:
            _check_int_range("seed", seed, 0, MAX_SEED)
        if seed + self.batch_count - 1 > MAX_SEED:
            raise RequestError(
                "seed",
                f"Seed {seed} with {self.batch_count} images passes the largest seed {MAX_SEED}; "
                f"use a seed of at most {MAX_SEED - self.batch_count + 1}.",
            )
        return dataclasses.replace(self, seed=seed, cfg_scale=float(self.cfg_scale))

    def image_seeds(self) -> list[int]:
        """Return the seed of each image in the batch; the request must be validated."""
        if self.seed is None:
            raise ValueError("image_seeds() needs a validated request with a concrete seed")
        return [self.seed + index for index in range(self.batch_count)]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationRequest:
        """Build a request from `to_dict()` output, ignoring keys this version does not know."""
        known = {field.name for field in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


def nearest_valid_sizes(value: int) -> list[int]:
    """Return the valid sizes just below and above `value` (one value if it is past a limit)."""
    lower = max(MIN_SIZE, min(MAX_SIZE, value // SIZE_MULTIPLE * SIZE_MULTIPLE))
    upper = max(MIN_SIZE, min(MAX_SIZE, -(-value // SIZE_MULTIPLE) * SIZE_MULTIPLE))
    return sorted({lower, upper})


def _check_int_range(field: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(field, f"{field} must be a whole number, got {value!r}.")
    if not low <= value <= high:
        raise RequestError(field, f"{field} is {value}; use a value from {low} to {high}.")


def _check_cfg(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError("cfg_scale", f"CFG scale must be a number, got {value!r}.")
    if not MIN_CFG <= value <= MAX_CFG:
        raise RequestError(
            "cfg_scale", f"CFG scale is {value}; use a value from {MIN_CFG:g} to {MAX_CFG:g}."
        )


def _check_size(field: str, value: object) -> None:
    _check_int_range(field, value, MIN_SIZE, MAX_SIZE)
    assert isinstance(value, int)
    if value % SIZE_MULTIPLE:
        nearest = " or ".join(str(size) for size in nearest_valid_sizes(value))
        raise RequestError(
            field,
            f"{field.capitalize()} {value} is not a multiple of {SIZE_MULTIPLE}; "
            f"use {nearest}.",
        )
