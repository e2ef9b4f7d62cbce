"""``python -m orchestration.engines --target postgres|spark``: see ``orchestration.engines.run``."""

import sys

from orchestration.engines.run import main

sys.exit(main())
