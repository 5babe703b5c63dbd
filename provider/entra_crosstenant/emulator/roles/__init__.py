"""Directory roles: which built-in Entra roles each user holds in a tenant (role assignments)."""
