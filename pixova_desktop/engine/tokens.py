"""Load a model's text tokenizer without its weights, to count prompt tokens."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from transformers import AutoTokenizer

from pixova_desktop.engine.sources import SourceKind, resolve_source

logger = logging.getLogger(__name__)

# The single-file loader takes its tokenizer from the base model's hub repo.
SINGLE_FILE_TOKENIZER_REPO = "stable-diffusion-v1-5/stable-diffusion-v1-5"


def load_tokenizer(model: str) -> Any:
    """Return the tokenizer of `model` from local files only; raises OSError when absent."""
    source = resolve_source(model)
    if source.kind is SourceKind.FOLDER:
        location = source.location
        if not (Path(location) / "tokenizer").is_dir():
            raise OSError(f"{location} has no tokenizer folder")
    elif source.kind is SourceKind.HUB:
        location = source.location
    else:
        location = SINGLE_FILE_TOKENIZER_REPO
    return AutoTokenizer.from_pretrained(location, subfolder="tokenizer", local_files_only=True)
