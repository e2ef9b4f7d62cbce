"""``python -m orchestration.bench``: the benchmark child processes' entry point (and ``cxcs bench``)."""

import sys

from orchestration.bench.run import main

sys.exit(main())
