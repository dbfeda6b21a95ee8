import sys

from eai_recipes.cli import main

sys.exit(main())
