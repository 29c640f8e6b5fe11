"""Render a captioned PNG grid of images from the Pixova demo model.

Each row is one prompt and each column one seed. Held-out prompts, which the
model never saw in training, are marked with "(held out)".

Example, from the repository root:

    python tools/render_demo_grid.py /tmp/demo_grid.png
"""

from __future__ import annotations

import os

# PyTorch's OpenMP threads spin while they wait by default, which is slow when
# other processes share the CPU cores. This has to be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import torch
from diffusers import StableDiffusionPipeline
from PIL import Image, ImageDraw

import demo_data

logger = logging.getLogger("render_demo_grid")

CELL_SCALE = 2
LABEL_WIDTH = 330
PADDING = 4

DEFAULT_COMBOS = list(demo_data.HELD_OUT_COMBOS) + [
    ("red", "triangle", "black"),
    ("green", "circle", "white"),
    ("blue", "square", "yellow"),
    ("white", "circle", "green"),
    ("black", "square", "red"),
    ("yellow", "triangle", "blue"),
]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path, help="PNG file to write")
    parser.add_argument("--model", type=Path, default=Path("resources/models/pixova-demo"),
                        help="pipeline folder")
    parser.add_argument("--seeds", type=int, default=6, help="images per prompt (seeds 0..N-1)")
    parser.add_argument("--steps", type=int, help="inference steps (default: pixova_model.json)")
    parser.add_argument("--cfg-scale", type=float, help="guidance scale (default: pixova_model.json)")
    parser.add_argument("--negative-prompt", help="negative prompt for every image")
    parser.add_argument("--prompt", action="append",
                        help="prompt to render instead of the default list; repeat for more rows")
    return parser.parse_args(argv)


def default_prompts() -> list[tuple[str, str]]:
    """Return (prompt, row label) pairs: the held-out combinations, then training ones."""
    held_out = set(demo_data.HELD_OUT_COMBOS)
    rows = []
    for combo in DEFAULT_COMBOS:
        prompt = demo_data.format_caption(*combo)
        label = f"{prompt} (held out)" if combo in held_out else prompt
        rows.append((prompt, label))
    return rows


def generate_row(pipeline, prompt, seeds, steps, cfg_scale, negative_prompt) -> list[Image.Image]:
    generators = [torch.Generator("cpu").manual_seed(seed) for seed in seeds]
    result = pipeline(
        prompt=[prompt] * len(seeds),
        negative_prompt=None if negative_prompt is None else [negative_prompt] * len(seeds),
        num_inference_steps=steps,
        guidance_scale=cfg_scale,
        height=demo_data.IMAGE_SIZE,
        width=demo_data.IMAGE_SIZE,
        generator=generators,
    )
    return result.images


def compose_grid(rows: list[tuple[str, list[Image.Image]]], title: str) -> Image.Image:
    """Paste each row's images right of its label, under a title line."""
    cell = demo_data.IMAGE_SIZE * CELL_SCALE
    columns = max(len(images) for _, images in rows)
    width = LABEL_WIDTH + columns * (cell + PADDING)
    title_height = 20
    height = title_height + len(rows) * (cell + PADDING)
    grid = Image.new("RGB", (width, height), (128, 128, 128))
    draw = ImageDraw.Draw(grid)
    draw.text((PADDING, 4), title, fill=(0, 0, 0))
    for row_index, (label, images) in enumerate(rows):
        top = title_height + row_index * (cell + PADDING)
        draw.text((PADDING, top + cell // 2 - 6), label, fill=(0, 0, 0))
        for column, image in enumerate(images):
            scaled = image.resize((cell, cell), Image.Resampling.NEAREST)
            grid.paste(scaled, (LABEL_WIDTH + column * (cell + PADDING), top))
    return grid


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    defaults = json.loads((args.model / "pixova_model.json").read_text(encoding="utf-8"))
    steps = args.steps or defaults["steps"]
    cfg_scale = defaults["cfg_scale"] if args.cfg_scale is None else args.cfg_scale
    prompts = [(prompt, prompt) for prompt in args.prompt] if args.prompt else default_prompts()

    pipeline = StableDiffusionPipeline.from_pretrained(args.model)
    pipeline.set_progress_bar_config(disable=True)
    seeds = list(range(args.seeds))
    rows = []
    started = time.monotonic()
    for prompt, label in prompts:
        rows.append((label, generate_row(pipeline, prompt, seeds, steps, cfg_scale, args.negative_prompt)))
        logger.info("rendered %r", prompt)
    seconds_per_image = (time.monotonic() - started) / (len(prompts) * len(seeds))

    title = f"{steps} steps, cfg_scale {cfg_scale}, seeds 0-{len(seeds) - 1}"
    if args.negative_prompt:
        title += f", negative prompt {args.negative_prompt!r}"
    compose_grid(rows, title).save(args.output)
    logger.info("wrote %s (%.2f s per image)", args.output, seconds_per_image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
