"""The synchronization area: each service principal's synchronization jobs, their schema
(attribute mappings and scoping filters, checked as the service checks them), secrets, status
and quarantine (`model`, `types`, `template`, `mappings`); the policy checks cross-tenant
synchronization makes across both tenants (`policy`); their Graph routes and permissions
(`routes`); and the control API (`control`)."""
