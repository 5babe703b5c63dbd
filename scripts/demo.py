"""`make demo`: the Graph emulator, two Pulumi stacks, and users arriving in our tenant.

1. examples/partner-sync (stack `demo`): our tenant (the emulator's default) accepts three
   partner tenants: a partner configuration with inbound automatic consent and a sync policy
   each.
2. examples/sync-link (stack `link`): the users of Northwind, another tenant of the emulator,
   arrive in ours: one CrossTenantSyncLink (both tenants' halves, three attribute mappings, its
   members), a user provisioned on demand as the link's check, then the job's first cycle. The
   demo prints each user in our tenant with the mapping that produced each attribute.

Both stacks sign in as people, not apps: each tenant's administrator (seeded in the emulator:
a Security Administrator in ours; one who is also Application Administrator in Northwind) with
the device code credential (`credential device_code`). The demo plays the person at the
browser through the emulator's control API, entering each code the deployment prints; the
token cache in .state/token-cache then signs them in silently on later runs.

State is kept in .state/, so run it twice: the second `up` of each stack changes nothing.
`--destroy` removes both; Entra keeps deleted partner configurations in its deleted items for 30
days, and the next `make demo` restores them (`onSoftDeleted restore`), which Graph allows only
to signed-in administrators: that is why the demo signs in as people.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from pulumi import automation as auto

ROOT = Path(__file__).resolve().parent.parent
for example in ("partner-sync", "sync-link"):
    sys.path.insert(0, str(ROOT / "examples" / example))

import partner_sync  # noqa: E402 - the examples live outside the package on purpose
import sync_link  # noqa: E402

from entra_crosstenant.emulator.client import Emulator, EmulatorControl  # noqa: E402
from entra_crosstenant.emulator.synchronization.template import azure2azure_schema  # noqa: E402
from entra_crosstenant.graph.sync_schema import USER_ATTRIBUTES  # noqa: E402
from entra_crosstenant.resources import attribute_mappings as am  # noqa: E402
from entra_crosstenant.testing import PulumiEngine  # noqa: E402

# What the demo does with a partner it finds in Entra's deleted items (after `--destroy`): both
# examples' `onSoftDeleted` stack config. Restoring needs a signed-in Security Administrator.
ON_SOFT_DELETED = "restore"

# Three partner (source) tenants of a merger, as a platform team would list them.
DEFAULT_PARTNERS = [
    {
        "name": "fabrikam",
        "tenantId": "3b0f2a5e-7c1d-4e8f-9a6b-2c4d5e6f7a8b",
        "displayName": "Fabrikam",
    },
    {
        "name": "contoso",
        "tenantId": "7d6c5b4a-3e2f-4a1b-8c9d-0e1f2a3b4c5d",
        "displayName": "Contoso",
    },
    {
        "name": "woodgrove",
        "tenantId": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
        "displayName": "Woodgrove",
    },
]

# Northwind, whose users sync into our tenant, and the people of both tenants.
NORTHWIND = "5d1c7e3b-2a4f-4b6d-9e8c-7f6a5b4c3d2e"
OUR_ADMIN = {
    "id": "a7c1e4d2-3b5f-4c6a-8e9d-1f2a3b4c5d6e",
    "userPrincipalName": "ada@contoso.example",
    "displayName": "Ada Lovelace",
}
NORTHWIND_ADMIN = {
    "id": "b8d2f5e3-4c6a-4d7b-9f0e-2a3b4c5d6e7f",
    "userPrincipalName": "grace@northwind.example",
    "displayName": "Grace Hopper",
}
ALICE = {
    "id": "c9e3a6f4-5d7b-4e8c-8a1f-3b4c5d6e7f80",
    "userPrincipalName": "alice@northwind.example",
    "displayName": "Alice Smith",
    "department": "Sales",
    "jobTitle": "Account Manager",
}
BOB = {
    "id": "d0f4b7a5-6e8c-4f9d-9b2a-4c5d6e7f8091",
    "userPrincipalName": "bob@northwind.example",
    "displayName": "Bob Jones",
}
SALES = {"id": "e1a5c8b6-7f9d-4a0e-8c3b-5d6e7f8091a2", "displayName": "Sales"}
SECURITY_ADMINISTRATOR = "Security Administrator"
APPLICATION_ADMINISTRATOR = "Application Administrator"
# The attributes shown for each user who arrived, in this order.
SHOWN = ("displayName", "companyName", "department", "jobTitle", "userType", "userPrincipalName")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--state", type=Path, default=ROOT / ".state", help="where emulator and Pulumi state live"
    )
    parser.add_argument(
        "--destroy", action="store_true", help="destroy the demo's stacks instead of deploying"
    )
    args = parser.parse_args()

    with Emulator.start(args.state / "emulator") as emulator:
        control = emulator.control
        print(f"emulator: {emulator.url} (env file {emulator.state_dir / 'env'})")
        ours = emulator.tenant_id
        seed_people(control, ours)
        engine = PulumiEngine(
            home=args.state / "pulumi-home", backend_url=f"file://{_backend(args.state)}"
        )
        print(f"pulumi: {engine.version()} ({engine.cli})")
        # Signed in as people: no app credentials in the deployment's environment.
        env = {
            k: v
            for k, v in emulator.env.items()
            if k not in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")
        }
        env["ENTRA_TOKEN_CACHE_DIR"] = str((args.state / "token-cache").resolve())
        partners = engine.stack("partner-sync", "demo", partner_sync.main, env=env)
        partners.set_all_config(
            {
                "partner-sync:partners": auto.ConfigValue(json.dumps(DEFAULT_PARTNERS)),
                "partner-sync:onSoftDeleted": auto.ConfigValue(ON_SOFT_DELETED),
                "entra-crosstenant:tenantId": auto.ConfigValue(ours),
                "entra-crosstenant:credential": auto.ConfigValue("device_code"),
            }
        )
        link = engine.stack("sync-link", "link", sync_link.main, env=env)
        link.set_all_config(
            {
                "source:tenantId": auto.ConfigValue(NORTHWIND),
                "source:credential": auto.ConfigValue("device_code"),
                "target:tenantId": auto.ConfigValue(ours),
                "target:credential": auto.ConfigValue("device_code"),
                "sync-link:companyName": auto.ConfigValue("Northwind"),
                "sync-link:members": auto.ConfigValue(json.dumps([{"group": SALES["id"]}])),
                "sync-link:verifyWith": auto.ConfigValue(json.dumps([ALICE["id"]])),
                "sync-link:onSoftDeleted": auto.ConfigValue(ON_SOFT_DELETED),
            }
        )
        admins = {
            ours: OUR_ADMIN["userPrincipalName"],
            NORTHWIND: NORTHWIND_ADMIN["userPrincipalName"],
        }
        with PersonAtTheBrowser(control, admins):
            if args.destroy:
                _run(control, "link destroy", lambda: link.destroy(on_output=print))
                _run(control, "destroy", lambda: partners.destroy(on_output=print))
            else:
                _run(control, "up", lambda: partners.up(on_output=print))
                up = _run(control, "link up", lambda: link.up(on_output=print))
                show_users(control, ours, up.outputs["link"].value)
    return 0


def seed_people(control: EmulatorControl, ours: str) -> None:
    """Both tenants' administrators, and Northwind's users and group; once (kept in .state)."""
    control.create_tenant(NORTHWIND)
    for tenant, user, roles in (
        (ours, OUR_ADMIN, (SECURITY_ADMINISTRATOR,)),
        (NORTHWIND, NORTHWIND_ADMIN, (SECURITY_ADMINISTRATOR, APPLICATION_ADMINISTRATOR)),
        (NORTHWIND, ALICE, ()),
        (NORTHWIND, BOB, ()),
    ):
        if not any(u["id"] == user["id"] for u in control.users(tenant=tenant)):
            control.seed_user(user, tenant=tenant)
        for role in roles:
            control.assign_role(user["id"], role, tenant=tenant)
    if not any(g["id"] == SALES["id"] for g in control.groups(tenant=NORTHWIND)):
        control.seed_group({**SALES, "members": [ALICE["id"], BOB["id"]]}, tenant=NORTHWIND)
    control.device_code_settings(interval=1)  # Entra asks clients to poll every 5 s


class PersonAtTheBrowser:
    """Each tenant's administrator entering the device code the deployment prints, at the
    verification page; the emulator's control API plays the browser."""

    def __init__(self, control: EmulatorControl, admins: dict[str, str]) -> None:
        self.control = control
        self.admins = admins
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> PersonAtTheBrowser:
        self.thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop.set()
        self.thread.join()

    def _watch(self) -> None:
        entered: set[str] = set()
        while not self.stop.wait(0.3):
            for login in self.control.device_logins():
                code, user = login["user_code"], self.admins.get(login["tenant_id"])
                if code in entered or user is None or login["status"] != "pending":
                    continue
                self.control.complete_device_login(code, user)
                entered.add(code)
                print(f"\n[demo] {user} entered the code {code} at the verification page\n")


