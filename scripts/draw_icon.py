"""Draw the application icon and write it as PNG (256 px), ICO (Windows) and ICNS (macOS).

Run from the repository root: `python scripts/draw_icon.py`. It overwrites resources/icons/.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PIL import Image, ImageDraw

logger = logging.getLogger(__name__)

ICON_DIR = Path(__file__).resolve().parents[1] / "resources" / "icons"
ICON_NAME = "pixova-desktop"
# The icon is drawn at 1024 px and downscaled, which smooths the edges.
CANVAS = 1024
TOP_COLOUR = (92, 60, 200)
BOTTOM_COLOUR = (230, 90, 150)
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]


def draw_icon(size: int = CANVAS) -> Image.Image:
    """Return the icon: a picture frame with a sun over two hills on a violet-to-pink tile."""
    gradient = Image.new("RGBA", (size, size))
    pixels = gradient.load()
    for y in range(size):
        t = y / (size - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(TOP_COLOUR, BOTTOM_COLOUR))
        for x in range(size):
            pixels[x, y] = (*colour, 255)

    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=255)
    icon = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    icon.paste(gradient, (0, 0), mask)

    draw = ImageDraw.Draw(icon)
    margin = size // 6
    frame = (margin, margin, size - margin, size - margin)
    draw.rounded_rectangle(frame, radius=size // 16, outline=(255, 255, 255, 255), width=size // 28)
    sun = size * 0.62, size * 0.36, size * 0.085
    draw.ellipse((sun[0] - sun[2], sun[1] - sun[2], sun[0] + sun[2], sun[1] + sun[2]),
                 fill=(255, 222, 120, 255))
    inner = margin + size // 28
    bottom = size - inner
    draw.polygon([(inner, bottom), (size * 0.38, size * 0.45), (size * 0.60, bottom)],
                 fill=(255, 255, 255, 235))
    draw.polygon([(size * 0.42, bottom), (size * 0.64, size * 0.56), (size - inner, bottom)],
                 fill=(255, 255, 255, 190))
    return icon


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ICON_DIR.mkdir(parents=True, exist_ok=True)
    large = draw_icon()
    png = large.resize((256, 256), Image.LANCZOS)
    png.save(ICON_DIR / f"{ICON_NAME}.png", optimize=True)
    png.save(ICON_DIR / f"{ICON_NAME}.ico", sizes=ICO_SIZES)
    large.resize((512, 512), Image.LANCZOS).save(ICON_DIR / f"{ICON_NAME}.icns")
    for path in sorted(ICON_DIR.glob(f"{ICON_NAME}.*")):
        logger.info("wrote %s (%d bytes)", path, path.stat().st_size)


if __name__ == "__main__":
    main()
