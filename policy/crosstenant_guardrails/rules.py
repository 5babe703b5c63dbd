"""The rules: which tenants may sync users in, and under what settings.

Each rule is one Pulumi policy with its own config (a JSON file given with
`--policy-pack-config`), and each is mandatory unless that config says `"enforcementLevel":
"advisory"` (or `"disabled"`). Every message names the resource, the property and the fix.
Resource rules run on a resource's inputs before it is created or changed; the consent rule
needs the partner configuration next to the sync policy, so it is a stack rule, which `pulumi
preview` runs at its end (and `pulumi up` after its changes: preview first, as `pulumi up` and
`entra-crosstenant run up --policy-pack` do).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import (
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from crosstenant_guardrails.resources import (
    BETA_ONLY,
    GROUP_SYNC,
    ON_DELETE_DEFAULT,
    PARTNER,
    SECRET_KEYS,
    SYNC_LINK,
    SYNC_POLICY,
    connection_inputs,
    is_entra,
    kind,
    known,
    partner_tenant,
    tenant_of,
)

ALLOWED_TENANTS = "allowed-partner-tenants"
INBOUND_CONSENT = "inbound-consent-declared"
GROUP_SYNC_AND_BETA = "group-sync-and-beta"
PRODUCTION_ON_DELETE = "production-on-delete"
DISTINCT_TENANTS = "source-differs-from-target"
SECRETS_BY_REFERENCE = "connection-secrets-by-reference"

DEFAULT_PRODUCTION_TAGS: Mapping[str, Any] = {"environment": "production"}
_TENANT_LIST = {"type": "array", "items": {"type": "string"}}


def _subject(resource_type: str, name: str) -> str:
    return f"{kind(resource_type)} '{name}'"


def _tenants(config: Mapping[str, Any], key: str) -> frozenset[str]:
    """A config list of tenant ids, lowercased; "*" stands for every tenant."""
    return frozenset(str(value).strip().lower() for value in config.get(key) or ())


def _covers(tenants: frozenset[str], tenant: str) -> bool:
    return "*" in tenants or tenant in tenants


# -- allowed-partner-tenants ----------------------------------------------------------------
def _named_tenants(args: ResourceValidationArgs) -> list[tuple[str, str, str | None]]:
    """(property, tenant id, the display name the program gives it) that must be approved."""
    props = args.props
    if args.resource_type == SYNC_LINK:
        sides = ((side, tenant_of(props.get(side))) for side in ("source", "target"))
        return [(f"{side}.tenantId", tenant, None) for side, tenant in sides if tenant]
    if args.resource_type in (PARTNER, SYNC_POLICY):
        tenant = partner_tenant(props)
        display = props.get("display_name")
        return (
            [("partner_tenant_id", tenant, display if isinstance(display, str) else None)]
            if (tenant)
            else []
        )
    return []


def validate_allowed_tenants(args: ResourceValidationArgs, report: ReportViolation) -> None:
    approved = {
        str(tenant).strip().lower(): str(name)
        for tenant, name in (args.get_config().get("allowedTenants") or {}).items()
    }
    listed = ", ".join(
        f"{name} ({tenant})" for tenant, name in sorted(approved.items(), key=lambda i: i[1])
    )
    for prop, tenant, display in _named_tenants(args):
        if tenant in approved:
            continue
        shown = f"{tenant} ('{display}')" if display else tenant
        report(
            f"{_subject(args.resource_type, args.name)}: {prop} {shown} is not an approved "
            f"partner tenant (approved: {listed or 'none yet'}). Fix: sync only with an approved "
            f"tenant, or have your security team add {tenant} and its display name to "
            f"allowedTenants in the config of policy '{ALLOWED_TENANTS}'.",
            None,
        )


# -- inbound-consent-declared ---------------------------------------------------------------
def _home(resource: PolicyResource) -> str | None:
    """The tenant a resource lives in, where the stack shows it: its connection's tenant, or
    the tenant it recorded when created (`home_tenant_id`); None when it uses the default."""
    try:
        tenant = tenant_of(known(resource.props, "connection"))
    except UnknownValueError:
        tenant = None
    if tenant is not None:
        return tenant
    home = known(resource.props, "home_tenant_id")
    return home.lower() if isinstance(home, str) and home else None


def _inbound_consent(partner: PolicyResource) -> bool:
    consent = known(partner.props, "automatic_user_consent")
    return isinstance(consent, Mapping) and known(consent, "inboundAllowed") is True


def _partners_of(
    policy: PolicyResource, tenant: str, partners: Iterable[PolicyResource]
) -> list[PolicyResource]:
    """The partner configuration a sync policy belongs to: the one it names with `partner=`
    (its partner_tenant_id comes from it), else those for the same tenant in the same tenant."""
    named = [
        r
        for r in policy.property_dependencies.get("partner_tenant_id", [])
        if r.resource_type == PARTNER
    ]
    if named:
        return named
    home = _home(policy)
    found = []
    for partner in partners:
        try:
            same_tenant = partner_tenant(partner.props) == tenant
        except UnknownValueError:
            continue
        other_home = _home(partner)
        if same_tenant and (home is None or other_home is None or home == other_home):
            found.append(partner)
    return found


def _check_consent(
    policy: PolicyResource, partners: list[PolicyResource], report: ReportViolation
) -> None:
    props = policy.props
    tenant = partner_tenant(props)
    if tenant is None:
        return
    if props.get("user_sync_allowed") is False and props.get("group_sync_allowed") is not True:
        return  # syncs nothing in: no one to prompt
    candidates = _partners_of(policy, tenant, partners)
    if any(_inbound_consent(p) for p in candidates):
        return
    if candidates:
        names = ", ".join(f"'{p.name}'" for p in candidates)
        problem = (
            f"its partner configuration {names} does not declare automatic_user_consent "
            "with inbound_allowed=True"
        )
    else:
        problem = f"no CrossTenantAccessPolicyPartner for tenant {tenant} is declared in this stack"
    report(
        f"{_subject(policy.resource_type, policy.name)}: partner_tenant_id {tenant}: {problem}, "
        "so users synced in would get a consent prompt and sync fails. Fix: declare "
        f"CrossTenantAccessPolicyPartner(partner_tenant_id='{tenant}', automatic_user_consent="
        "InboundOutboundPolicyConfiguration(inbound_allowed=True)) in the same tenant and pass "
        "it to this policy as partner=.",
        policy.urn,
    )


def validate_inbound_consent(args: StackValidationArgs, report: ReportViolation) -> None:
    partners = [r for r in args.resources if r.resource_type == PARTNER]
    for policy in args.resources:
        if policy.resource_type != SYNC_POLICY:
            continue
        try:
            _check_consent(policy, partners, report)
        except UnknownValueError:
            continue  # its tenant is not known in this preview; the resource rules say so


# -- group-sync-and-beta --------------------------------------------------------------------
def validate_group_sync_and_beta(args: ResourceValidationArgs, report: ReportViolation) -> None:
    beta_only = BETA_ONLY.get(args.resource_type, ())
    tenant = partner_tenant(args.props) if beta_only else None
    if tenant is None:
        return
    config = args.get_config()
    group_sync, beta = _tenants(config, "groupSyncTenants"), _tenants(config, "betaTenants")
    subject = _subject(args.resource_type, args.name)
    policy = f"in the config of policy '{GROUP_SYNC_AND_BETA}'"
    for prop in beta_only:
        value = args.props.get(prop)
        if value is None:
            continue
        if prop in GROUP_SYNC and _covers(group_sync, tenant):
            continue  # group sync approved for this tenant, with its beta properties
        if prop in GROUP_SYNC and value is True:
            report(
                f"{subject}: {prop}=True syncs groups in from tenant {tenant}, which is not in "
                f"groupSyncTenants. Fix: leave {prop} unset, or have your security team add "
                f"{tenant} to groupSyncTenants {policy}.",
                None,
            )
        elif not _covers(beta, tenant):
            report(
                f"{subject}: {prop} exists only in Microsoft Graph's beta (no SLA; it may change), "
                f"and partner tenant {tenant} is not in betaTenants. Fix: leave {prop} unset, or "
                f"have your security team add {tenant} to betaTenants {policy}.",
                None,
            )


# -- production-on-delete -------------------------------------------------------------------
def _production_tag(config: Mapping[str, Any], stack_tags: Mapping[str, str]) -> str | None:
    """The stack tag (`name=value`) that marks this stack as production, if any."""
    for name, wanted in (config.get("productionStackTags") or DEFAULT_PRODUCTION_TAGS).items():
        values = [wanted] if isinstance(wanted, str) else list(wanted)
        if stack_tags.get(name) in values:
            return f"{name}={stack_tags[name]}"
    return None


def validate_production_on_delete(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != SYNC_POLICY:
        return
    tag = _production_tag(args.get_config(), args.stack_tags)
    declared = args.props.get("on_delete")
    if tag is None or (declared or ON_DELETE_DEFAULT) != "delete":
        return
    shown = "'delete'" if declared else "'delete' (the default)"
    report(
        f"{_subject(args.resource_type, args.name)}: on_delete is {shown} on a production stack "
        f"(stack tag {tag}): `pulumi destroy`, or a change that replaces this policy, would "
        "delete it, and deleting a sync policy does not un-sync the users already synced in. "
        'Fix: set on_delete="disable" (keeps the policy, with sync turned off) or "retain".',
        None,
    )


# -- source-differs-from-target -------------------------------------------------------------
def validate_distinct_tenants(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props, subject = args.props, _subject(args.resource_type, args.name)
    if args.resource_type == SYNC_LINK:
        source, target = props.get("source"), props.get("target")
        tenant = tenant_of(source)
        same_tenant = tenant is not None and tenant == tenant_of(target)
        # Connections that name their tenant by reference only: the same one is the same tenant.
        same_connection = isinstance(source, Mapping) and bool(source) and source == target
        if same_tenant or same_connection:
            report(
                f"{subject}: source and target are the same tenant"
                f"{f' ({tenant})' if tenant else ''}: a tenant cannot sync users to itself. "
                "Fix: give source= and target= the connections of two different tenants.",
                None,
            )
    elif args.resource_type in (PARTNER, SYNC_POLICY):
        home, tenant = tenant_of(props.get("connection")), partner_tenant(props)
        if home is not None and home == tenant:
            report(
                f"{subject}: partner_tenant_id {tenant} is the tenant this resource lives in "
                "(connection.tenantId): a tenant cannot be its own partner. Fix: set "
                "partner_tenant_id to the other (source) tenant, or give this resource the "
                "connection of the tenant users sync into.",
                None,
            )


# -- connection-secrets-by-reference --------------------------------------------------------
def validate_connection_secrets(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_entra(args.resource_type):
        return
    for name in connection_inputs(args.resource_type):
        connection = args.props.get(name)
        if not isinstance(connection, Mapping):
            continue
        for key in SECRET_KEYS:
            if connection.get(key):  # never shown: it is the secret
                report(
                    f"{_subject(args.resource_type, args.name)}: {name}.{key} carries a secret "
                    "value in this resource's inputs, so it is stored with them (encrypted) and "
                    "every resource shows a change when it is rotated. Fix: give the connection "
                    "a credential with no secret value (clientCertificatePath, workload "
                    "identity, managed identity), or one that refers to the secret in stack "
                    f"config (`pulumi config set --secret NAMESPACE:{key}`) instead of holding "
                    "it.",
                    None,
                )


POLICIES = [
    ResourceValidationPolicy(
        name=ALLOWED_TENANTS,
        description="Partner tenants (and a sync link's source and target) must be approved.",
        validate=validate_allowed_tenants,
        config_schema=PolicyConfigSchema(
            properties={
                "allowedTenants": {
                    "type": "object",
                    "description": "approved tenant id -> its display name",
                    "additionalProperties": {"type": "string"},
                }
            }
        ),
        remediation_steps="Sync only with approved tenants, or have the tenant approved.",
    ),
    StackValidationPolicy(
        name=INBOUND_CONSENT,
        description="A sync policy's partner must declare inbound automatic user consent.",
        validate=validate_inbound_consent,
        remediation_steps="Declare the partner with automatic_user_consent inbound_allowed=True.",
    ),
    ResourceValidationPolicy(
        name=GROUP_SYNC_AND_BETA,
        description="Group sync and Graph beta-only properties only for approved tenants.",
        validate=validate_group_sync_and_beta,
        config_schema=PolicyConfigSchema(
            properties={
                "groupSyncTenants": {
                    **_TENANT_LIST,
                    "description": 'tenant ids that may sync groups in ("*": any)',
                },
                "betaTenants": {
                    **_TENANT_LIST,
                    "description": 'tenant ids that may use beta-only properties ("*": any)',
                },
            }
        ),
        remediation_steps="Leave the property unset, or have the tenant approved for it.",
    ),
    ResourceValidationPolicy(
        name=PRODUCTION_ON_DELETE,
        description='A sync policy on a production stack must not use on_delete="delete".',
        validate=validate_production_on_delete,
        config_schema=PolicyConfigSchema(
            properties={
                "productionStackTags": {
                    "type": "object",
                    "description": "stack tag -> value (or values) that mark a production stack",
                    "additionalProperties": {
                        "anyOf": [
                            {"type": "string"},
                            {"type": "array", "items": {"type": "string"}},
                        ]
                    },
                }
            }
        ),
        remediation_steps='Set on_delete="disable" (or "retain") on production stacks.',
    ),
    ResourceValidationPolicy(
        name=DISTINCT_TENANTS,
        description="A sync link's source and target, and a partner and its home, must differ.",
        validate=validate_distinct_tenants,
        remediation_steps="Give the two sides of a sync the connections of two tenants.",
    ),
    ResourceValidationPolicy(
        name=SECRETS_BY_REFERENCE,
        description="A connection must not carry a secret value (refer to stack config).",
        validate=validate_connection_secrets,
        remediation_steps="Use Connection.from_config, or a credential without a secret value.",
    ),
]
