"""Cheap previews of the latents at each denoising step."""

from __future__ import annotations

import logging
from typing import Any

import torch

from pixova_desktop.core.job import PreviewImage

logger = logging.getLogger(__name__)

# Linear latent-to-RGB projections fitted for the SD 1.x and SDXL VAEs, as used by ComfyUI's
# latent previewer (comfy/latent_formats.py): rgb = latent_channels @ factors + bias.
SD1_RGB_FACTORS = (
    (0.3512, 0.2297, 0.3227),
    (0.3250, 0.4974, 0.2350),
    (-0.2829, 0.1762, 0.2721),
    (-0.2120, -0.2616, -0.7177),
)
SD1_RGB_BIAS = (0.0, 0.0, 0.0)
SDXL_RGB_FACTORS = (
    (0.3651, 0.4232, 0.4341),
    (-0.2533, -0.0042, 0.1068),
    (0.1076, 0.1111, -0.0362),
    (-0.3165, -0.2492, -0.2188),
)
SDXL_RGB_BIAS = (0.1084, -0.0175, -0.0011)
# Latents up to this many positions are decoded with the model's own VAE, which is exact and,
# at that size, costs about as much as one projection of a large latent.
MAX_VAE_PREVIEW_POSITIONS = 32 * 32


def latents_to_preview(latents: torch.Tensor, pipeline: Any) -> PreviewImage | None:
    """Return a preview of the first image in `latents`, or None for an unknown latent space."""
    latent = latents[0].detach().float().cpu()
    channels, height, width = latent.shape
    if height * width <= MAX_VAE_PREVIEW_POSITIONS and getattr(pipeline, "vae", None) is not None:
        rgb = _decode_with_vae(latents[:1], pipeline.vae)
    elif channels == 4:
        is_xl = "XL" in type(pipeline).__name__
        factors = SDXL_RGB_FACTORS if is_xl else SD1_RGB_FACTORS
        bias = SDXL_RGB_BIAS if is_xl else SD1_RGB_BIAS
        rgb = torch.einsum("chw,cr->hwr", latent, torch.tensor(factors)) + torch.tensor(bias)
    else:
        return None
    pixels = ((rgb.clamp(-1, 1) + 1) * 127.5).to(torch.uint8).contiguous()
    return PreviewImage(pixels.shape[1], pixels.shape[0], pixels.numpy().tobytes())


def _decode_with_vae(latents: torch.Tensor, vae: Any) -> torch.Tensor:
    scaling = getattr(vae.config, "scaling_factor", 1.0)
    with torch.inference_mode():
        decoded = vae.decode(latents.to(vae.dtype) / scaling).sample[0]
    return decoded.float().cpu().permute(1, 2, 0)
