import sys

from callcenter.tools.bench.cli import main

sys.exit(main())
