import sys

from nanoae.cli import main

sys.exit(main())
