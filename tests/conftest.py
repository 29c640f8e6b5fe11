"""Shared fixtures: isolated user folders, no network, a tiny pipeline and job queues."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Set before huggingface_hub, diffusers or Qt are imported anywhere in the test run.
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="pixova-hf-")
atexit.register(shutil.rmtree, os.environ["HF_HOME"], ignore_errors=True)
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
# The test pipelines are tiny: one thread each runs them faster than a contended pool, and a
# second core stays free for the GUI thread and subprocesses.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402

from pixova_desktop.core.settings import Settings  # noqa: E402
from pixova_desktop.jobs.queue import JobQueue  # noqa: E402
from pixova_desktop.jobs.store import JobStore  # noqa: E402
from tests.support.fake_engine import FakeEngine  # noqa: E402

HUB_CACHE = Path(os.environ["HF_HOME"]) / "hub"
_LOOPBACK_PREFIXES = ("127.", "::1", "localhost")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that leaves the machine, so an accidental hub call shows up."""
    original_connect = socket.socket.connect

    def guarded_connect(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and not str(host).startswith(
            _LOOPBACK_PREFIXES
        ):
            raise OSError(f"network access blocked in tests: {address}")
        return original_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture(autouse=True)
def user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME and the XDG folders at a temporary home, so tests never touch the real one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name, sub in (
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ):
        (home / sub).mkdir(parents=True)
        monkeypatch.setenv(name, str(home / sub))
    monkeypatch.delenv("XDG_PICTURES_DIR", raising=False)
    return home


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight Stable Diffusion pipeline folder (64x64, about 1 MB)."""
    from tests.support.ldm_checkpoint import build_tiny_pipeline

    return build_tiny_pipeline(tmp_path_factory.mktemp("models") / "tiny-sd")


@pytest.fixture(scope="session")
def tiny_checkpoint(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny pipeline as one original-layout `.safetensors` file.

    diffusers' single-file loader reads component configs from the hub repo of the detected
    base model, so that repo is pre-filled in the test hub cache with the tiny configs.
    """
    from tests.support.hub_cache import prefill_hub_cache
    from tests.support.ldm_checkpoint import export_ldm_checkpoint

    prefill_hub_cache(HUB_CACHE, "stable-diffusion-v1-5/stable-diffusion-v1-5", tiny_model_dir)
    out = tmp_path_factory.mktemp("checkpoints") / "tiny-sd.safetensors"
    return export_ldm_checkpoint(tiny_model_dir, out)


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    return tmp_path / "out"


@pytest.fixture
def job_store(tmp_path: Path) -> Iterator[JobStore]:
    store = JobStore(tmp_path / "jobs.sqlite3")
    yield store
    store.close()


@pytest.fixture
def fake_engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def fake_queue(
    qapp: object, job_store: JobStore, fake_engine: FakeEngine, output_dir: Path
) -> Iterator[JobQueue]:
    """A real JobQueue and store that run the scriptable fake engine."""
    queue = JobQueue(job_store, Settings(output_dir=output_dir), engine_factory=lambda: fake_engine)
    yield queue
    if fake_engine.gate is not None:
        fake_engine.gate.set()
    assert queue.shutdown(10_000), "the job queue's thread pool did not finish"


@pytest.fixture(scope="session")
def diffusers_engine_factory() -> object:
    """One diffusers engine shared by the tests that run real pipelines."""
    from pixova_desktop.engine.runner import DiffusersEngine

    engine = DiffusersEngine()
    return lambda: engine
