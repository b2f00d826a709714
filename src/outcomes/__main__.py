"""``python -m outcomes``: the command line."""

import sys

from outcomes.cli import main

sys.exit(main())
