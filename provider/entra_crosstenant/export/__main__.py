"""`python -m entra_crosstenant.export`: the `export` command on its own."""

import sys

from entra_crosstenant.export import main

sys.exit(main())
