"""Fidelity of the built-in demo model in resources/models/pixova-demo.

The images are generated from the shipped weights and scored by the pixel
classifier in tests/support/shape_classifier.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from diffusers import StableDiffusionPipeline
from PIL import Image, ImageDraw

from tests.support.shape_classifier import PALETTE, Classification, classify_image

MODEL_DIR = Path(__file__).resolve().parents[1] / "resources" / "models" / "pixova-demo"

# Combinations never shown in training (HELD_OUT_COMBOS in tools/demo_data.py).
HELD_OUT_COMBOS = [
    ("red", "circle", "blue"),
    ("green", "square", "yellow"),
    ("blue", "triangle", "white"),
    ("yellow", "circle", "black"),
    ("white", "square", "red"),
    ("black", "triangle", "green"),
    ("red", "square", "white"),
    ("blue", "circle", "black"),
]
# Training combinations covering every colour as foreground and background
# and every shape.
TRAINING_COMBOS = [
    ("red", "triangle", "black"),
    ("green", "circle", "white"),
    ("blue", "square", "yellow"),
    ("yellow", "triangle", "blue"),
    ("white", "circle", "green"),
    ("black", "square", "red"),
    ("green", "triangle", "red"),
    ("yellow", "square", "white"),
]
SEEDS = (0, 1)
BATCH_SIZE = 16
# A prompt without a colour word, so the negative prompt decides which colours appear.
NO_COLOR_PROMPT = "a circle on a white background"


def caption(combo: tuple[str, str, str]) -> str:
    color, shape, background = combo
    return f"a {color} {shape} on a {background} background"


def generate_images(
    pipeline: StableDiffusionPipeline,
    prompts: list[str],
    seeds: list[int],
    steps: int,
    cfg_scale: float,
    negative_prompt: str | None = None,
) -> list[Image.Image]:
    """Generate one 64x64 image per (prompt, seed) pair, seeded per image on the CPU."""
    images: list[Image.Image] = []
    for start in range(0, len(prompts), BATCH_SIZE):
        batch_prompts = prompts[start : start + BATCH_SIZE]
        batch_seeds = seeds[start : start + BATCH_SIZE]
        generators = [torch.Generator("cpu").manual_seed(seed) for seed in batch_seeds]
        negative = None if negative_prompt is None else [negative_prompt] * len(batch_prompts)
        result = pipeline(
            prompt=batch_prompts,
            negative_prompt=negative,
            num_inference_steps=steps,
            guidance_scale=cfg_scale,
            height=64,
            width=64,
            generator=generators,
        )
        images.extend(result.images)
    return images


def classify_grid(
    pipeline: StableDiffusionPipeline, combos: list[tuple[str, str, str]], steps: int, cfg_scale: float
) -> list[tuple[tuple[str, str, str], Classification]]:
    pairs = [(combo, seed) for combo in combos for seed in SEEDS]
    images = generate_images(
        pipeline,
        [caption(combo) for combo, _ in pairs],
        [seed for _, seed in pairs],
        steps,
        cfg_scale,
    )
    return [(combo, classify_image(image)) for (combo, _), image in zip(pairs, images)]


def accuracy(results, attribute: str) -> float:
    index = {"color": 0, "shape": 1, "background": 2}[attribute]
    hits = [getattr(found, attribute) == combo[index] for combo, found in results]
    return sum(hits) / len(hits)


def combined_accuracy(results) -> float:
    hits = [(found.color, found.shape, found.background) == combo for combo, found in results]
    return sum(hits) / len(hits)


@pytest.fixture(scope="module")
def defaults() -> dict:
    return json.loads((MODEL_DIR / "pixova_model.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pipeline() -> StableDiffusionPipeline:
    pipe = StableDiffusionPipeline.from_pretrained(MODEL_DIR)
    pipe.set_progress_bar_config(disable=True)
    return pipe


@pytest.fixture(scope="module")
def default_results(pipeline, defaults):
    return classify_grid(
        pipeline, HELD_OUT_COMBOS + TRAINING_COMBOS, defaults["steps"], defaults["cfg_scale"]
    )


@pytest.fixture(scope="module")
def plain_circles(pipeline, defaults) -> list[Image.Image]:
    """Images for NO_COLOR_PROMPT without a negative prompt, seeds 0 to 7."""
    seeds = list(range(8))
    prompts = [NO_COLOR_PROMPT] * len(seeds)
    return generate_images(pipeline, prompts, seeds, defaults["steps"], defaults["cfg_scale"])


@pytest.mark.parametrize("shape", ["circle", "square", "triangle"])
@pytest.mark.parametrize("size", [20, 44])
def test_classifier_reads_drawn_shapes(shape: str, size: int) -> None:
    image = Image.new("RGB", (64, 64), PALETTE["blue"])
    draw = ImageDraw.Draw(image)
    box = (10, 12, 10 + size - 1, 12 + size - 1)
    if shape == "circle":
        draw.ellipse(box, fill=PALETTE["yellow"])
    elif shape == "square":
        draw.rectangle(box, fill=PALETTE["yellow"])
    else:
        apex = ((box[0] + box[2]) / 2, box[1])
        draw.polygon([apex, (box[2], box[3]), (box[0], box[3])], fill=PALETTE["yellow"])

    found = classify_image(image)

    assert found.background == "blue"
    assert found.color == "yellow"
    assert found.shape == shape, f"fill ratio {found.fill_ratio:.3f}"


def test_default_settings_follow_prompts(default_results) -> None:
    held_out = [(combo, found) for combo, found in default_results if combo in HELD_OUT_COMBOS]

    background = accuracy(default_results, "background")
    color = accuracy(default_results, "color")
    shape = accuracy(default_results, "shape")
    held_out_combined = combined_accuracy(held_out)

    assert background >= 0.9, f"background colour accuracy {background:.0%}"
    assert color >= 0.9, f"foreground colour accuracy {color:.0%}"
    assert shape >= 0.8, f"shape accuracy {shape:.0%}"
    assert held_out_combined >= 0.8, f"held-out combinations fully correct {held_out_combined:.0%}"


def test_guidance_improves_prompt_following(pipeline, defaults, default_results) -> None:
    unguided = classify_grid(pipeline, HELD_OUT_COMBOS + TRAINING_COMBOS, defaults["steps"], 1.0)

    guided_score = combined_accuracy(default_results)
    unguided_score = combined_accuracy(unguided)

    assert guided_score - unguided_score >= 0.25, (
        f"images fully correct with cfg_scale {defaults['cfg_scale']}: {guided_score:.0%}, "
        f"with cfg_scale 1: {unguided_score:.0%}"
    )


@pytest.mark.parametrize("color", ["red", "green"])
def test_negative_prompt_removes_color(pipeline, defaults, plain_circles, color: str) -> None:
    seeds = list(range(len(plain_circles)))
    prompts = [NO_COLOR_PROMPT] * len(seeds)
    negative = generate_images(
        pipeline, prompts, seeds, defaults["steps"], defaults["cfg_scale"], negative_prompt=color
    )

    plain_count = sum(classify_image(image).color == color for image in plain_circles)
    negative_count = sum(classify_image(image).color == color for image in negative)

    assert negative_count <= 1, f"{negative_count} of {len(seeds)} {color} with negative prompt {color!r}"
    assert negative_count <= plain_count, (
        f"{negative_count} {color} with negative prompt {color!r}, {plain_count} without"
    )
