"""A fake Hugging Face hub for download tests: file listings and slow, cancellable downloads.

`FakeHub.hf_hub_download` writes a file into the hub cache in chunks, reporting each chunk to
the `tqdm_class` it is given, as huggingface_hub does. The cache layout is huggingface_hub's.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tests.support.hub_cache import FAKE_COMMIT

CHUNK_BYTES = 4096


class FakeHub:
    """Serves the files of `source` (a folder) plus `extra` names as repo `repo_id`.

    Attributes:
        requested: the file names hf_hub_download was called with, in order.
        gate: when set, the download waits on this Event once `pause_after` bytes are written.
        chunk_delay_s: seconds to wait between chunks, which makes the download slow.
    """

    def __init__(
        self, hub_cache: Path, repo_id: str, source: Path, extra: dict[str, bytes] | None = None
    ) -> None:
        self.hub_cache = hub_cache
        self.repo_id = repo_id
        self.files = {
            str(path.relative_to(source)).replace("\\", "/"): path.read_bytes()
            for path in sorted(source.rglob("*"))
            if path.is_file()
        }
        self.files.update(extra or {})
        self.requested: list[str] = []
        self.gate: threading.Event | None = None
        self.pause_after = 0
        self.chunk_delay_s = 0.0
        self._written = 0

    @property
    def repo_folder(self) -> Path:
        return self.hub_cache / ("models--" + self.repo_id.replace("/", "--"))

    def api(self) -> SimpleNamespace:
        """Return a replacement for `HfApi()` that lists this fake repo."""
        return SimpleNamespace(model_info=self.model_info)

    def model_info(self, repo_id: str, files_metadata: bool = False) -> SimpleNamespace:
        assert repo_id == self.repo_id
        assert files_metadata
        siblings = [SimpleNamespace(rfilename=name, size=len(data))
                    for name, data in self.files.items()]
        return SimpleNamespace(sha=FAKE_COMMIT, siblings=siblings)

    def hf_hub_download(
        self, repo_id: str, filename: str, *, revision: str, tqdm_class: Any
    ) -> str:
        self.requested.append(filename)
        data = self.files[filename]
        target = self.repo_folder / "snapshots" / FAKE_COMMIT / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        incomplete = target.with_name(target.name + ".incomplete")
        progress = tqdm_class(total=len(data), initial=0)
        with incomplete.open("wb") as stream:
            for start in range(0, len(data), CHUNK_BYTES):
                chunk = data[start:start + CHUNK_BYTES]
                stream.write(chunk)
                self._written += len(chunk)
                if self.gate is not None and self._written >= self.pause_after:
                    self.gate.wait(timeout=30)
                if self.chunk_delay_s:
                    threading.Event().wait(self.chunk_delay_s)
                progress.update(len(chunk))
        progress.close()
        incomplete.rename(target)
        if revision == "main":
            (self.repo_folder / "refs").mkdir(parents=True, exist_ok=True)
            (self.repo_folder / "refs" / "main").write_text(FAKE_COMMIT)
        return str(target)
