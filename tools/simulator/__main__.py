import sys

from callcenter.tools.simulator.cli import main

sys.exit(main())
