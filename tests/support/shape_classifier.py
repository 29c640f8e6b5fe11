"""Deterministic pixel classifier for images of the Pixova demo model.

The demo model draws one flat-coloured circle, square or triangle on a flat
background. This classifier reads back the background colour, the foreground
colour and the shape, so tests can score generated images against prompts.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from PIL import Image

# Copy of COLORS in tools/demo_data.py, the palette the model was trained on.
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 160, 50),
    "blue": (30, 60, 220),
    "yellow": (240, 220, 30),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
}

BORDER_WIDTH = 2
# A pixel belongs to the foreground when its RGB distance from the background
# colour exceeds this. The closest palette pair (green, black) is about 150
# apart, so half of that separates any two palette colours.
FOREGROUND_DISTANCE = 75.0
# Fill ratios of the shape's bounding box: a square fills 1.0, a circle
# pi / 4 = 0.785 and an upright triangle 0.5. The thresholds are the midpoints.
SQUARE_MIN_FILL = 0.89
CIRCLE_MIN_FILL = 0.64
# Fewer foreground pixels than this count as no shape at all.
MIN_FOREGROUND_PIXELS = 16


@dataclass(frozen=True)
class Classification:
    """Colours and shape read from one image; None where no shape was found."""

    background: str
    color: str | None
    shape: str | None
    fill_ratio: float | None


def nearest_color(rgb: np.ndarray) -> str:
    """Return the palette name closest to an RGB triple in Euclidean distance."""
    distances = {
        name: float(np.linalg.norm(rgb - np.asarray(value, dtype=np.float64)))
        for name, value in PALETTE.items()
    }
    return min(distances, key=distances.__getitem__)


def border_pixels(pixels: np.ndarray) -> np.ndarray:
    """Return the pixels within BORDER_WIDTH of the image edge, as an (N, 3) array."""
    mask = np.ones(pixels.shape[:2], dtype=bool)
    mask[BORDER_WIDTH:-BORDER_WIDTH, BORDER_WIDTH:-BORDER_WIDTH] = False
    return pixels[mask]


def largest_component(mask: np.ndarray) -> np.ndarray:
    """Return the largest 4-connected region of a boolean mask."""
    labels = np.zeros(mask.shape, dtype=np.int32)
    best_label, best_size, next_label = 0, 0, 1
    height, width = mask.shape
    for start in zip(*np.nonzero(mask)):
        if labels[start]:
            continue
        labels[start] = next_label
        queue, size = deque([start]), 0
        while queue:
            row, col = queue.popleft()
            size += 1
            for r, c in ((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1)):
                if 0 <= r < height and 0 <= c < width and mask[r, c] and not labels[r, c]:
                    labels[r, c] = next_label
                    queue.append((r, c))
        if size > best_size:
            best_label, best_size = next_label, size
        next_label += 1
    return labels == best_label


def shape_from_fill_ratio(fill_ratio: float) -> str:
    if fill_ratio >= SQUARE_MIN_FILL:
        return "square"
    if fill_ratio >= CIRCLE_MIN_FILL:
        return "circle"
    return "triangle"


def classify_image(image: Image.Image) -> Classification:
    """Classify the background colour, foreground colour and shape of an image.

    The background is the median colour of the border pixels. The foreground is
    the largest connected region of pixels far from that colour. Its colour is
    the region's median, and its shape follows from how much of its bounding
    box it fills.
    """
    pixels = np.asarray(image.convert("RGB"), dtype=np.float64)
    background_rgb = np.median(border_pixels(pixels), axis=0)
    background = nearest_color(background_rgb)

    distance = np.linalg.norm(pixels - background_rgb, axis=2)
    mask = distance > FOREGROUND_DISTANCE
    if mask.sum() < MIN_FOREGROUND_PIXELS:
        return Classification(background, None, None, None)
    region = largest_component(mask)

    color = nearest_color(np.median(pixels[region], axis=0))
    rows, cols = np.nonzero(region)
    box_area = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
    fill_ratio = float(region.sum() / box_area)
    return Classification(background, color, shape_from_fill_ratio(fill_ratio), fill_ratio)
