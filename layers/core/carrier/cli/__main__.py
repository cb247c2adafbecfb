"""`python -m carrier.cli`."""

import sys

from carrier.cli import main

sys.exit(main())
