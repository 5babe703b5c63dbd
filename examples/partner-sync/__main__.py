"""Entry point for `pulumi up` in this folder (needs the Python language host; see README)."""

import partner_sync

partner_sync.main()
