"""The applications area: app registrations with their credentials (secrets, certificates,
federated credentials) and managed identities, per tenant (`model`), which sign-in reads; Graph's
application and servicePrincipal objects instantiated from the gallery, their owners and app role
assignments (`objects`), their Graph routes (`routes`) and who may call them (`access`); and the
control API (`control`)."""
