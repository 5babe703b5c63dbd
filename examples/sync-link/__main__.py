"""Entry point for `pulumi up` in this folder (needs the Python language host; see README)."""

import sync_link

sync_link.main()