def _run(control: EmulatorControl, what: str, operation: Any) -> Any:
    """One stack operation, its summary and the requests it made."""
    mark = control.last_seq()
    result = operation()
    print(f"\n{what}: {result.summary.resource_changes}")
    outputs = getattr(result, "outputs", None) or {}
    for name, output in outputs.items():
        print(f"  {name}: {json.dumps(output.value)}")
    print(requests_made(control.requests(since=mark)))
    return result


def show_users(control: EmulatorControl, ours: str, link: dict[str, Any]) -> None:
    """Run the job's cycle now (Entra runs one every 40 minutes), then show who is in our
    tenant and which mapping produced each attribute: the declared ones over the template's."""
    cycle = control.run_cycle(link["servicePrincipalId"], link["jobId"], tenant=NORTHWIND)
    names = {p["id"]: p["userPrincipalName"] for p in (ALICE, BOB)} | {SALES["id"]: "group Sales"}
    status = cycle["job"]["status"]["code"]
    print(f"\nThe link's sync cycle, run now (Entra runs one every 40 minutes): job {status}")
    for outcome in cycle.get("outcomes") or []:
        code = f" ({outcome['errorCode']})" if outcome.get("errorCode") else ""
        who = names.get(outcome["sourceId"], outcome["sourceId"])
        print(f"  {who}: {outcome['action']} {outcome['status']}{code}")
    declared, _ = am.check_mappings(
        "attribute_mappings", am.to_input(sync_link.mappings("Northwind"))
    )
    schema, _ = am.merged_schema(azure2azure_schema("job"), declared, {})
    mapping = {
        m["targetAttributeName"]: m
        for rule in schema["synchronizationRules"]
        for obj in rule["objectMappings"]
        if obj["sourceObjectName"] == "User"
        for m in obj["attributeMappings"]
    }
    ours_declared = {m["target_attribute"] for m in declared}
    arrived = [
        u
        for u in control.users(tenant=ours)
        if (u.get("synced_from") or {}).get("sourceTenantId") == NORTHWIND
    ]
    print(f"\nUsers of Northwind ({NORTHWIND}) in our tenant ({ours}):")
    for user in sorted(arrived, key=lambda u: str(u.get("displayName"))):
        print(f"  {user['displayName']} (from {user['synced_from']['sourceObjectId']})")
        for attribute in SHOWN:
            value = user.get(USER_ATTRIBUTES[attribute][1] or attribute)
            how = _described(mapping.get(attribute), attribute in ours_declared)
            print(f"    {attribute:<18} {json.dumps(value):<48} <- {how}")


