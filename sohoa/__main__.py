"""``python -m sohoa``: the same as the ``sohoa`` command."""

import sys

from sohoa.cli import main

sys.exit(main())
