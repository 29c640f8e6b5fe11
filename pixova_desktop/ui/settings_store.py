"""Load and save `Settings` with `QSettings`, the platform's usual place for app settings."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSettings

from pixova_desktop.core.paths import APP_AUTHOR, APP_NAME
from pixova_desktop.core.settings import DEFAULT_POLL_INTERVAL_MS, Settings

logger = logging.getLogger(__name__)


def open_qsettings() -> QSettings:
    return QSettings(APP_AUTHOR, APP_NAME)


def load_settings(store: QSettings) -> Settings:
    """Read settings, falling back to defaults for missing or invalid values."""
    defaults = Settings()
    output_dir = store.value("output_dir", str(defaults.output_dir), type=str)
    poll_interval = store.value("poll_interval_ms", DEFAULT_POLL_INTERVAL_MS, type=int)
    default_model = store.value("default_model", "", type=str)
    try:
        return Settings(Path(output_dir), int(poll_interval), default_model)
    except ValueError as error:
        logger.warning("Ignoring invalid stored settings: %s", error)
        return defaults


def save_settings(store: QSettings, settings: Settings) -> None:
    store.setValue("output_dir", str(settings.output_dir))
    store.setValue("poll_interval_ms", settings.poll_interval_ms)
    store.setValue("default_model", settings.default_model)
    store.sync()