def _described(mapping: dict[str, Any] | None, declared: bool) -> str:
    if mapping is None:
        return "no mapping"
    text = str(mapping["source"]["expression"])
    if mapping.get("defaultValue") is not None:
        text += f', else "{mapping["defaultValue"]}"'
    if mapping.get("flowType") == "ObjectAddOnly":
        text += ", on create only"
    return f"{text} ({'declared in the program' if declared else 'the template'})"


# What one request was, in words: the first pattern that matches its path.
_LABELS: tuple[tuple[str, str], ...] = (
    (r"/\.well-known/openid-configuration$", "OpenID discovery"),
    (r"/oauth2/v2\.0/devicecode$", "device code"),
    (r"/oauth2/v2\.0/token$", "token"),
    (r"/deletedItems/crossTenantPartners/[^/]+/restore$", "restore of a deleted partner"),
    (r"/deletedItems/", "deleted partner"),
    (r"/identitySynchronization$", "sync policy"),
    (r"/policies/crossTenantAccessPolicy/partners", "partner"),
    (r"/applicationTemplates/[^/]+/instantiate$", "instantiate the sync configuration"),
    (r"/applications/", "application"),
    (r"/jobs/validateCredentials$", "validateCredentials"),
    (r"/jobs/[^/]+/schema$", "job schema"),
    (r"/jobs/[^/]+/provisionOnDemand$", "provisionOnDemand"),
    (r"/jobs/[^/]+/(start|pause)$", "job start/pause"),
    (r"/jobs(/[^/]+)?$", "sync job"),
    (r"/synchronization/secrets$", "sync secrets"),
    (r"/appRoleAssignedTo", "assignment"),
)


