"""The users-and-groups area (Graph's directory objects): users, security groups and group
membership per tenant (`model`), their read routes (`routes`) and the control API that seeds
and changes them (`control`). Cross-tenant synchronization reads the source tenant's users and
writes external members into the target tenant's."""
