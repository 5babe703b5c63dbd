"""`python -m entra_crosstenant`: the same as the `entra-crosstenant` command."""

from entra_crosstenant.cli import main

raise SystemExit(main())
