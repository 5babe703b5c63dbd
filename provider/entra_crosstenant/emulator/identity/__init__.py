"""The Microsoft identity platform, as msal 1.39 sees it: token signing and verification
(`tokens`), the token endpoint and managed identity (`platform`), a GitHub-Actions-style OIDC
issuer for workload-identity tests (`github`), and their routes (`routes`). Not a Graph area: it
reads the applications area's apps and identities, and Graph's routes verify its tokens."""
