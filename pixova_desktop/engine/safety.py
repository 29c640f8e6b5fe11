"""The optional safety checker: diffusers' StableDiffusionSafetyChecker run on finished images.

It runs after generation, outside the pipeline, so it works for SD 1.x, 2.x and SDXL alike.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch
from huggingface_hub import constants as hub_constants
from huggingface_hub import errors as hub_errors
from huggingface_hub import try_to_load_from_cache

from pixova_desktop.engine.errors import (
    ImageFlaggedError,
    ModelLoadError,
    ModelNotDownloadedError,
)

logger = logging.getLogger(__name__)

SAFETY_CHECKER_REPO = "CompVis/stable-diffusion-safety-checker"


class SafetyChecker:
    """Flags images that the CompVis safety checker model classifies as NSFW.

    Args:
        model: a `StableDiffusionSafetyChecker`.
        feature_extractor: the `CLIPImageProcessor` that prepares its input.
        device, dtype: where the model runs.
    """

    def __init__(
        self, model: Any, feature_extractor: Any, device: torch.device, dtype: torch.dtype
    ) -> None:
        self._model = model
        self._feature_extractor = feature_extractor
        self._device = device
        self._dtype = dtype

    @classmethod
    def load(cls, device: torch.device, dtype: torch.dtype) -> SafetyChecker:
        """Load the checker from the Hugging Face cache, downloading it when the hub is reachable.

        Raises ModelNotDownloadedError when it is not cached and the hub cannot be reached, and
        ModelLoadError when the cached files are broken.
        """
        from diffusers.pipelines.stable_diffusion.safety_checker import (
            StableDiffusionSafetyChecker,
        )
        from transformers import CLIPImageProcessor

        cached = isinstance(try_to_load_from_cache(SAFETY_CHECKER_REPO, "config.json"), str)
        if not cached and hub_constants.HF_HUB_OFFLINE:
            raise _not_downloaded()
        try:
            model = StableDiffusionSafetyChecker.from_pretrained(
                SAFETY_CHECKER_REPO, dtype=dtype, local_files_only=cached, use_safetensors=True
            )
            feature_extractor = CLIPImageProcessor.from_pretrained(
                SAFETY_CHECKER_REPO, local_files_only=cached
            )
        except (hub_errors.LocalEntryNotFoundError, OSError, ValueError) as error:
            logger.exception("Loading the safety checker %s failed", SAFETY_CHECKER_REPO)
            if not cached:
                raise _not_downloaded() from error
            raise ModelLoadError(
                f"Could not load the safety checker {SAFETY_CHECKER_REPO} from the Hugging Face "
                f"cache: {error}. Delete it from the cache and let Pixova download it again."
            ) from error
        model.to(device)
        logger.info("Loaded the safety checker on %s as %s", device, dtype)
        return cls(model, feature_extractor, device, dtype)

    def flags(self, images: list[Any]) -> list[bool]:
        """Return, for each PIL image, whether the checker flags it."""
        clip_input = self._feature_extractor(images, return_tensors="pt").pixel_values
        arrays = np.stack([np.asarray(image, dtype=np.float32) / 255.0 for image in images])
        with torch.inference_mode():
            _, flagged = self._model(
                images=arrays, clip_input=clip_input.to(self._device, self._dtype)
            )
        return [bool(value) for value in flagged]


def _not_downloaded() -> ModelNotDownloadedError:
    return ModelNotDownloadedError(
        f"The safety checker model {SAFETY_CHECKER_REPO} has not been downloaded yet and the "
        "Hugging Face hub cannot be reached. Connect to the internet once, or turn the safety "
        "checker off in the engine settings."
    )


def flagged_images_error(indices: list[int], seeds: list[int]) -> ImageFlaggedError:
    """Return the job error for the flagged images at zero-based `indices` of a batch."""
    numbers = ", ".join(f"{index + 1} (seed {seeds[index]})" for index in indices)
    saved = len(seeds) - len(indices)
    noun, pronoun = ("image", "it was") if len(indices) == 1 else ("images", "they were")
    if saved:
        outcome = f"{pronoun} not saved. The other {saved} image(s) of the job were saved"
    else:
        outcome = "nothing was saved"
    return ImageFlaggedError(
        f"The safety checker flagged {noun} {numbers}, so {outcome}. Change the prompt or "
        "seed, or turn the safety checker off in the engine settings.",
        indices,
    )
