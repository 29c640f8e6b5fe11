"""Engine options on the tiny pipeline: samplers, precision, memory savers, out of memory, safety."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from diffusers import UNet2DConditionModel

from pixova_desktop.core.job import JobState
from pixova_desktop.core.metadata import format_parameters, read_parameters
from pixova_desktop.core.request import SAMPLER_NAMES, GenerationRequest
from pixova_desktop.core.settings import EngineOptions, Settings, low_vram_options
from pixova_desktop.engine.device import choose_dtype
from pixova_desktop.engine.errors import EngineOptionsError, ImageFlaggedError
from pixova_desktop.engine.pipeline_cache import PipelineCache
from pixova_desktop.engine.runner import DiffusersEngine
from pixova_desktop.engine.safety import SafetyChecker
from pixova_desktop.jobs.queue import JobQueue
from pixova_desktop.jobs.store import JobStore


def _request(model: str, **changes: object) -> GenerationRequest:
    fields = {"steps": 2, "width": 64, "height": 64, "seed": 7, "cfg_scale": 5.0} | changes
    return GenerationRequest("a red circle", model=model, **fields).validated()


def _run(engine: DiffusersEngine, request: GenerationRequest) -> list[Any]:
    return list(engine.generate(request, lambda *args: None, lambda: False))


@pytest.fixture(scope="module")
def tiny_engine(tiny_model_dir: Path) -> DiffusersEngine:
    return DiffusersEngine(PipelineCache())


@pytest.mark.parametrize("sampler", SAMPLER_NAMES)
def test_sampler_runs_and_is_recorded(
    tiny_engine: DiffusersEngine, tiny_model_dir: Path, sampler: str
) -> None:
    images = _run(tiny_engine, _request(str(tiny_model_dir), scheduler=sampler, steps=3))
    assert len(images) == 1
    pixels = np.asarray(images[0].image)
    assert pixels.shape == (64, 64, 3)
    assert images[0].params.sampler == sampler
    assert f"Sampler: {sampler}," in format_parameters(images[0].params)


def test_sampler_lands_in_saved_png(
    qtbot: object, tiny_engine: DiffusersEngine, tiny_model_dir: Path, tmp_path: Path
) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = JobQueue(store, Settings(output_dir=tmp_path / "out"), lambda: tiny_engine)
    job_id = queue.submit(_request(str(tiny_model_dir), scheduler="DPM++ SDE Karras"))
    qtbot.waitUntil(lambda: queue.status(job_id).state.is_final, timeout=60_000)
    snapshot = queue.status(job_id)
    assert snapshot.state is JobState.COMPLETED, snapshot.error
    assert read_parameters(snapshot.result_paths[0]).sampler == "DPM++ SDE Karras"
    assert queue.shutdown(10_000)
    store.close()


def test_float16_on_cpu_is_rejected() -> None:
    with pytest.raises(EngineOptionsError, match="float16 precision does not work on the CPU"):
        choose_dtype(torch.device("cpu"), "float16")
    with pytest.raises(EngineOptionsError, match="Precision 'half' is unknown"):
        choose_dtype(torch.device("cpu"), "half")


def test_float16_job_fails_with_message(tiny_model_dir: Path) -> None:
    engine = DiffusersEngine(options=EngineOptions(device="cpu", dtype="float16"))
    with pytest.raises(EngineOptionsError, match="Choose float32, bfloat16 or auto"):
        _run(engine, _request(str(tiny_model_dir)))


def test_unavailable_device_fails_with_message(tiny_model_dir: Path) -> None:
    engine = DiffusersEngine(options=EngineOptions(device="cuda:3"))
    with pytest.raises(EngineOptionsError, match="cuda:3 is not available"):
        _run(engine, _request(str(tiny_model_dir)))


def test_bfloat16_on_cpu_is_recorded(tiny_model_dir: Path) -> None:
    engine = DiffusersEngine(options=EngineOptions(device="cpu", dtype="bfloat16"))
    images = _run(engine, _request(str(tiny_model_dir)))
    assert images[0].params.extra == {"device": "cpu", "dtype": "bfloat16"}


def test_low_vram_preset_runs_on_cpu(
    tiny_model_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    options = low_vram_options(EngineOptions(device="cpu"))
    assert (options.attention_slicing, options.vae_slicing, options.vae_tiling) == (True,) * 3
    assert options.cpu_offload == "model"
    engine = DiffusersEngine(options=options)
    images = _run(engine, _request(str(tiny_model_dir)))
    assert len(images) == 1
    assert "CPU offload (model) needs a GPU device" in caplog.text
    assert "attention slicing True, VAE slicing True, VAE tiling True" in caplog.text


def test_changed_options_reload_pipeline(tiny_model_dir: Path) -> None:
    cache = PipelineCache(EngineOptions(device="cpu"))
    engine = DiffusersEngine(cache)
    _run(engine, _request(str(tiny_model_dir)))
    cache.options = EngineOptions(device="cpu", models_dir=Path("/elsewhere"))
    _run(engine, _request(str(tiny_model_dir)))
    assert cache.loads == 1
    cache.options = EngineOptions(device="cpu", attention_slicing=True)
    _run(engine, _request(str(tiny_model_dir)))
    assert cache.loads == 2


def test_load_logs_device_dtype_and_time(
    tiny_model_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    _run(DiffusersEngine(PipelineCache()), _request(str(tiny_model_dir)))
    assert "on cpu in float32, ready after" in caplog.text
    assert "as float32 in" in caplog.text


def test_out_of_memory_fails_job_then_next_runs(
    qtbot: object,
    tiny_engine: DiffusersEngine,
    tiny_model_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An out-of-memory error fails that job with advice; the next job completes normally."""
    original_forward = UNet2DConditionModel.forward
    calls = {"count": 0}

    def forward_that_runs_out(self: UNet2DConditionModel, *args: Any, **kwargs: Any) -> Any:
        calls["count"] += 1
        if calls["count"] == 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return original_forward(self, *args, **kwargs)

    monkeypatch.setattr(UNet2DConditionModel, "forward", forward_that_runs_out)
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = JobQueue(store, Settings(output_dir=tmp_path / "out"), lambda: tiny_engine)
    first = queue.submit(_request(str(tiny_model_dir)))
    second = queue.submit(_request(str(tiny_model_dir), seed=8))
    qtbot.waitUntil(lambda: queue.status(second).state.is_final, timeout=60_000)

    failed = queue.status(first)
    assert failed.state is JobState.FAILED
    assert "ran out of memory while generating 64x64 images" in failed.error
    assert "smaller image size or fewer images" in failed.error
    assert "low VRAM preset" in failed.error
    assert failed.result_paths == ()
    completed = queue.status(second)
    assert completed.state is JobState.COMPLETED, completed.error
    assert len(completed.result_paths) == 1
    assert queue.shutdown(10_000)
    store.close()


