"""Choose the torch device and dtype: CUDA, then MPS, then CPU; fp16 on CUDA, fp32 elsewhere."""

from __future__ import annotations

import torch


def choose_device(preferred: str = "auto") -> torch.device:
    """Return `preferred` ("cuda", "cuda:1", "mps", "cpu") or the best available for "auto"."""
    if preferred and preferred != "auto":
        return torch.device(preferred)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def choose_dtype(device: torch.device) -> torch.dtype:
    """Return fp16 on CUDA and fp32 elsewhere.

    NOTE: MPS supports fp16 too, but some SD 1.x VAEs give black images in fp16 there, so MPS
    stays at fp32 until that is measured on a Mac.
    """
    return torch.float16 if device.type == "cuda" else torch.float32


def release_memory(device: torch.device | None = None) -> None:
    """Free cached allocator memory after a pipeline is dropped."""
    import gc

    gc.collect()
    if torch.cuda.is_available() and (device is None or device.type == "cuda"):
        torch.cuda.empty_cache()
