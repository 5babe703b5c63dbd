"""The crossTenantAccessPolicy area: partner configurations, their identitySynchronization
policies and the beta deleted items (`model`), Graph's routes for them (`routes`) and the control
API's seeding, inspection and out-of-band changes (`control`)."""
