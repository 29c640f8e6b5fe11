"""Choose the torch device and dtype, apply the memory savers and free memory after a failure."""

from __future__ import annotations

import contextlib
import gc
import logging
import traceback
from collections.abc import Iterator

import torch
from diffusers import DiffusionPipeline

from pixova_desktop.core.settings import EngineOptions
from pixova_desktop.engine.errors import EngineOptionsError, OutOfMemoryError

logger = logging.getLogger(__name__)

DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}
CPU_OFFLOAD_MODES = ("none", "model", "sequential")

# Errors torch raises when a device has no memory left; MemoryError is the CPU's.
OUT_OF_MEMORY_ERRORS: tuple[type[BaseException], ...] = (torch.cuda.OutOfMemoryError, MemoryError)


def choose_device(preferred: str = "auto") -> torch.device:
    """Return `preferred` ("cuda", "cuda:1", "mps", "cpu") or the best available for "auto".

    Raises EngineOptionsError for a device name torch does not know or a device that is absent.
    """
    if preferred and preferred != "auto":
        try:
            device = torch.device(preferred)
        except RuntimeError as error:
            raise EngineOptionsError(
                f"Device {preferred!r} is not a device name; use auto, cpu, cuda, cuda:N or mps."
            ) from error
        _check_available(device)
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def choose_dtype(device: torch.device, preferred: str = "auto") -> torch.dtype:
    """Return the dtype for `device`: `preferred`, or for "auto" fp16 on CUDA and fp32 elsewhere.

    Raises EngineOptionsError for float16 on the CPU, where Stable Diffusion's half-precision
    kernels are missing or very slow, and for bfloat16 on a GPU without bfloat16 support.

    NOTE: MPS supports fp16 too, but some SD 1.x VAEs give black images in fp16 there, so "auto"
    stays at fp32 on MPS until that is measured on a Mac.
    """
    if not preferred or preferred == "auto":
        return torch.float16 if device.type == "cuda" else torch.float32
    dtype = DTYPES.get(preferred)
    if dtype is None:
        raise EngineOptionsError(
            f"Precision {preferred!r} is unknown; use auto, {', '.join(DTYPES)}."
        )
    if dtype is torch.float16 and device.type == "cpu":
        raise EngineOptionsError(
            "float16 precision does not work on the CPU for Stable Diffusion. Choose float32, "
            "bfloat16 or auto precision in the engine settings, or choose a GPU device."
        )
    if dtype is torch.bfloat16 and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise EngineOptionsError(
            f"The GPU {device} does not support bfloat16. Choose float16 or auto precision."
        )
    return dtype


def apply_memory_options(
    pipeline: DiffusionPipeline, options: EngineOptions, device: torch.device
) -> None:
    """Move `pipeline` to `device`, or set up CPU offload, and turn on the chosen memory savers."""
    # 1. Placement: offload keeps weights in RAM and moves each part to the GPU when it runs.
    offload = options.cpu_offload or "none"
    if offload not in CPU_OFFLOAD_MODES:
        raise EngineOptionsError(
            f"CPU offload {offload!r} is unknown; use one of: {', '.join(CPU_OFFLOAD_MODES)}."
        )
    if offload != "none" and device.type == "cpu":
        logger.warning("CPU offload (%s) needs a GPU device; running on the CPU without it", offload)
        offload = "none"
    if offload == "model":
        pipeline.enable_model_cpu_offload(device=device)
    elif offload == "sequential":
        pipeline.enable_sequential_cpu_offload(device=device)
    else:
        pipeline.to(device)

    # 2. Memory savers, each a little slower per step.
    if options.attention_slicing:
        pipeline.enable_attention_slicing()
    vae = getattr(pipeline, "vae", None)
    if vae is not None and options.vae_slicing:
        vae.enable_slicing()
    if vae is not None and options.vae_tiling:
        vae.enable_tiling()
    logger.info(
        "Memory options: offload %s, attention slicing %s, VAE slicing %s, VAE tiling %s",
        offload,
        options.attention_slicing,
        options.vae_slicing,
        options.vae_tiling,
    )


def release_memory(device: torch.device | None = None) -> None:
    """Free cached allocator memory after a pipeline is dropped or a job ran out of memory."""
    gc.collect()
    if torch.cuda.is_available() and (device is None or device.type == "cuda"):
        torch.cuda.empty_cache()


@contextlib.contextmanager
def out_of_memory_as_error(device: torch.device, work: str) -> Iterator[None]:
    """Turn running out of memory during `work` into OutOfMemoryError, after freeing memory.

    `work` completes the message "ran out of memory while ...", e.g. "generating 2 images of
    1024x1024". The tensors held by the failed call's frames are dropped before the allocator
    cache is emptied, so the next job starts with the memory the model alone needs.
    """
    try:
        yield
    except OUT_OF_MEMORY_ERRORS as error:
        logger.exception("Out of memory on %s while %s", device, work)
        traceback.clear_frames(error.__traceback__)
        release_memory(device)
        raise OutOfMemoryError(
            f"{device} ran out of memory while {work}. Try a smaller image size or fewer "
            "images, or turn on the low VRAM preset in the engine settings."
        ) from None


def _check_available(device: torch.device) -> None:
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = device.index or 0
        if index >= count:
            raise EngineOptionsError(
                f"Device {device} is not available: torch sees {count} CUDA GPU(s). Choose "
                "auto or cpu in the engine settings, or check the GPU driver."
            )
    elif device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise EngineOptionsError(
                "Device mps is not available on this machine. Choose auto or cpu in the "
                "engine settings."
            )
