"""The policy pack: what `pulumi preview --policy-pack DIR` (or `entra-crosstenant run preview
--policy-pack DIR`) runs. Every rule is mandatory unless the pack's config says otherwise."""

from pulumi_policy import EnforcementLevel, PolicyPack

from crosstenant_guardrails import PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
