"""Entry point for `pulumi up` in this folder (needs the Python language host; see README)."""

import two_tenant_sync

two_tenant_sync.main()
