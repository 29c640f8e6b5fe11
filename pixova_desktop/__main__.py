"""`python -m pixova_desktop`: the same as the `pixova-desktop` command."""

import sys

from pixova_desktop.frozen import ensure_std_streams

# Before the imports below, because a windowed bundle has no stdout or stderr.
ensure_std_streams()

from pixova_desktop.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
