"""Route diffusers' and transformers' messages into our log and turn their progress bars off.

Imported before any diffusers pipeline module, because transformers logs some warnings while
those modules import.
"""

from diffusers.utils import logging as diffusers_logging
from transformers.utils import logging as transformers_logging


def route_library_output() -> None:
    for library in (diffusers_logging, transformers_logging):
        library.disable_progress_bar()
        library.disable_default_handler()
        library.enable_propagation()


route_library_output()
