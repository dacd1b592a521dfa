import sys

from services.simulator.cli import main

sys.exit(main())
