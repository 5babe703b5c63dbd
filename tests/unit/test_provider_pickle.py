"""The providers pickle by reference, with no state: nothing secret can reach `__provider`."""

from __future__ import annotations

import base64

import dill
import pytest
from pulumi.dynamic import ConfigureRequest, ResourceProvider
from pulumi.dynamic.config import Config
from pulumi.dynamic.dynamic import serialize_provider

from entra_crosstenant.resources.identity_sync_policy import IdentitySyncPolicyProvider
from entra_crosstenant.resources.partner import PartnerProvider
from entra_crosstenant.resources.sync_application import SyncApplicationProvider
from entra_crosstenant.resources.sync_assignment import SyncAssignmentProvider
from entra_crosstenant.resources.sync_job import SyncJobProvider
from entra_crosstenant.resources.sync_on_demand import SyncProvisionOnDemandProvider


@pytest.mark.parametrize(
    "cls",
    [
        PartnerProvider,
        IdentitySyncPolicyProvider,
        SyncApplicationProvider,
        SyncJobProvider,
        SyncAssignmentProvider,
        SyncProvisionOnDemandProvider,
    ],
)
def test_pickled_provider_is_a_short_reference_without_state(cls: type[ResourceProvider]) -> None:
    provider = cls()
    assert provider.__dict__ == {}  # so serialize_as_secret_always=False hides nothing
    assert provider.serialize_as_secret_always is False
    blob = base64.b64decode(serialize_provider(provider))
    assert len(blob) < 200
    assert cls.__module__.encode() in blob and cls.__name__.encode() in blob
    assert type(dill.loads(blob)) is cls  # noqa: S301 - our own blob


def test_a_configured_provider_pickles_without_its_config() -> None:
    """The stack config configure() keeps holds decrypted secrets: it must never be pickled."""
    provider = PartnerProvider()
    config = Config({"entra-crosstenant:clientSecret": "decrypted-s3cret"}, "proj")
    provider.configure(ConfigureRequest(config))
    blob = base64.b64decode(serialize_provider(provider))
    assert b"decrypted-s3cret" not in blob and b"clientSecret" not in blob
    assert dill.loads(blob).__dict__ == {}  # noqa: S301 - our own blob


def test_thousands_of_resources_pickle_without_growing_recursion() -> None:
    """serialize_provider leaks a wrapper per call; our pickles must never write a dict."""
    blobs = {serialize_provider(PartnerProvider()) for _ in range(2500)}
    assert len(blobs) == 1
