"""The control API's routes for synchronization: inspect every job and secret of a tenant (as
stored: secrets masked), run a job's cycle now, read the provisioning log, and put a job in
quarantine or take it out, as the service would after failures the emulator does not model (an
injected quarantine holds until start or restart)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from entra_crosstenant.emulator.control import ControlRoute, Services, get, json_body
from entra_crosstenant.emulator.synchronization.model import Synchronization
from entra_crosstenant.emulator.synchronization.provisioning import Provisioner


class SynchronizationControl:
    """`/_emulator/tenants/{tenant}/synchronization`,
    `.../servicePrincipals/{sp}/synchronization/jobs/{job}/quarantine`."""

    def __init__(self, services: Services) -> None:
        self.s = services
        self.provisioner = Provisioner(services.directory)

    def control_routes(self) -> list[ControlRoute]:
        t = "/_emulator/tenants/<tenant>"
        job = f"{t}/servicePrincipals/<sp>/synchronization/jobs/<job>"
        return [
            ControlRoute(f"{t}/synchronization", ("GET",), self._inspect),
            ControlRoute(f"{job}/quarantine", ("PUT", "DELETE"), self._quarantine),
            ControlRoute(f"{job}/cycle", ("POST",), self._cycle, post_status=200),
            ControlRoute(f"{t}/provisioning", ("GET",), self._log),
        ]

    def _cycle(self, request: Request, tenant: str, sp: str, job: str) -> Any:
        """Run the job's cycle now, as the service's schedule would (not for a paused job)."""
        return self.provisioner.cycle(self.s.tenant_id(tenant), sp, job)

    def _log(self, request: Request, tenant: str) -> Any:
        return {"value": self._sync(tenant).log_entries()}

    def _sync(self, tenant: str) -> Synchronization:
        return self.s.directory.tenant(self.s.tenant_id(tenant)).synchronization

    def _inspect(self, request: Request, tenant: str) -> Any:
        sync = self._sync(tenant)
        return {
            "jobs": [
                {"servicePrincipalId": job.service_principal_id, **job.body}
                for job in sync.all_jobs()
            ],
            "secrets": {sp_id: sync.get_secrets(sp_id) for sp_id in sorted(sync.secrets)},
        }

    def _quarantine(self, request: Request, tenant: str, sp: str, job: str) -> Any:
        sync = self._sync(tenant)
        if request.method == "DELETE":
            return sync.clear_quarantine(sp, job)
        body = json_body(request)
        error = get(body, "error", dict) or {
            "code": "InjectedQuarantine",
            "message": "Quarantined through the emulator's control API.",
        }
        reason = get(body, "reason", str) or "EncounteredQuarantineException"
        return sync.quarantine(sp, job, reason, error, sticky=True)
