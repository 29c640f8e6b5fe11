"""Small widget builders shared by the prompt form and the settings dialog."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QSpinBox, QWidget


def spin_box(low: int, high: int, step: int, value: int | None = None, tooltip: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSingleStep(step)
    if value is not None:
        spin.setValue(value)
    if tooltip:
        spin.setToolTip(tooltip)
    return spin


def row(*widgets: QWidget) -> QWidget:
    """Return a margin-free container that lays `widgets` out left to right."""
    container = QWidget()
    layout = QHBoxLayout(container)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return container
