"""Guardrails for Microsoft Entra cross-tenant synchronization: a Pulumi CrossGuard policy pack.

`rules` holds the rules, `resources` what pulumi-entra-crosstenant's resources look like to a
policy; `__main__.py` beside this package serves them to the engine.
"""

from crosstenant_guardrails.rules import POLICIES

PACK_NAME = "entra-crosstenant-guardrails"

__all__ = ["PACK_NAME", "POLICIES"]