def requests_made(log: list[dict[str, Any]]) -> str:
    """The emulator's request log, counted and labelled: sign-in apart from Graph, and whose
    Graph calls (the signed-in user) they were."""
    counts = collections.Counter(
        (r["api"], r.get("user"), _label(r)) for r in log if not r["path"].startswith("/_")
    )
    lines = ["Requests this run (from the emulator's request log):"]
    signed_in = [
        f"{n} x {label}" for (api, _, label), n in sorted(counts.items()) if api == "identity"
    ]
    lines.append(f"  sign-in (discovery and token): {', '.join(signed_in) or 'none'}")
    users = sorted({user or "" for api, user, _ in counts if api == "graph"})
    for user in users or [""]:
        made = [
            f"{n} x {label}"
            for (api, who, label), n in sorted(counts.items())
            if api == "graph" and (who or "") == user
        ]
        lines.append(f"  Graph{f' (as {user})' if user else ''}: {', '.join(made) or 'none'}")
    labels = {label for _, _, label in counts}
    lines += [
        f"  {why}"
        for pattern, why in _ANSWERS_EXPLAINED
        if any(re.search(pattern, x) for x in labels)
    ]
    return "\n".join(lines)


# The refusals a healthy run shows, said in words where they appear.
_ANSWERS_EXPLAINED: tuple[tuple[str, str], ...] = (
    (r"^token \(POST 400\)", "token 400s: authorization_pending, asked until the code was entered"),
    (
        r"^POST (assignment|validateCredentials) \(40[34]\)",
        "assignment 404s, validateCredentials 403s: the new service principal replicating "
        "through Entra, waited out (the 'waiting for' lines above)",
    ),
    (
        r"^POST partner \(409\)",
        "partner 409s: the partners were in deleted items, restored (onSoftDeleted restore)",
    ),
)


def _label(request: dict[str, Any]) -> str:
    path, method, status = request["path"], request["method"], request["status"]
    what = next((label for pattern, label in _LABELS if re.search(pattern, path)), path)
    return (
        f"{method} {what} ({status})"
        if request["api"] == "graph"
        else f"{what} ({method} {status})"
    )


def _backend(state: Path) -> Path:
    backend = state / "backend"
    backend.mkdir(parents=True, exist_ok=True)
    return backend.resolve()


if __name__ == "__main__":
    raise SystemExit(main())
