"""Hostile and malformed input through check(), property-based: every value is refused with a
failure that names its field, or accepted and passed on exactly; check() never raises.

Pure and fast (no network: a refused input can never reach Graph from here), so this is where
the volume is: a fixed seed (derandomize) and a few hundred programs per resource, each with
several hostile values. tests/team/test_hostile_engine.py sends a sample through the engine.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.runtime.rpc import UNKNOWN

from entra_crosstenant.graph.sync_schema import SOURCE_USER_ATTRIBUTES, TARGET_USER_ATTRIBUTES
from entra_crosstenant.resources.attribute_mappings import check_mappings
from entra_crosstenant.resources.identity_sync_policy import graph_body, policy_path
from entra_crosstenant.resources.partner import partner_path
from entra_crosstenant.resources.sync_job import SyncJobProvider
from tests.team import hostile

EXAMPLES = 300
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROVIDERS = hostile.providers()
_URL_SAFE = re.compile(r"[0-9a-f-]{36}")


def _expect_guid(field: str, value: Any, checked: dict[str, Any], failures: dict[str, str]) -> None:
    if hostile.is_guid(value):
        assert field not in failures
        assert checked[field] == value.lower()
    else:
        assert field in failures, value
        assert failures[field].startswith(field) and "GUID" in failures[field]


def _expect(
    field: str,
    value: Any,
    ok: bool,
    checked: dict[str, Any],
    failures: dict[str, str],
    default: Any = None,
) -> None:
    """Accepted: passed on exactly (None: the default, or left out). Refused: named."""
    if ok:
        assert field not in failures, failures.get(field)
        assert checked.get(field) == (default if value is None else value)
    else:
        assert field in failures, (field, value)
        assert failures[field].startswith(field), failures[field]


sync_programs = st.fixed_dictionaries(
    {"partner_tenant_id": hostile.tenant_ids},
    optional={
        "display_name": hostile.display_names,
        "user_sync_allowed": hostile.flags,
        "group_sync_allowed": hostile.flags,
        "adopt_existing": hostile.flags,
        "on_delete": hostile.choices(hostile.ON_DELETE),
        "external_cloud_authorized_application_id": st.one_of(hostile.tenant_ids, st.none()),
        # A name that is not an argument at all (a typo in a file someone else edits).
        "userSyncAllowed": st.just(True),
    },
)


@SETTINGS
@given(sync_programs)
def test_sync_policy_check_names_each_bad_field_and_keeps_good_ones_exactly(
    news: dict[str, Any],
) -> None:
    with hostile.connection_settings():
        checked, failures = hostile.check(PROVIDERS["sync"], news)
    _expect_guid("partner_tenant_id", news["partner_tenant_id"], checked, failures)
    dn = news.get("display_name")
    _expect("display_name", dn, hostile.display_name_ok(dn), checked, failures)
    for field, default in (
        ("user_sync_allowed", True),
        ("group_sync_allowed", None),
        ("adopt_existing", None),  # state-only: its default is implied, not stored
    ):
        value = news.get(field)
        _expect(field, value, value is None or isinstance(value, bool), checked, failures, default)
    on_delete = news.get("on_delete")
    _expect(
        "on_delete", on_delete, on_delete in (None, *hostile.ON_DELETE), checked, failures, None
    )
    app = news.get("external_cloud_authorized_application_id")
    if app is None:
        assert "external_cloud_authorized_application_id" not in failures
    else:
        _expect_guid("external_cloud_authorized_application_id", app, checked, failures)
    if "userSyncAllowed" in news:
        assert "userSyncAllowed" in failures
    # Nothing is refused without a reason, and nothing else is refused.
    fields = set(news) | {"partner_tenant_id"}
    assert set(failures) <= fields
    if not failures:
        # What would be sent: the tenant id alone in the URL, the name exactly as declared.
        path = policy_path(checked["partner_tenant_id"])
        assert _URL_SAFE.fullmatch(path.split("/")[4])
        if dn is not None:
            assert graph_body(checked)["displayName"] == dn


settings_or_broken = {
    arg: hostile.weighted(
        (3, strategy.map(lambda v: (v, None))),
        (6, hostile.broken_setting(arg)),
        (1, st.just((UNKNOWN, None))),  # computed by another resource during preview
    )
    for arg, strategy in hostile.VALID_SETTINGS.items()
}
partner_programs = st.fixed_dictionaries(
    {"partner_tenant_id": hostile.tenant_ids},
    optional={
        **settings_or_broken,
        "is_service_provider": hostile.flags,
        "adopt_existing": hostile.flags,
        "on_soft_deleted": hostile.choices(hostile.ON_SOFT_DELETED),
    },
)


@SETTINGS
@given(partner_programs)
def test_partner_check_names_each_wrong_shape_and_keeps_good_settings_exactly(
    program: dict[str, Any],
) -> None:
    news = {k: (v[0] if k in settings_or_broken else v) for k, v in program.items()}
    with hostile.connection_settings():
        checked, failures = hostile.check(PROVIDERS["partner"], news)
    _expect_guid("partner_tenant_id", news["partner_tenant_id"], checked, failures)
    for arg in hostile.VALID_SETTINGS:
        if arg not in program:
            assert arg not in failures and checked.get(arg) is None
            continue
        value, broken_at = program[arg]
        if broken_at is None:
            _expect(arg, value, True, checked, failures)
        else:
            assert arg in failures, (arg, value)
            assert broken_at in failures[arg], (broken_at, failures[arg])
    for flag, default in (("is_service_provider", None), ("adopt_existing", None)):
        value = news.get(flag)
        _expect(flag, value, value is None or isinstance(value, bool), checked, failures, default)
    mode = news.get("on_soft_deleted")
    ok = mode in (None, *hostile.ON_SOFT_DELETED)
    _expect("on_soft_deleted", mode, ok, checked, failures, None)  # implied default
    assert set(failures) <= set(news) | {"partner_tenant_id"}
    if "partner_tenant_id" not in failures:
        assert _URL_SAFE.fullmatch(partner_path(checked["partner_tenant_id"]).rsplit("/", 1)[1])


def _threshold_ok(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not value.is_integer():
        return False
    return 1 <= value <= 2**31 - 1


thresholds = hostile.weighted(
    (3, st.integers(min_value=-3, max_value=2**31 + 3)),
    (2, st.floats(allow_nan=True, allow_infinity=True)),
    (1, st.sampled_from([0, 1, 500.0, 2**31 - 1, 2**31, True, "500", [500]])),
    (1, hostile.non_strings),
)
emails = hostile.weighted(
    (3, st.emails()),
    (2, st.text(max_size=80)),
    (
        1,
        st.sampled_from(
            ["a@b.c; d@e.f", "Ops <ops@contoso.com>", "ops@contoso", "x" * 250 + "@a.bc"]
        ),
    ),
    (1, hostile.non_strings),
)
job_programs = st.fixed_dictionaries(
    {"service_principal_id": hostile.tenant_ids, "target_tenant_id": hostile.tenant_ids},
    optional={
        "enabled": hostile.flags,
        "scope": hostile.choices(("assigned", "all")),
        "notification_email": emails,
        "accidental_deletions_threshold": thresholds,
    },
)


@SETTINGS
@given(job_programs)
def test_sync_job_check_names_each_bad_field_and_keeps_good_ones_exactly(
    news: dict[str, Any],
) -> None:
    with hostile.connection_settings():
        checked, failures = hostile.check(SyncJobProvider(), news)
    _expect_guid("service_principal_id", news["service_principal_id"], checked, failures)
    _expect_guid("target_tenant_id", news["target_tenant_id"], checked, failures)
    enabled = news.get("enabled")
    _expect(
        "enabled", enabled, enabled is None or isinstance(enabled, bool), checked, failures, True
    )
    scope = news.get("scope")
    _expect("scope", scope, scope in (None, "assigned", "all"), checked, failures, "assigned")
    threshold = news.get("accidental_deletions_threshold")
    if threshold is None or _threshold_ok(threshold):
        assert "accidental_deletions_threshold" not in failures
        expected = None if threshold is None else int(threshold)
        assert checked.get("accidental_deletions_threshold") == expected
        assert type(checked.get("accidental_deletions_threshold")) in (int, type(None))
    else:
        assert failures["accidental_deletions_threshold"].startswith(
            "accidental_deletions_threshold"
        )
    email = news.get("notification_email")
    if "notification_email" in failures:
        assert failures["notification_email"].startswith("notification_email")
    elif email is not None:
        # Accepted: one address, sent exactly as declared (no list, no name, no blanks).
        assert checked["notification_email"] == email
        assert isinstance(email, str) and email.count("@") == 1
        assert not any(c in email for c in ' \t\n;,<>"')
    assert set(failures) <= set(news) | {"service_principal_id", "target_tenant_id"}


_attribute_names = hostile.weighted(
    (6, st.sampled_from(sorted(TARGET_USER_ATTRIBUTES))),
    (1, st.sampled_from(["objectId", "alternativeSecurityIds", "departmnt", ""])),
    (1, st.text(max_size=20)),
    (1, hostile.non_strings),
)
_sources = st.one_of(
    st.fixed_dictionaries({"source_attribute": _attribute_names}),
    st.fixed_dictionaries(
        {
            "expression": hostile.weighted(
                (3, st.sampled_from(["ToLower([mail])", 'Append([city], "x")', "Nope([city])"])),
                (1, st.text(max_size=30)),
            )
        }
    ),
    st.fixed_dictionaries(
        {
            "constant": hostile.weighted(
                (3, st.text(min_size=1, max_size=10)), (1, hostile.non_strings)
            )
        }
    ),
    st.fixed_dictionaries({}),  # no source at all
    st.fixed_dictionaries({"constant": st.just("x"), "source_attribute": st.just("city")}),
)
_extras = st.fixed_dictionaries(
    {},
    optional={
        "flow_type": hostile.choices(("Always", "ObjectAddOnly")),
        "flow_behavior": hostile.choices(("FlowWhenChanged", "FlowAlways")),
        "default_value": hostile.weighted(
            (3, st.none()), (1, st.text(max_size=5)), (1, hostile.non_strings)
        ),
    },
)
_mapping = st.builds(
    lambda target, source, extras, stray: {
        "target_attribute": target,
        **source,
        **extras,
        **({"targetAttributeName": "city"} if stray else {}),
    },
    _attribute_names,
    _sources,
    _extras,
    hostile.weighted((9, st.just(False)), (1, st.just(True))),
)


@SETTINGS
@given(hostile.weighted((1, st.lists(_mapping, max_size=4)), (1, hostile.json_scalars)))
def test_attribute_mappings_are_refused_by_name_or_kept_exactly(value: Any) -> None:
    """A wrong name, shape or choice is refused naming attribute_mappings; the rest is kept."""
    checked, failure = check_mappings("attribute_mappings", value)
    if failure is not None:
        assert failure.property == "attribute_mappings"
        assert failure.reason.startswith("attribute_mappings")
        return
    assert value is None or isinstance(value, list)
    for given_one, kept in zip(value or [], checked or [], strict=True):
        target = kept["target_attribute"]
        assert target == given_one["target_attribute"] and target != "alternativeSecurityIds"
        assert target in TARGET_USER_ATTRIBUTES or target.startswith("extension_")
        (source,) = [k for k in ("source_attribute", "expression", "constant") if k in kept]
        assert kept[source] == given_one[source]
        if source == "source_attribute":
            assert kept[source] in SOURCE_USER_ATTRIBUTES or kept[source].startswith("extension_")
        assert kept["flow_type"] == (given_one.get("flow_type") or "Always")
