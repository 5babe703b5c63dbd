"""`entra-crosstenant export`: naming, comments, the command's refusals, paging and throttling."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.export import main, project
from entra_crosstenant.export.declarations import resource_names
from entra_crosstenant.export.reading import ExportError, next_page, read_partners
from entra_crosstenant.export.rendering import class_for
from entra_crosstenant.graph import schema

A = "3b0f2a5e-7c1d-4e8f-9a6b-2c4d5e6f7a8b"
B = "5b8e2c1a-3d4f-4a6b-9c8d-7e6f5a4b3c2d"
C = "0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a"
HOME = "57d2b10a-1111-4222-8333-944445555666"


def source(bodies: list[dict[str, Any]]) -> str:
    return project.program(project.build(HOME, "beta", bodies, {"partners", "sync-policies"}))


def test_a_property_graph_returns_but_this_package_does_not_know_is_named_in_a_comment() -> None:
    text = source(
        [
            {
                "tenantId": A,
                "isServiceProvider": True,
                "crossTenantNewThing": {"mode": "strict"},  # from a newer Graph
                "@odata.etag": "W/1",  # annotations are not properties
                "deletedDateTime": None,  # null: nothing to lose
                SYNC: {"displayName": "Contoso", "userSyncInbound": {"isSyncAllowed": True}},
            }
        ]
    )
    comments = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert '"crossTenantNewThing" = {"mode": "strict"}, a property this package' in comments
    assert "odata" not in comments and "deletedDateTime" not in comments
    assert "is_service_provider=True," in text  # the known settings are declared as usual


SYNC = "identitySynchronization"


def test_names_come_from_display_names_and_never_depend_on_graphs_order() -> None:
    names = {A: "Contoso Ltd.", B: "Contoso ltd", C: None, HOME: "Fabrikam / Zürich Straße"}
    first = resource_names(names)
    assert first == {
        A: "contoso-ltd-3b0f2a5e",  # two partners slug to "contoso-ltd": both get their id
        B: "contoso-ltd-5b8e2c1a",
        C: "tenant-0d1e2f3a",
        HOME: "fabrikam-zurich-strasse",
    }
    assert resource_names(dict(reversed(names.items()))) == first
    # Adding a partner never renames one whose name it does not share.
    assert resource_names({**names, "9" + A[1:]: "Woodgrove"})[HOME] == "fabrikam-zurich-strasse"


def test_variables_are_identifiers_never_keywords_or_builtins() -> None:
    text = source(
        [
            {"tenantId": A, SYNC: {"displayName": "class", "userSyncInbound": None}},
            {"tenantId": B, SYNC: {"displayName": "list", "userSyncInbound": None}},
            {"tenantId": C, SYNC: {"displayName": "3M", "userSyncInbound": None}},
        ]
    )
    compile(text, "__main__.py", "exec")
    assert "partner_class = " in text and "partner_list = " in text and "partner_3m = " in text


def test_every_graph_object_type_of_a_partner_has_its_typed_class() -> None:
    def types(complex_type: schema.ComplexType) -> set[str]:
        found = {complex_type.name}
        for prop in complex_type.properties.values():
            if prop.type is not None and not prop.read_only:
                found |= types(prop.type)
        return found

    partner = schema.CROSS_TENANT_ACCESS_POLICY_CONFIGURATION_PARTNER
    nested = types(partner) - {partner.name}
    assert {class_for(schema_type(partner, n)).__name__ for n in nested} == {
        n[0].upper() + n[1:] for n in nested
    }


def schema_type(root: schema.ComplexType, name: str) -> schema.ComplexType:
    for prop in root.properties.values():
        if prop.type is not None:
            if prop.type.name == name:
                return prop.type
            try:
                return schema_type(prop.type, name)
            except LookupError:
                continue
    raise LookupError(name)


class _Client:
    """Graph answers for the reader, without HTTP: what a service ignoring $expand sends."""

    endpoint = "https://graph.example/"

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def request(self, method: str, path: str, **_: Any) -> Any:
        self.calls.append(path)
        return self.answers[path]


def test_a_service_that_ignores_expand_gets_each_policy_asked_for() -> None:
    partners = "/policies/crossTenantAccessPolicy/partners"
    client = _Client(
        {
            partners: {
                "value": [{"tenantId": A}],
                "@odata.nextLink": f"https://graph.example/beta{partners}?$skiptoken=x",
            },
            f"{partners}?$skiptoken=x": {"value": [{"tenantId": "not a guid"}]},
            f"{partners}/{A}/identitySynchronization": {"displayName": "Contoso"},
        }
    )
    read = read_partners(client, "beta")  # type: ignore[arg-type]
    assert read[0][SYNC] == {"displayName": "Contoso"}
    assert read[1][SYNC] is None  # a malformed id is never put in a URL
    assert client.calls == [partners, f"{partners}?$skiptoken=x", f"{partners}/{A}/{SYNC}"]


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/beta/policies/crossTenantAccessPolicy/partners?$skiptoken=x",
        "http://graph.example/beta/policies/crossTenantAccessPolicy/partners",
        "https://graph.example/v1.0/policies/crossTenantAccessPolicy/partners",
    ],
)
def test_a_next_page_link_that_leaves_this_graph_is_not_followed(link: str) -> None:
    with pytest.raises(ExportError, match="not followed"):
        next_page(_Client({}), "beta", link)  # type: ignore[arg-type]


# -- the command, against the emulator --------------------------------------------------------


@pytest.fixture
def emulator(entra_emulator_session: Emulator) -> Emulator:
    entra_emulator_session.control.reset()
    return entra_emulator_session


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--include", "partners", "--source", "source"], "but --include has no sync-jobs"),
        (["--source", "source:tenantId"], "must name a stack-config namespace"),
        (["--source", "entra-crosstenant"], "not entra-crosstenant, the other tenant's"),
        (["--include", "partners,gadgets"], "--include has gadgets; choose from"),
        (["--partner", "{" + A + "}"], "Remove the braces"),
        (["--project", "my project"], "may only have letters"),
    ],
)
def test_what_cannot_be_done_is_refused_before_anything_is_read(
    emulator: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    said: str,
) -> None:
    mark = emulator.control.last_seq()
    assert main(["--out", str(tmp_path / "out"), *argv], environ=emulator.env) == 2
    assert said in capsys.readouterr().err
    assert emulator.control.requests(since=mark) == []
    assert not (tmp_path / "out").exists()


def test_missing_sign_in_settings_are_listed_with_what_to_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text(
        "config:\n  entra-crosstenant:clientId: " + A + "\n"
        "  entra-crosstenant:clientSecret:\n    secure: v1:abc\n"
    )
    code = main(["--out", str(tmp_path / "out"), "--project-dir", str(tmp_path)], environ={})
    err = capsys.readouterr().err
    assert code == 1
    assert "no tenant id: set entra-crosstenant:tenantId (env AZURE_TENANT_ID" in err
    assert "entra-crosstenant:clientSecret in the stack config is encrypted" in err
    assert not (tmp_path / "out").exists()


def test_one_partner_by_id_and_the_files_it_writes(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    control = emulator.control
    for tenant in (A, B):
        control.seed_partner(tenant, {"isServiceProvider": True})
    control.seed_sync_policy(
        A, {"displayName": "Contoso", "userSyncInbound": {"isSyncAllowed": True}}
    )
    out = tmp_path / "out"
    mark = control.last_seq()
    argv = ["--out", str(out), "--partner", A.upper(), "--stack", "prod", "--graph-version", "v1.0"]
    assert main(argv, environ=emulator.env) == 0
    graph = [(r["method"], r["path"]) for r in control.requests(since=mark) if r["path"][1] != "_"]
    partners = [call for call in graph if "/partners" in call[1]]
    assert partners == [("GET", f"/v1.0/policies/crossTenantAccessPolicy/partners/{A}")]
    assert graph[-1] == ("GET", "/v1.0/policies/crossTenantAccessPolicy/default")  # by default
    assert sorted(p.name for p in out.iterdir()) == [
        ".gitignore",
        "Pulumi.prod.yaml",
        "Pulumi.yaml",
        "__main__.py",
        "requirements.txt",
    ]
    config = (out / "Pulumi.prod.yaml").read_text()
    assert config == (
        f"config:\n  entra-crosstenant:tenantId: {emulator.tenant_id}\n"
        f"  entra-crosstenant:clientId: {emulator.client_id}\n"
    )
    assert emulator.env["AZURE_CLIENT_SECRET"] not in "".join(p.read_text() for p in out.iterdir())
    program = (out / "__main__.py").read_text()
    assert B not in program and 'display_name="Contoso",' in program
    printed, progress = capsys.readouterr()
    assert progress == ""  # no progress bar when stderr is not a terminal
    assert "pulumi config set --secret entra-crosstenant:clientSecret" in printed
    assert "pulumi stack init prod" in printed

    # A file that now differs is never overwritten without --force, and nothing is written.
    (out / "__main__.py").write_text(program + "# my edit\n")
    assert main(argv, environ=emulator.env) == 1
    assert "already has __main__.py with other content" in capsys.readouterr().err
    assert (out / "__main__.py").read_text().endswith("# my edit\n")
    assert main([*argv, "--force"], environ=emulator.env) == 0
    assert (out / "__main__.py").read_text() == program

    control.delete_object_out_of_band("sync", A)
    control.delete_object_out_of_band("partner", A)
    assert main([*argv, "--force"], environ=emulator.env) == 1
    assert f"there is no partner configuration for tenant {A}" in capsys.readouterr().err


def test_pages_and_throttling_are_followed_and_retries_say_what_they_wait_for(
    emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    control = emulator.control
    tenants = sorted(f"{i:08x}-0000-4000-8000-000000000000" for i in range(7))
    for tenant in tenants:
        control.seed_partner(tenant, {"isServiceProvider": True})
    control.update_settings(page_size=3)
    control.add_fault(method="GET", path="*/partners", status=429, retry_after=0.2, count=1)
    mark = control.last_seq()
    with caplog.at_level(logging.INFO, logger="entra_crosstenant"):
        assert main(["--out", str(tmp_path)], environ=emulator.env) == 0
    pages = [r for r in control.requests(since=mark) if "/partners" in r["path"]]
    assert [r["status"] for r in pages] == [429, 200, 200, 200]
    assert "retrying in 0.2 s after 429 TooManyRequests" in caplog.text
    assert "(GET attempt 1, Retry-After)" in caplog.text
    program = (tmp_path / "__main__.py").read_text()
    assert all(f'partner_tenant_id="{t}"' in program for t in tenants)


def test_sync_policies_alone_name_their_partner_by_id() -> None:
    bodies = [
        {"tenantId": A, "isServiceProvider": True, SYNC: {"displayName": "Contoso"}},
        {"tenantId": B, "isServiceProvider": True, SYNC: None},
    ]
    text = project.program(project.build(HOME, "v1.0", bodies, {"sync-policies"}))
    assert "CrossTenantAccessPolicyPartner" not in text and B not in text
    assert f'    partner_tenant_id="{A}",\n    display_name="Contoso",' in text
    assert "0 partner configurations and 1 identity-sync policy," in text.replace("\n", " ")
