"""Pre-fill a Hugging Face hub cache folder, as a finished download would leave it."""

from __future__ import annotations

import shutil
from pathlib import Path

FAKE_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def prefill_hub_cache(hub_cache: Path, repo_id: str, source: Path) -> Path:
    """Copy the folder `source` into `hub_cache` as the `main` revision of model `repo_id`.

    Returns the snapshot folder. The layout is huggingface_hub's cache layout:
    models--owner--name/refs/main contains the commit and snapshots/<commit>/ the files.
    """
    repo_folder = hub_cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo_folder / "snapshots" / FAKE_COMMIT
    shutil.copytree(source, snapshot, dirs_exist_ok=True)
    (repo_folder / "refs").mkdir(parents=True, exist_ok=True)
    (repo_folder / "refs" / "main").write_text(FAKE_COMMIT)
    return snapshot
