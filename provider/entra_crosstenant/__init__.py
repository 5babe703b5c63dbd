"""Pulumi resources for Microsoft Entra cross-tenant synchronization."""

from entra_crosstenant._version import __version__

__all__ = ["__version__"]
