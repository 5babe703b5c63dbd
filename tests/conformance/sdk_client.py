"""Microsoft's Graph client pointed at the emulator, and the checks every exchange must pass.

`GraphServiceClient` (msgraph-sdk for v1.0, msgraph-beta-sdk for beta) signs in with
azure-identity's `ClientSecretCredential` at the emulator's authority and speaks to the emulator
over real TLS. Neither disables verification: azure-identity takes the emulator's CA as
`connection_verify` (azure-core's transport option), and the SDK's httpx client gets an
`ssl.SSLContext` that trusts that CA alone. The SDK keeps its default middleware (retry,
redirect, telemetry), so its requests are what it sends to graph.microsoft.com.

Every response body is recorded as it came off the wire and held against what the SDK made of it:
serialized back by kiota's own writer it must be the same JSON (a value of the wrong type, or an
enum member the SDK does not know, would not survive), and no model may keep a property in its
`additional_data` unless `schema.SDK_DIFFERENCES` lists it, with its evidence, for that type.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, TypeVar

import httpx
from azure.core.credentials import AccessToken
from azure.identity import ClientSecretCredential
from kiota_abstractions.serialization import Parsable
from kiota_serialization_json.json_serialization_writer import JsonSerializationWriter
from msgraph import GraphRequestAdapter as V1Adapter
from msgraph import GraphServiceClient as V1Client
from msgraph.generated.models.o_data_errors.o_data_error import ODataError as V1ODataError
from msgraph_beta import GraphRequestAdapter as BetaAdapter
from msgraph_beta import GraphServiceClient as BetaClient
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError as BetaODataError
from msgraph_core import GraphClientFactory
from msgraph_core.authentication import AzureIdentityAuthenticationProvider

from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.graph import schema
from entra_crosstenant.graph.schema import Version

T = TypeVar("T")
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
ODATA_ERRORS = (V1ODataError, BetaODataError)
# Properties the SDK models do not declare but Graph returns, by Graph type: schema's table.
RETURNED_NOT_DECLARED = {
    (row.type, row.property, version) for row in schema.SDK_DIFFERENCES for version in row.versions
}
_ISO_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


class StaticToken:
    """A TokenCredential for a token minted elsewhere (a delegated one from the control API)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3000)


@dataclass
class Exchange:
    method: str
    url: str
    status: int
    headers: httpx.Headers
    body: Any


class Sdk:
    """One GraphServiceClient for one Graph version, with its own event loop and a record of
    every response."""

    def __init__(self, emu: Emulator, version: Version, credential: Any | None = None) -> None:
        self.version = version
        self.exchanges: list[Exchange] = []
        self.loop = asyncio.new_event_loop()
        credential = credential or ClientSecretCredential(
            emu.tenant_id,
            emu.client_id,
            emu.env["AZURE_CLIENT_SECRET"],
            authority=emu.url,
            disable_instance_discovery=True,
            connection_verify=str(emu.ca_path),
        )
        # The scope is the cloud's, not derived from the emulator's host; the host is allowed.
        auth = AzureIdentityAuthenticationProvider(
            credential, scopes=[GRAPH_SCOPE], allowed_hosts=["127.0.0.1"]
        )
        http = GraphClientFactory.create_with_default_middleware(
            client=httpx.AsyncClient(
                verify=ssl.create_default_context(cafile=str(emu.ca_path)),
                trust_env=False,
                event_hooks={"response": [self._keep]},
            )
        )
        adapter = (V1Adapter if version == "v1.0" else BetaAdapter)(auth, client=http)
        adapter.base_url = f"{emu.url}/{version}"
        self.client: Any = (V1Client if version == "v1.0" else BetaClient)(request_adapter=adapter)

    async def _keep(self, response: httpx.Response) -> None:
        raw = await response.aread()
        body = json.loads(raw) if raw.strip() else None
        request = response.request
        self.exchanges.append(
            Exchange(request.method, str(request.url), response.status_code, response.headers, body)
        )

    def close(self) -> None:
        self.loop.close()

    # -- calls and their checks ----------------------------------------------------------

    def call(self, request: Callable[[], Awaitable[T]]) -> T:
        """Run one SDK call; its response must have parsed into the SDK's models exactly."""
        before = len(self.exchanges)
        result = self.loop.run_until_complete(request())
        [exchange] = self.exchanges[before:]
        assert exchange.status < 400, exchange
        if result is None:
            assert exchange.body is None, f"the SDK dropped a body: {exchange}"
        else:
            assert_parsed_exactly(result, exchange.body, self.version)
        return result

    def error(self, request: Callable[[], Awaitable[Any]], status: int, code: str) -> Any:
        """Run one SDK call that must fail: the SDK's ODataError with Graph's code, a message
        and the request ids of the response headers."""
        before = len(self.exchanges)
        try:
            self.loop.run_until_complete(request())
        except ODATA_ERRORS as raised:
            [exchange] = self.exchanges[before:]
            assert raised.response_status_code == status == exchange.status, exchange
            assert raised.error is not None and raised.error.code == code, exchange.body
            assert raised.error.message, exchange.body
            inner = raised.error.inner_error
            assert inner is not None
            assert inner.request_id == exchange.headers["request-id"]
            assert inner.client_request_id == exchange.headers["client-request-id"]
            assert_parsed_exactly(raised.error, exchange.body["error"], self.version)
            return raised.error
        raise AssertionError(f"expected {status} {code}, the call succeeded")


# -- what the SDK made of a body ------------------------------------------------------------


def serialized(model: Parsable) -> Any:
    """The model as kiota's JSON writer writes it."""
    writer = JsonSerializationWriter()
    writer.write_object_value(None, model)
    return json.loads(writer.get_serialized_content())


def _comparable(value: Any) -> Any:
    """JSON without nulls (kiota never writes them) or `@odata.type` (beta models write their
    type's name, which Graph leaves out for a non-derived type), datetimes as instants."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if v is not None and k != "@odata.type"}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def _graph_type(model: Parsable) -> str:
    name = type(model).__name__
    return name[0].lower() + name[1:]


def unexpected_additional_data(model: Any, version: Version, path: str = "") -> Iterator[str]:
    """Properties the SDK kept aside as unknown, at any depth, that the table does not list."""
    if isinstance(model, list):
        for index, item in enumerate(model):
            yield from unexpected_additional_data(item, version, f"{path}[{index}]")
        return
    if not (is_dataclass(model) and isinstance(model, Parsable)):
        return
    graph_type = _graph_type(model)
    for name in getattr(model, "additional_data", None) or {}:
        if name.startswith("@odata.") or (graph_type, name, version) in RETURNED_NOT_DECLARED:
            continue
        yield f"{path or graph_type}.{name}"
    for item in fields(model):
        yield from unexpected_additional_data(
            getattr(model, item.name), version, f"{path or graph_type}.{item.name}"
        )


def assert_parsed_exactly(model: Parsable, body: Any, version: Version) -> None:
    assert isinstance(body, dict), body
    unknown = list(unexpected_additional_data(model, version))
    assert not unknown, f"the SDK's models do not know {unknown}; body: {body}"
    assert _comparable(serialized(model)) == _comparable(body), (
        f"the SDK read the body differently:\n  sent {body}\n  read {serialized(model)}"
    )
