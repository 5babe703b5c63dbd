"""The Graph areas the emulator serves, and what each brings to the HTTP layer: its Graph routes
(it may have none yet). Each area's model is the attribute of `directory.Tenant` with the
area's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from entra_crosstenant.emulator.directory import Directory
from entra_crosstenant.emulator.graph import GraphArea
from entra_crosstenant.emulator.policies.routes import PolicyRoutes


@dataclass(frozen=True)
class Area:
    """One Graph area: its name (= its `Tenant` attribute and state key) and route factory."""

    name: str
    graph: Callable[[Directory], GraphArea] | None = None


AREAS = (
    Area("policies", graph=PolicyRoutes),
    # Sign-in's apps and managed identities; Graph's /applications and /servicePrincipals next.
    Area("applications"),
)


def graph_areas(directory: Directory) -> list[GraphArea]:
    return [area.graph(directory) for area in AREAS if area.graph is not None]
