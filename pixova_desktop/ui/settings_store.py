"""Load and save `Settings` with `QSettings`, the platform's usual place for app settings."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

from pixova_desktop.core.paths import APP_AUTHOR, APP_NAME
from pixova_desktop.core.request import GenerationRequest
from pixova_desktop.core.settings import EngineOptions, Settings

logger = logging.getLogger(__name__)

SETTINGS_GROUP = "settings"
ENGINE_GROUP = "engine"
LAST_REQUEST_KEY = "window/last_request"
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"


def open_qsettings() -> QSettings:
    return QSettings(APP_AUTHOR, APP_NAME)


def load_settings(store: QSettings) -> Settings:
    """Read settings; a missing value takes its default and an invalid set is logged and reset."""
    defaults = Settings()
    values = _read_group(store, SETTINGS_GROUP, defaults, exclude=frozenset({"engine"}))
    engine = _read_group(store, ENGINE_GROUP, defaults.engine)
    try:
        return Settings(**values, engine=EngineOptions(**engine))
    except (TypeError, ValueError) as error:
        logger.warning("Ignoring invalid stored settings: %s", error)
        return defaults


def save_settings(store: QSettings, settings: Settings) -> None:
    _write_group(store, SETTINGS_GROUP, settings, exclude=frozenset({"engine"}))
    _write_group(store, ENGINE_GROUP, settings.engine)
    store.sync()


def load_last_request(store: QSettings) -> GenerationRequest | None:
    text = store.value(LAST_REQUEST_KEY, "", type=str)
    if not text:
        return None
    try:
        return GenerationRequest.from_dict(json.loads(text))
    except (ValueError, TypeError) as error:
        logger.warning("Ignoring the stored last parameters: %s", error)
        return None


def save_last_request(store: QSettings, request: GenerationRequest) -> None:
    store.setValue(LAST_REQUEST_KEY, json.dumps(request.to_dict(), ensure_ascii=False))


def _read_group(store: QSettings, group: str, defaults: Any, exclude: frozenset[str] = frozenset()) -> dict:
    values: dict[str, Any] = {}
    store.beginGroup(group)
    for field in dataclasses.fields(defaults):
        if field.name in exclude or not store.contains(field.name):
            continue
        default = getattr(defaults, field.name)
        kind = str if isinstance(default, Path) else type(default)
        value = store.value(field.name, str(default) if kind is str else default, type=kind)
        values[field.name] = Path(value) if isinstance(default, Path) else value
    store.endGroup()
    return values


def _write_group(store: QSettings, group: str, values: Any, exclude: frozenset[str] = frozenset()) -> None:
    store.beginGroup(group)
    for field in dataclasses.fields(values):
        if field.name in exclude:
            continue
        value = getattr(values, field.name)
        store.setValue(field.name, str(value) if isinstance(value, Path) else value)
    store.endGroup()
