"""Run one generation request on a cached pipeline, image by image, with progress and cancel."""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any

import torch

from pixova_desktop.core.job import GeneratedImage, PreviewImage
from pixova_desktop.core.metadata import ImageParameters
from pixova_desktop.core.models import model_display_name
from pixova_desktop.core.request import GenerationRequest
from pixova_desktop.core.settings import EngineOptions
from pixova_desktop.engine.device import out_of_memory_as_error
from pixova_desktop.engine.errors import GenerationCancelled
from pixova_desktop.engine.pipeline_cache import PipelineCache
from pixova_desktop.engine.preview import latents_to_preview
from pixova_desktop.engine.safety import flagged_images_error
from pixova_desktop.engine.schedulers import apply_sampler

logger = logging.getLogger(__name__)

# Called after each denoising step with (steps done in the job, total steps, preview or None).
StepCallback = Callable[[int, int, "PreviewImage | None"], None]


class DiffusersEngine:
    """Generates the images of a request with a local diffusers pipeline.

    One engine serves one worker thread at a time; the pipeline cache keeps the model loaded
    between jobs.
    """

    def __init__(
        self, cache: PipelineCache | None = None, options: EngineOptions | None = None
    ) -> None:
        self.options = options or EngineOptions()
        self.cache = cache or PipelineCache(self.options)

    def generate(
        self,
        request: GenerationRequest,
        on_step: StepCallback,
        is_cancelled: Callable[[], bool],
        previews: bool = False,
    ) -> Iterator[GeneratedImage]:
        """Yield each image of the validated `request` as soon as it is finished.

        `on_step` receives a preview of the latents when `previews` is true, else None.
        Raises GenerationCancelled at the first step end after `is_cancelled()` turns true,
        OutOfMemoryError when the device runs out of memory, and ImageFlaggedError after the
        batch when the safety checker flagged images, which are then not yielded.
        """
        # 1. Load the model, or reuse the loaded one.
        loaded = self.cache.get(request.model)
        pipeline = loaded.pipeline

        # 2. Set the sampler; an empty name restores the model's own scheduler.
        sampler = apply_sampler(pipeline, request.scheduler, loaded.default_scheduler)
        extra = {"device": str(loaded.device), "dtype": str(loaded.dtype).replace("torch.", "")}
        model_name = model_display_name(request.model)

        # 3. Run each image with its own seeded CPU generator, so seed + index reproduces it.
        total = request.steps * request.batch_count
        work = f"generating {request.width}x{request.height} images"
        flagged: list[int] = []
        for index, seed in enumerate(request.image_seeds()):
            if is_cancelled():
                raise GenerationCancelled()
            preview = functools.partial(latents_to_preview, pipeline=pipeline) if previews else None
            callback = _step_callback(index * request.steps, total, on_step, is_cancelled, preview)
            generator = torch.Generator("cpu").manual_seed(seed)
            with torch.inference_mode(), out_of_memory_as_error(loaded.device, work):
                output = pipeline(
                    prompt=request.prompt,
                    negative_prompt=request.negative_prompt or None,
                    num_inference_steps=request.steps,
                    guidance_scale=request.cfg_scale,
                    width=request.width,
                    height=request.height,
                    generator=generator,
                    callback_on_step_end=callback,
                    callback_on_step_end_tensor_inputs=["latents"],
                )
            checker = loaded.safety_checker
            if checker is not None and checker.flags(output.images[:1])[0]:
                logger.warning("The safety checker flagged image %d (seed %d)", index + 1, seed)
                flagged.append(index)
                continue
            image_request = dataclasses.replace(request, seed=seed, batch_count=1)
            params = ImageParameters(image_request, sampler, model_name, extra)
            yield GeneratedImage(output.images[0], params)

        # 4. Report flagged images once the rest of the batch is saved.
        if flagged:
            raise flagged_images_error(flagged, request.image_seeds())


def _step_callback(
    offset: int,
    total: int,
    on_step: StepCallback,
    is_cancelled: Callable[[], bool],
    preview: Callable[[torch.Tensor], PreviewImage | None] | None,
) -> Callable[..., dict[str, Any]]:
    def callback(
        pipeline: Any, step: int, timestep: Any, tensors: dict[str, Any]
    ) -> dict[str, Any]:
        latents = tensors.get("latents")
        image = preview(latents) if preview is not None and latents is not None else None
        on_step(min(offset + step + 1, total), total, image)
        if is_cancelled():
            raise GenerationCancelled()
        return tensors

    return callback
