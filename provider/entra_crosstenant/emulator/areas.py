"""The Graph areas the emulator serves, and what each brings to the HTTP layer: its Graph routes
and its control routes (either may be absent). Each area's model is the attribute of
`directory.Tenant` with the area's name. How to add an area: docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from entra_crosstenant.emulator.applications.control import ApplicationControl
from entra_crosstenant.emulator.applications.routes import ApplicationRoutes
from entra_crosstenant.emulator.control import ControlArea, Services
from entra_crosstenant.emulator.directory import Directory
from entra_crosstenant.emulator.graph import GraphArea
from entra_crosstenant.emulator.policies.control import PolicyControl
from entra_crosstenant.emulator.policies.routes import PolicyRoutes
from entra_crosstenant.emulator.synchronization.control import SynchronizationControl
from entra_crosstenant.emulator.synchronization.routes import SynchronizationRoutes
from entra_crosstenant.emulator.users.control import UserControl
from entra_crosstenant.emulator.users.routes import UserRoutes


@dataclass(frozen=True)
class Area:
    """One Graph area: its name (= its `Tenant` attribute and state key) and route factories."""

    name: str
    graph: Callable[[Directory], GraphArea] | None = None
    control: Callable[[Services], ControlArea] | None = None


AREAS = (
    Area("policies", graph=PolicyRoutes, control=PolicyControl),
    Area("applications", graph=ApplicationRoutes, control=ApplicationControl),
    Area("users", graph=UserRoutes, control=UserControl),
    Area("synchronization", graph=SynchronizationRoutes, control=SynchronizationControl),
)


def graph_areas(directory: Directory) -> list[GraphArea]:
    return [area.graph(directory) for area in AREAS if area.graph is not None]


def control_areas(services: Services) -> list[ControlArea]:
    return [area.control(services) for area in AREAS if area.control is not None]
