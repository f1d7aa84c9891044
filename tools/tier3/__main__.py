"""``python -m tier3`` is the ``tier3`` command."""

import sys

from tier3.cli import main

sys.exit(main())
