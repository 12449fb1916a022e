"""``python -m capacities`` = the `capacities` command."""

import sys

from capacities.cli import main

sys.exit(main())
