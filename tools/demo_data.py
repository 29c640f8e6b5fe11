"""Synthetic captioned images for the built-in Pixova demo model.

Each sample is a 64x64 RGB image of one flat-coloured circle, square or triangle
on a flat background, captioned "a {color} {shape} on a {background} background".
Images are drawn with Pillow when a batch is requested, so no data set is stored.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

IMAGE_SIZE = 64

# RGB values of the colour words. tests/support/shape_classifier.py keeps a copy
# of this palette to classify generated images, so change both together.
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 160, 50),
    "blue": (30, 60, 220),
    "yellow": (240, 220, 30),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
}
SHAPES = ("circle", "square", "triangle")

# (foreground colour, shape, background colour) triples that never appear in
# training. Every word and every pair of words in them does appear, so sampling
# these prompts tests whether the model composes words it learned separately.
HELD_OUT_COMBOS: tuple[tuple[str, str, str], ...] = (
    ("red", "circle", "blue"),
    ("green", "square", "yellow"),
    ("blue", "triangle", "white"),
    ("yellow", "circle", "black"),
    ("white", "square", "red"),
    ("black", "triangle", "green"),
    ("red", "square", "white"),
    ("blue", "circle", "black"),
)

# Side of the shape's bounding box in pixels, and the minimum gap between the
# shape and the image edge, so the border pixels always show the background.
# Sizes start at 24 pixels (6 latent pixels) because a smaller square and
# circle differ in only a few pixels.
MIN_SHAPE_SIZE = 24
MAX_SHAPE_SIZE = 44
EDGE_MARGIN = 3

# Probabilities of the caption variants. Partial captions teach the model what
# each word means on its own, which negative prompts such as "red" rely on.
EMPTY_CAPTION_PROBABILITY = 0.10
PARTIAL_CAPTION_PROBABILITY = 0.20


@dataclass(frozen=True)
class Scene:
    """Content of one synthetic image."""

    color: str
    shape: str
    background: str
    size: int
    left: int
    top: int


def format_caption(color: str, shape: str, background: str) -> str:
    """Return the full training caption for one scene."""
    return f"a {color} {shape} on a {background} background"


def caption_words() -> list[str]:
    """Return every word that a training caption can contain."""
    words = ["a", "on", "background", "shape"]
    return words + list(COLORS) + list(SHAPES)


def training_combos() -> list[tuple[str, str, str]]:
    """Return the (color, shape, background) triples used in training."""
    held_out = set(HELD_OUT_COMBOS)
    combos = []
    for color in COLORS:
        for shape in SHAPES:
            for background in COLORS:
                combo = (color, shape, background)
                if color != background and combo not in held_out:
                    combos.append(combo)
    return combos


def sample_scene(rng: random.Random, combos: list[tuple[str, str, str]]) -> Scene:
    """Draw a random combination, size and position."""
    color, shape, background = rng.choice(combos)
    size = rng.randint(MIN_SHAPE_SIZE, MAX_SHAPE_SIZE)
    max_offset = IMAGE_SIZE - EDGE_MARGIN - size
    left = rng.randint(EDGE_MARGIN, max_offset)
    top = rng.randint(EDGE_MARGIN, max_offset)
    return Scene(color, shape, background, size, left, top)


def draw_scene(scene: Scene) -> Image.Image:
    """Render a scene as a 64x64 RGB image."""
    image = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), COLORS[scene.background])
    draw = ImageDraw.Draw(image)
    fill = COLORS[scene.color]
    # Pillow boxes include both end pixels, so the box spans `size` pixels.
    right = scene.left + scene.size - 1
    bottom = scene.top + scene.size - 1
    if scene.shape == "circle":
        draw.ellipse((scene.left, scene.top, right, bottom), fill=fill)
    elif scene.shape == "square":
        draw.rectangle((scene.left, scene.top, right, bottom), fill=fill)
    elif scene.shape == "triangle":
        apex = ((scene.left + right) / 2, scene.top)
        draw.polygon([apex, (right, bottom), (scene.left, bottom)], fill=fill)
    else:
        raise ValueError(f"unknown shape {scene.shape!r}; expected one of {SHAPES}")
    return image


def sample_caption(rng: random.Random, scene: Scene) -> str:
    """Return the caption for a scene: usually full, sometimes partial or empty."""
    draw = rng.random()
    if draw < EMPTY_CAPTION_PROBABILITY:
        return ""
    if draw >= EMPTY_CAPTION_PROBABILITY + PARTIAL_CAPTION_PROBABILITY:
        return format_caption(scene.color, scene.shape, scene.background)

    variant = rng.randrange(4)
    if variant == 0:
        return f"a {scene.shape} on a {scene.background} background"
    if variant == 1:
        return f"a {scene.color} shape on a {scene.background} background"
    if variant == 2:
        return f"a {scene.color} {scene.shape}"
    return scene.color


def sample_batch(
    rng: random.Random, batch_size: int, combos: list[tuple[str, str, str]]
) -> tuple[np.ndarray, list[str]]:
    """Draw a batch of images and captions.

    Returns a float32 array of shape (batch, 3, 64, 64) scaled to [-1, 1] and the
    list of captions.
    """
    images = []
    captions = []
    for _ in range(batch_size):
        scene = sample_scene(rng, combos)
        images.append(np.asarray(draw_scene(scene), dtype=np.float32))
        captions.append(sample_caption(rng, scene))
    pixels = np.stack(images).transpose(0, 3, 1, 2) / 127.5 - 1.0
    return pixels.astype(np.float32), captions
