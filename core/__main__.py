"""`python -m simulagent` runs the CLI."""

import sys

from simulagent.cli import main

sys.exit(main())
