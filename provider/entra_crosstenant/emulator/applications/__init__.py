"""The applications area: app registrations with their credentials (secrets, certificates,
federated credentials) and managed identities, per tenant (`model`). Sign-in (the identity
platform) reads them."""
