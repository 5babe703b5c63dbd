"""The secret scan every scenario ends with finds what it looks for, wherever it is planted:
a client secret in engine output, an access token in the bucket, a private key in PULUMI_HOME.
Without this, a scan that read nothing would pass every scenario."""

from __future__ import annotations

from tests.team.support import SecretScan, Team


def test_the_scan_finds_planted_secrets_in_every_place_it_reads(team: Team) -> None:
    engine = team.engine("laptop-9")
    clean = SecretScan.for_team(team).scan_everything(team, [])
    assert clean == []

    secret = team.emulator.env["AZURE_CLIENT_SECRET"]
    token = team.control.mint_token()
    team.output.append(f"error: could not sign in with {secret}")
    team.s3.client().put_object(Bucket=team.s3.bucket, Key="planted.json", Body=token.encode())
    (engine.home / "leak.log").write_text("-----BEGIN PRIVATE KEY-----\nMIIE...\n")
    team.output.append("Authorization: Bearer eyJ0eXAi")  # a truncated token in plain text

    findings = SecretScan.for_team(team).scan_everything(team, [])
    assert "engine output #0: a client secret" in findings
    assert f"s3://{team.s3.bucket}/planted.json: an access token" in findings
    assert "laptop-9:leak.log: a private key" in findings
    assert "engine output #1: the JWT prefix eyJ" in findings
