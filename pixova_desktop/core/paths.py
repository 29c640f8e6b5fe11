"""Folders of the app: user data, logs, output images and bundled resources."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Pixova Desktop"
APP_AUTHOR = "Pixova"
OUTPUT_SUBFOLDER = "Pixova"
RESOURCES_ENV = "PIXOVA_RESOURCES"


def user_data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, APP_AUTHOR)


def user_log_dir() -> Path:
    return platformdirs.user_log_path(APP_NAME, APP_AUTHOR)


def job_store_path() -> Path:
    return user_data_dir() / "jobs.sqlite3"


def default_output_dir() -> Path:
    """Return the user's Pictures folder / Pixova."""
    return platformdirs.user_pictures_path() / OUTPUT_SUBFOLDER


def resources_dir() -> Path:
    """Return the `resources` folder: from $PIXOVA_RESOURCES, a frozen bundle or the source tree."""
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    bundle_root = getattr(sys, "_MEIPASS", None)
    if bundle_root:
        return Path(bundle_root) / "resources"
    # NOTE: this finds resources/ only in a source checkout or an editable install; a plain
    # wheel install does not carry it.
    return Path(__file__).resolve().parents[2] / "resources"
