"""`python -m pixova_desktop`: the same as the `pixova-desktop` command."""

import sys

from pixova_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
