"""An offline Microsoft Graph and Microsoft identity platform for cross-tenant sync policies.

Start it with `python -m entra_crosstenant.emulator --state-dir DIR`, or from Python/pytest
with `entra_crosstenant.emulator.client.Emulator` and the `entra_emulator` fixtures (see
docs/emulator.md). The client helpers import only `requests`; the server needs the `emulator`
extra (werkzeug, trustme).
"""
