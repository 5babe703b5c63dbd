"""Model errors: a broken rule of the service, named by Graph's error code and text.

The Graph layer turns them into OData error bodies (404, 409, 400), the control API into its
plain `{"error", "code"}` replies. Models raise them and know nothing of HTTP.
"""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]


class ModelError(Exception):
    """A rule of the service was broken; `code` is Graph's error code, `message` its text."""

    def __init__(self, code: str, message: str, details: list[JSON] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or []


class NotFound(ModelError):
    """The object (or its parent) does not exist."""


class Conflict(ModelError):
    """An object with the same key already exists (live or soft-deleted)."""


class BadRequest(ModelError):
    """The request body or query breaks the object's schema or a service rule."""


def literal(value: Any) -> str:
    """A value quoted in an error message, cut short as Graph does."""
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def resource_not_found(key: str) -> NotFound:
    """Graph's 404 for an object that does not exist (GET, PATCH, DELETE by key)."""
    return NotFound(
        "Request_ResourceNotFound",
        f"Resource '{key}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )
