"""`python -m connector` is the `ticketflow` command."""

import sys

from connector.cli import main

sys.exit(main())
