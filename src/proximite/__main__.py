import sys

from proximite.cli import main

sys.exit(main())
