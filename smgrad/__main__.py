"""``python -m smgrad diagnose FILE:FUNC ...``: the console script ``smgrad``
(:mod:`smgrad.cli`), where it is not installed."""

import sys

if __name__ == "__main__":
    from smgrad.cli import main

    sys.exit(main())
