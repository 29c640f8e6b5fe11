"""Output files: names capped by bytes, atomic writes, never an overwrite."""

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from PIL import Image

from pixova_desktop.core import output
from pixova_desktop.core.metadata import ImageParameters
from pixova_desktop.core.output import MAX_SLUG_BYTES, image_file_stem, prompt_slug, save_png
from pixova_desktop.core.request import GenerationRequest

PARAMS = ImageParameters(GenerationRequest("p", seed=1))


def test_slug_of_plain_prompt() -> None:
    assert prompt_slug("A red Circle, on white!") == "a-red-circle-on-white"


def test_slug_caps_long_prompt_by_bytes() -> None:
    slug = prompt_slug("word " * 60)
    assert len(slug.encode("utf-8")) <= MAX_SLUG_BYTES
    assert slug.startswith("word-word")


def test_slug_keeps_cjk_whole_characters() -> None:
    slug = prompt_slug("夕焼けの海辺を歩く猫" * 20)
    assert len(slug.encode("utf-8")) <= MAX_SLUG_BYTES
    assert slug.startswith("夕焼けの海辺")
    slug.encode("utf-8").decode("utf-8")


def test_slug_of_symbols_only() -> None:
    assert prompt_slug("!!! ???") == "image"


def test_stem_has_stamp_seed_and_slug() -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5)
    assert image_file_stem("a cat", 77, when) == "20260102-030405-77-a-cat"


@pytest.mark.parametrize("prompt", ["x" * 300, "夕焼けの海辺を歩く猫" * 30])
def test_long_prompt_saves(tmp_path: Path, prompt: str) -> None:
    path = save_png(Image.new("RGB", (8, 8)), tmp_path, image_file_stem(prompt, 1), PARAMS)
    assert path.is_file()
    assert len(path.name.encode("utf-8")) < 255


def test_existing_file_never_overwritten(tmp_path: Path) -> None:
    existing = tmp_path / "same.png"
    existing.write_bytes(b"precious")
    first = save_png(Image.new("RGB", (8, 8)), tmp_path, "same", PARAMS)
    second = save_png(Image.new("RGB", (8, 8)), tmp_path, "same", PARAMS)
    assert existing.read_bytes() == b"precious"
    assert first.name == "same-2.png"
    assert second.name == "same-3.png"


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_saved_png_mode_follows_umask(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    os.umask(mask)
    path = save_png(Image.new("RGB", (8, 8)), tmp_path, "mode", PARAMS)

    assert output._UMASK == mask
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_no_temporary_file_left(tmp_path: Path) -> None:
    save_png(Image.new("RGB", (8, 8)), tmp_path, "one", PARAMS)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["one.png"]


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = Image.new("RGB", (8, 8))

    def broken_save(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(image, "save", broken_save)
    with pytest.raises(OSError):
        save_png(image, tmp_path, "full", PARAMS)
    assert list(tmp_path.iterdir()) == []
