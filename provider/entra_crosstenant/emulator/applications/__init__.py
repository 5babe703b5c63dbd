"""The applications area: app registrations with their credentials (secrets, certificates,
federated credentials) and managed identities, per tenant (`model`), and the control API that
registers them (`control`). Sign-in (the identity platform) reads them. Graph's own routes for
applications and service principals belong here too when they come."""
