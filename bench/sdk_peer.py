"""The SDK peer: the benchmark's creates with msgraph-sdk, Microsoft's Python Graph SDK.

Runs in its own venv (.tools/bench-peers, made by bench.run) so the SDK's large dependency tree
never touches the project's. Per partner tenant: POST the partner configuration (full workload),
then PUT its identitySynchronization, with an azure-identity `ClientSecretCredential` against the
emulator's authority and an httpx client that trusts only the emulator's CA. `parallel` tasks run
at once (asyncio, as the SDK is async). Reads its config, secret included, as JSON on stdin and
prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from azure.identity import ClientSecretCredential
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.cross_tenant_access_policy_configuration_partner import (
    CrossTenantAccessPolicyConfigurationPartner,
)
from msgraph.generated.models.cross_tenant_identity_sync_policy_partner import (
    CrossTenantIdentitySyncPolicyPartner,
)
from msgraph.generated.models.cross_tenant_user_sync_inbound import CrossTenantUserSyncInbound
from msgraph.generated.models.inbound_outbound_policy_configuration import (
    InboundOutboundPolicyConfiguration,
)
from msgraph_core import GraphClientFactory

SCOPE = "https://graph.microsoft.com/.default"


def display_name(index: int, generation: int) -> str:
    return f"Partner {index:04d} v{generation}"


def client(config: dict[str, Any]) -> GraphServiceClient:
    url = str(config["url"]).rstrip("/")
    credential = ClientSecretCredential(
        config["tenant"],
        config["client_id"],
        config["secret"],
        authority=url,
        connection_verify=config["ca"],
        disable_instance_discovery=True,
    )
    host = urlsplit(url).hostname or "127.0.0.1"
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[SCOPE], allowed_hosts=[host])
    tls = ssl.create_default_context(cafile=config["ca"])
    limits = httpx.Limits(max_connections=max(1, int(config["parallel"])))
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(verify=tls, trust_env=False, limits=limits, http2=False)
    )
    adapter = GraphRequestAdapter(auth, http)
    adapter.base_url = f"{url}/v1.0"
    return GraphServiceClient(request_adapter=adapter)


async def create_all(config: dict[str, Any]) -> float:
    graph = client(config)
    partners = graph.policies.cross_tenant_access_policy.partners
    gate = asyncio.Semaphore(max(1, int(config["parallel"])))
    full = config["workload"] == "full"

    async def create(index: int, tenant: str) -> None:
        async with gate:
            if full:
                await partners.post(
                    CrossTenantAccessPolicyConfigurationPartner(
                        tenant_id=tenant,
                        automatic_user_consent_settings=InboundOutboundPolicyConfiguration(
                            inbound_allowed=True
                        ),
                    )
                )
            policy = CrossTenantIdentitySyncPolicyPartner(
                display_name=display_name(index, int(config["generation"])),
                user_sync_inbound=CrossTenantUserSyncInbound(is_sync_allowed=True),
            )
            await partners.by_cross_tenant_access_policy_configuration_partner_tenant_id(
                tenant
            ).identity_synchronization.put(policy)

    started = time.perf_counter()
    await asyncio.gather(*(create(i, t) for i, t in enumerate(config["partners"])))
    return time.perf_counter() - started


def main() -> int:
    config = json.load(sys.stdin)
    seconds = asyncio.run(create_all(config))
    print(json.dumps({"seconds": seconds}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
