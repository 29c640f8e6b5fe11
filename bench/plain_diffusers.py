"""Generate images with plain diffusers, as the baseline that `overhead.py` compares against.

It does the same work as `pixova-desktop generate`: one pipeline call per image, each with
a CPU generator seeded with seed + index, the model's own scheduler, and a PNG per image.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from diffusers import StableDiffusionPipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prompt")
    parser.add_argument("--model", required=True, help="diffusers pipeline folder")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--cfg", type=float, required=True)
    parser.add_argument("--width", type=int, required=True)
    parser.add_argument("--height", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--batch", type=int, default=1)
    args = parser.parse_args()

    pipeline = StableDiffusionPipeline.from_pretrained(
        args.model, torch_dtype=torch.float32, local_files_only=True, use_safetensors=True
    )
    pipeline.set_progress_bar_config(disable=True)
    args.out.mkdir(parents=True, exist_ok=True)
    for index in range(args.batch):
        seed = args.seed + index
        image = pipeline(
            prompt=args.prompt,
            num_inference_steps=args.steps,
            guidance_scale=args.cfg,
            width=args.width,
            height=args.height,
            generator=torch.Generator("cpu").manual_seed(seed),
        ).images[0]
        image.save(args.out / f"{seed}.png")


if __name__ == "__main__":
    main()
