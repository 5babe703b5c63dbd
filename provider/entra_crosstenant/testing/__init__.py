"""Helpers for testing Pulumi programs that use this provider, offline.

`PulumiEngine` runs the real `pulumi` CLI through the Automation API with an environment that
never reaches the internet; `Echo` is a dynamic resource with no network, for engine-level tests
and for measuring the engine's own cost. The Graph emulator's fixtures live in
`entra_crosstenant.emulator.pytest_plugin`.
"""

from entra_crosstenant.testing.echo import Echo
from entra_crosstenant.testing.engine import PulumiEngine, PulumiNotFoundError

__all__ = ["Echo", "PulumiEngine", "PulumiNotFoundError"]
