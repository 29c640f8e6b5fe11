"""Sampler names artists know, mapped to diffusers scheduler classes and config overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import diffusers
from diffusers import DiffusionPipeline


@dataclass(frozen=True)
class SamplerSpec:
    class_name: str
    overrides: dict[str, Any] = field(default_factory=dict)


# Names follow AUTOMATIC1111's sampler list, so the PNG `Sampler:` field reads the same there.
SAMPLERS: dict[str, SamplerSpec] = {
    "Euler": SamplerSpec("EulerDiscreteScheduler"),
    "Euler a": SamplerSpec("EulerAncestralDiscreteScheduler"),
    "DPM++ 2M": SamplerSpec("DPMSolverMultistepScheduler"),
    "DPM++ 2M Karras": SamplerSpec("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    # NOTE: AUTOMATIC1111's "DPM++ SDE Karras" is a single-step SDE solver that needs torchsde;
    # this uses diffusers' multistep SDE variant, which needs no extra package.
    "DPM++ SDE Karras": SamplerSpec(
        "DPMSolverMultistepScheduler",
        {"use_karras_sigmas": True, "algorithm_type": "sde-dpmsolver++"},
    ),
    "DDIM": SamplerSpec("DDIMScheduler"),
    "UniPC": SamplerSpec("UniPCMultistepScheduler"),
    "LCM": SamplerSpec("LCMScheduler"),
}

# Overrides of one sampler that must not leak into the next one chosen.
_RESET_KEYS = {"use_karras_sigmas": False, "algorithm_type": "dpmsolver++"}


def apply_sampler(pipeline: DiffusionPipeline, name: str, model_default: Any) -> str:
    """Set the pipeline's scheduler to sampler `name`, or to `model_default` when `name` is "".

    Returns the name to record in the PNG: `name`, or the model's own scheduler class name.
    Raises ValueError for an unknown name, listing the known ones.
    """
    if not name:
        pipeline.scheduler = model_default
        return _known_name(model_default) or type(model_default).__name__
    spec = SAMPLERS.get(name)
    if spec is None:
        known = ", ".join(SAMPLERS)
        raise ValueError(f"Unknown sampler {name!r}; choose one of: {known}.")
    scheduler_class = getattr(diffusers, spec.class_name)
    config = {**model_default.config, **_RESET_KEYS, **spec.overrides}
    pipeline.scheduler = scheduler_class.from_config(config)
    return name


def _known_name(scheduler: Any) -> str | None:
    """Return the sampler name that matches `scheduler`'s class and options, if one does."""
    for name, spec in SAMPLERS.items():
        if type(scheduler).__name__ != spec.class_name:
            continue
        expected = {**_RESET_KEYS, **spec.overrides}
        if all(scheduler.config.get(key, value) == value for key, value in expected.items()):
            return name
    return None
