"""The control API's side of a device code sign-in: the person at the verification page.

`GET /_emulator/devicelogin` lists the sign-ins in flight (their user codes, as a test or a
person reads them from the prompt); `POST` `{"user_code", "user"}` signs one in as that user
(sign-in name or object id), `{"user_code", "decline": true}` declines it. `PUT
/_emulator/devicelogin/settings` `{"interval", "expires_in"}` (seconds) sets how often clients are
told to poll and how long new codes live (Entra: 5 and 900).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from entra_crosstenant.emulator.control import ControlError, ControlRoute, get, json_body
from entra_crosstenant.emulator.identity.delegated import DelegatedSignIn


class SignInControl:
    def __init__(self, delegated: DelegatedSignIn) -> None:
        self.delegated = delegated

    def control_routes(self) -> list[ControlRoute]:
        return [
            ControlRoute("/_emulator/devicelogin", ("GET", "POST"), self._device_login, 200),
            ControlRoute("/_emulator/devicelogin/settings", ("PUT",), self._settings),
        ]

    def _device_login(self, request: Request) -> Any:
        if request.method == "GET":
            return {"pending": self.delegated.pending(), "interval": self.delegated.interval_s}
        body = json_body(request)
        code = get(body, "user_code", str)
        if not code:
            raise ControlError(400, "'user_code' is required")
        decline = bool(get(body, "decline", bool, False))
        user = get(body, "user", str)
        if not decline and not user:
            raise ControlError(400, "'user' (sign-in name or object id) is required")
        try:
            return self.delegated.answer(code, user, decline=decline)
        except LookupError as exc:
            raise ControlError(404, str(exc)) from None

    def _settings(self, request: Request) -> Any:
        body = json_body(request)
        for name in ("interval", "expires_in"):
            seconds = get(body, name, int)
            if seconds is None:
                continue
            if isinstance(seconds, bool) or not 0 <= seconds <= 3600:
                raise ControlError(400, f"'{name}' must be an integer from 0 to 3600 (seconds)")
            setattr(self.delegated, f"{name}_s", seconds)
        return {"interval": self.delegated.interval_s, "expires_in": self.delegated.expires_in_s}
