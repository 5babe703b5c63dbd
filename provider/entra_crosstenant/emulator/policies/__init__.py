"""The crossTenantAccessPolicy area: partner configurations, their identitySynchronization
policies and the beta deleted items (`model`), and Graph's routes for them (`routes`)."""