class _FlaggingChecker:
    """Flags the images at the given batch positions, counting calls across the batch."""

    def __init__(self, flagged_positions: set[int]) -> None:
        self._flagged = flagged_positions
        self._seen = 0

    def flags(self, images: list[Any]) -> list[bool]:
        result = [self._seen + offset in self._flagged for offset in range(len(images))]
        self._seen += len(images)
        return result


def test_safety_checker_off_by_default(tiny_model_dir: Path) -> None:
    cache = PipelineCache()
    _run(DiffusersEngine(cache), _request(str(tiny_model_dir)))
    assert EngineOptions().safety_checker is False
    assert cache.get(str(tiny_model_dir)).safety_checker is None


def test_flagged_image_fails_job_keeps_others(
    qtbot: object, tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flagged image is not saved; the job ends failed with a notice naming it.

    The other images of the batch are still generated and saved.
    """
    checker = _FlaggingChecker({1})
    monkeypatch.setattr(SafetyChecker, "load", classmethod(lambda cls, device, dtype: checker))
    engine = DiffusersEngine(options=EngineOptions(safety_checker=True))
    store = JobStore(tmp_path / "jobs.sqlite3")
    queue = JobQueue(store, Settings(output_dir=tmp_path / "out"), lambda: engine)
    job_id = queue.submit(_request(str(tiny_model_dir), seed=30, batch_count=3))
    qtbot.waitUntil(lambda: queue.status(job_id).state.is_final, timeout=60_000)

    snapshot = queue.status(job_id)
    assert snapshot.state is JobState.FAILED
    assert "The safety checker flagged image 2 (seed 31)" in snapshot.error
    assert "The other 2 image(s) of the job were saved" in snapshot.error
    saved_seeds = [read_parameters(path).request.seed for path in snapshot.result_paths]
    assert saved_seeds == [30, 32]
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted(
        Path(path).name for path in snapshot.result_paths
    )
    assert queue.shutdown(10_000)
    store.close()


def test_all_flagged_saves_nothing(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checker = _FlaggingChecker({0})
    monkeypatch.setattr(SafetyChecker, "load", classmethod(lambda cls, device, dtype: checker))
    engine = DiffusersEngine(options=EngineOptions(safety_checker=True))
    with pytest.raises(ImageFlaggedError, match="nothing was saved") as caught:
        _run(engine, _request(str(tiny_model_dir)))
    assert caught.value.indices == [0]


def test_safety_checker_not_cached_message(tiny_model_dir: Path) -> None:
    engine = DiffusersEngine(options=EngineOptions(safety_checker=True))
    with pytest.raises(Exception, match="has not been downloaded yet") as caught:
        _run(engine, _request(str(tiny_model_dir)))
    assert "CompVis/stable-diffusion-safety-checker" in str(caught.value)
    assert "turn the safety checker off" in str(caught.value)
