"""Output file names and atomic, never-overwriting PNG saving."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import os
import string
import tempfile
import unicodedata
from pathlib import Path

from PIL import Image

from pixova_desktop.core.metadata import ImageParameters, build_pnginfo

logger = logging.getLogger(__name__)

# Most file systems limit one name to 255 bytes. The slug stays well under that, so the
# stamp, seed, a collision counter and ".png" always fit.
MAX_SLUG_BYTES = 80
MAX_NAME_ATTEMPTS = 10_000
DEFAULT_FILE_NAME_PATTERN = "{date}-{time}-{seed}-{prompt}"
FILE_NAME_FIELDS = ("date", "time", "seed", "prompt", "model")


def prompt_slug(prompt: str, max_bytes: int = MAX_SLUG_BYTES) -> str:
    """Return a file-name-safe slug of `prompt`, at most `max_bytes` bytes in UTF-8.

    Letters and digits of any script are kept (lower-cased), every other run of characters
    becomes one hyphen, and the cut never splits a character.
    """
    normalized = unicodedata.normalize("NFC", prompt).lower()
    pieces: list[str] = []
    used = 0
    pending_hyphen = False
    for char in normalized:
        if not char.isalnum():
            pending_hyphen = bool(pieces)
            continue
        addition = ("-" if pending_hyphen else "") + char
        size = len(addition.encode("utf-8"))
        if used + size > max_bytes:
            break
        pieces.append(addition)
        used += size
        pending_hyphen = False
    return "".join(pieces) or "image"


def image_file_stem(prompt: str, seed: int, when: dt.datetime | None = None) -> str:
    """Return the file name without extension: date-time stamp, seed and prompt slug."""
    return format_file_stem(DEFAULT_FILE_NAME_PATTERN, prompt, seed, "", when)


def check_file_name_pattern(pattern: str) -> None:
    """Raise ValueError when `pattern` is malformed, uses an unknown field or names a folder."""
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError as error:
        raise ValueError(f"File name pattern {pattern!r} is malformed: {error}.") from error
    unknown = fields - set(FILE_NAME_FIELDS)
    if unknown:
        raise ValueError(
            f"File name pattern {pattern!r} uses unknown field {{{sorted(unknown)[0]}}}; "
            f"use {', '.join('{' + name + '}' for name in FILE_NAME_FIELDS)}."
        )
    if any(separator in pattern for separator in ("/", "\\")):
        raise ValueError(f"File name pattern {pattern!r} must not contain / or \\.")


def format_file_stem(
    pattern: str, prompt: str, seed: int, model: str, when: dt.datetime | None = None
) -> str:
    """Fill a file name pattern such as "{date}-{time}-{seed}-{prompt}"."""
    moment = when or dt.datetime.now()
    return pattern.format(
        date=moment.strftime("%Y%m%d"),
        time=moment.strftime("%H%M%S"),
        seed=seed,
        prompt=prompt_slug(prompt),
        model=prompt_slug(model, max_bytes=40),
    )


def save_png(image: Image.Image, folder: Path, stem: str, params: ImageParameters) -> Path:
    """Save `image` as `folder/stem.png` with its parameters, and return the final path.

    The PNG is written to a temporary file in `folder`, flushed to disk, then linked into
    place under a name that does not exist yet (`stem-2.png`, `stem-3.png`, ... on a clash),
    so an existing file is never overwritten and no half-written PNG ever has a final name.
    """
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=folder, prefix=".pixova-", suffix=".png.part")
    temp_path = Path(temp_name)
    try:
        # mkstemp creates the file readable by its owner only, so the image gets the
        # permissions of any other new file instead.
        os.chmod(temp_path, 0o666 & ~_UMASK)
        with os.fdopen(handle, "wb") as stream:
            image.save(stream, format="PNG", pnginfo=build_pnginfo(params))
            stream.flush()
            os.fsync(stream.fileno())
        final = _move_into_free_name(temp_path, folder, stem)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp_path.unlink()
    logger.info("Saved %s", final)
    return final


def _read_umask() -> int:
    # os.umask can only be read by setting it, so it is set back at once. This runs at
    # import, before the worker threads that save images start.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def _move_into_free_name(temp_path: Path, folder: Path, stem: str) -> Path:
    for attempt in range(1, MAX_NAME_ATTEMPTS + 1):
        candidate = folder / (f"{stem}.png" if attempt == 1 else f"{stem}-{attempt}.png")
        try:
            _link_without_overwrite(temp_path, candidate)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(
        f"Could not find a free file name for {stem}.png in {folder} after "
        f"{MAX_NAME_ATTEMPTS} attempts; clean up the output folder or choose another one."
    )


def _link_without_overwrite(source: Path, target: Path) -> None:
    """Give `source` the name `target`, raising FileExistsError if `target` exists."""
    try:
        os.link(source, target)
        return
    except FileExistsError:
        raise
    except OSError as error:
        # Some file systems (FAT, exFAT, some network shares) have no hard links.
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EACCES):
            raise
    # Fallback: claim the name with an exclusive create, then replace our own placeholder.
    placeholder = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    os.close(placeholder)
    os.replace(source, target)
