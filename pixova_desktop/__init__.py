"""Pixova Desktop: a local text-to-image studio built on diffusers and Qt."""

__version__ = "0.1.0"
