"""Microsoft Graph over HTTPS: `GraphClient`, the shared `client_for`, and the error classes."""

from entra_crosstenant.graph.client import GraphClient, client_for
from entra_crosstenant.graph.errors import (
    BadRequest,
    Conflict,
    EndpointUnreachable,
    Forbidden,
    GraphConnectionError,
    GraphError,
    NotFound,
    ServiceUnavailable,
    Throttled,
    Unauthorized,
)

__all__ = [
    "BadRequest",
    "Conflict",
    "EndpointUnreachable",
    "Forbidden",
    "GraphClient",
    "GraphConnectionError",
    "GraphError",
    "NotFound",
    "ServiceUnavailable",
    "Throttled",
    "Unauthorized",
    "client_for",
]
