"""The emulator process: werkzeug's threaded server on 127.0.0.1 with TLS from the persisted test
CA, one WSGI app that adds request ids, faults, latency and the request log around the identity,
Graph and control routes, and the wiring of persistence.

werkzeug 3's development handler closes every connection after one response (and drains the
socket in a way that would eat a pipelined request). Clients of Graph keep connections alive, and
tests must be able to see a retry move to a new connection, so `_Handler` keeps werkzeug's
environ building and request parsing and only replaces the response writing: one response per
request, Content-Length always set, the connection kept unless the client asks otherwise.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from entra_crosstenant.clouds import get_cloud
from entra_crosstenant.emulator.applications.model import DEFAULT_ROLES, AppDirectory, new_secret
from entra_crosstenant.emulator.areas import control_areas, graph_areas
from entra_crosstenant.emulator.control import ControlApi, Defaults, Services
from entra_crosstenant.emulator.directory import Directory
from entra_crosstenant.emulator.faults import FaultInjector, FaultRule
from entra_crosstenant.emulator.graph import GraphApi, add_graph_headers, graph_fault_response
from entra_crosstenant.emulator.identity.github import GitHubOidc
from entra_crosstenant.emulator.identity.platform import AuthError, IdentityPlatform
from entra_crosstenant.emulator.identity.routes import IdentityRoutes
from entra_crosstenant.emulator.identity.tokens import TokenIssuer, unverified_tenant
from entra_crosstenant.emulator.requestlog import RequestLog
from entra_crosstenant.emulator.storage import Flusher, StateDir
from entra_crosstenant.emulator.synchronization.provisioning import Provisioner, Scheduler
from entra_crosstenant.emulator.wire import Call, json_response

DROP = "entra_emulator.drop"
MAX_BODY = 1 << 20
_StartResponse = Callable[..., Callable[[bytes], None]]


@dataclass(frozen=True)
class Options:
    """What the CLI accepts."""

    state_dir: Path
    port: int | None = None
    cloud: str = "public"  # any name entra_crosstenant.clouds.get_cloud knows
    latency_ms: int = 0
    token_lifetime_s: int = 3599
    put_upsert: bool = False
    sp_replication_ms: int = 1000
    sync_interval_ms: int = 0


class EmulatorApp:
    """The WSGI application around the three route sets."""

    def __init__(
        self,
        services: Services,
        identity: IdentityRoutes,
        graph: GraphApi,
        control: ControlApi,
    ) -> None:
        self.services = services
        self.identity = identity
        self.graph = graph
        self.control = control

    def __call__(self, environ: dict[str, Any], start_response: _StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request = Request(environ)
        request.max_content_length = MAX_BODY
        client_request_id = (
            request.headers.get("client-request-id")
            or request.headers.get("x-ms-client-request-id")
            or str(uuid.uuid4())
        )
        call = Call(str(uuid.uuid4()), client_request_id[:100], request.host_url.rstrip("/"))
        try:
            request.get_data()  # drain the body now: the connection is reused afterwards
        except RequestEntityTooLarge:
            environ[DROP] = True
            return []
        path = request.path
        if path.startswith("/_emulator"):
            response = self.control.handle(request, call)
            self._stamp(response, call, graph=False)
            return response(environ, start_response)
        graph = path.lower().startswith(("/v1.0/", "/beta/"))
        tenant = self._tenant_hint(request, graph)
        decision = self.services.faults.decide(request.method, path, tenant)
        if decision.latency_ms:
            time.sleep(decision.latency_ms / 1000)  # outside every lock
        rule = decision.rule if decision.fails else None
        service = self.graph if graph else self.identity
        if rule is not None and rule.after_apply:
            service.handle(request, call)  # applied, unheard
        if rule is not None and rule.drop:
            environ[DROP] = True
            self._log(request, call, None, started, graph, tenant, rule)
            return []
        response = (
            self._fault(rule, call, graph) if rule is not None else service.handle(request, call)
        )
        self._stamp(response, call, graph)
        self._log(request, call, response.status_code, started, graph, tenant, decision.rule)
        return response(environ, start_response)

    @staticmethod
    def _tenant_hint(request: Request, graph: bool) -> str | None:
        if not graph:
            return IdentityRoutes.tenant_of(request.path)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return unverified_tenant(token.strip()) if scheme.lower() == "bearer" else None

    @staticmethod
    def _fault(rule: FaultRule, call: Call, graph: bool) -> Response:
        status = rule.status or 500
        if graph:
            response = graph_fault_response(call, status, rule.error_code, rule.message)
        else:
            error = rule.error_code or (
                "temporarily_unavailable" if status >= 500 else "invalid_request"
            )
            message = rule.message or "A transient error has occurred. Please try again."
            response = json_response(AuthError(status, error, 90033, message).body(call), status)
        if rule.retry_after is not None:
            response.headers["Retry-After"] = rule.retry_after
        return response

    @staticmethod
    def _stamp(response: Response, call: Call, graph: bool) -> None:
        response.headers["request-id"] = call.request_id
        response.headers["client-request-id"] = call.client_request_id
        if graph:
            add_graph_headers(response)
        else:
            response.headers["x-ms-request-id"] = call.request_id

    def _log(
        self,
        request: Request,
        call: Call,
        status: int | None,
        started: float,
        graph: bool,
        tenant: str | None,
        rule: FaultRule | None,
    ) -> None:
        environ = request.environ
        self.services.log.record(
            {
                "time": time.time(),
                "method": request.method,
                "path": request.path,
                "query": request.query_string.decode("latin-1"),
                "status": status,
                "client_request_id": call.client_request_id,
                "request_id": call.request_id,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "api": "graph" if graph else "identity",
                "tenant": call.log.get("tenant") or tenant,
                "client_id": call.log.get("client_id"),
                "grant": call.log.get("grant"),
                "connection": f"{environ.get('REMOTE_ADDR')}:{environ.get('REMOTE_PORT')}",
                "fault": rule.id if rule is not None else None,
                "dropped": status is None,
            }
        )


class _Handler(WSGIRequestHandler):
    """werkzeug's request handling with HTTP/1.1 keep-alive and dropped-connection faults."""

    protocol_version = "HTTP/1.1"
    timeout = 120  # an idle keep-alive connection is closed after this many seconds
    disable_nagle_algorithm = True

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.make_environ()
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            started[:] = [status, headers]
            return lambda data: None

        try:
            body = b"".join(self.server.app(environ, start_response))
        except Exception:  # noqa: BLE001 - one failing request must not kill the connection
            print(f"entra-emulator: unhandled error\n{traceback.format_exc()}", file=sys.stderr)
            started[:] = ["500 INTERNAL SERVER ERROR", [("Content-Type", "application/json")]]
            body = b'{"error":{"code":"InternalServerError","message":"See the emulator log."}}'
        if environ.get(DROP):
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, headers = started
        self.send_response(int(status.split(" ", 1)[0]))
        for name, value in headers:
            if name.lower() not in ("content-length", "date", "server", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        # One write for headers and body: fewer TLS records, no Nagle stall.
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(body)
        self.flush_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Requests go to the request log, not to stderr."""


class _TLSServer(ThreadedWSGIServer):
    """Does each TLS handshake in the connection's own thread, so a slow client cannot stall
    the accept loop (werkzeug would wrap the listening socket instead)."""

    daemon_threads = True

    def __init__(self, port: int, tls: ssl.SSLContext) -> None:
        super().__init__("127.0.0.1", port, _not_ready, handler=_Handler)
        self.ssl_context = tls  # makes environ say https; wrapping happens per connection
        self._tls = tls

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(10)
        try:
            connection = self._tls.wrap_socket(request, server_side=True)
        except OSError:  # a client that did not trust us, or went away mid-handshake
            request.close()
            return
        try:
            super().finish_request(connection, client_address)
        finally:
            connection.close()


def _not_ready(environ: Any, start_response: Any) -> Iterable[bytes]:
    start_response("503 SERVICE UNAVAILABLE", [("Content-Type", "text/plain")])
    return [b"starting"]


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class EmulatorServer:
    """Builds the whole emulator from a state folder and runs it until told to stop."""

    def __init__(self, options: Options) -> None:
        self.state = StateDir(options.state_dir)
        keys = self.state.keys()
        cloud = get_cloud(options.cloud)
        directory = Directory(cloud)
        saved = self.state.load_state()
        if saved is not None:
            directory.load_state(saved)
        env = self.state.read_env()
        apps = AppDirectory(directory)
        default = apps.app(env.get("AZURE_CLIENT_ID", "")) if env else None
        secret = env.get("AZURE_CLIENT_SECRET", "")
        if default is None or not default.check_secret(secret):
            secret = new_secret()
            default = apps.register_app(
                directory.create_tenant(env.get("AZURE_TENANT_ID") or None),
                display_name="entra-emulator default app",
                roles=DEFAULT_ROLES,
                secrets=[secret],
            )
        directory.default_client_id = default.client_id
        directory.put_upsert = options.put_upsert
        directory.sp_replication_ms = options.sp_replication_ms
        directory.sync_interval_ms = options.sync_interval_ms

        port = options.port
        if port is None:
            previous = self.state.previous_port()
            port = previous if previous and _port_is_free(previous) else 0
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(str(self.state.tls_path))
        self.server = _TLSServer(port, tls)
        self.url = f"https://127.0.0.1:{self.server.port}"

        issuer = TokenIssuer(keys.signing_key_pem.encode("ascii"), cloud, options.token_lifetime_s)
        github = GitHubOidc(keys.github_key_pem.encode("ascii"), f"{self.url}/_github")
        platform = IdentityPlatform(directory, issuer, github, keys.identity_header)
        self.flusher = Flusher(lambda: directory.changes, directory.to_state, self.state.save_state)
        # Cycles of active synchronization jobs every --sync-interval-ms (the setting can change).
        self.scheduler = Scheduler(Provisioner(directory))
        services = Services(
            directory=directory,
            faults=FaultInjector(options.latency_ms),
            log=RequestLog(),
            issuer=issuer,
            platform=platform,
            github=github,
            defaults=Defaults(
                latency_ms=options.latency_ms,
                put_upsert=options.put_upsert,
                token_lifetime_s=options.token_lifetime_s,
                sp_replication_ms=options.sp_replication_ms,
                sync_interval_ms=options.sync_interval_ms,
            ),
            flush=self.flusher.flush,
            info={
                "url": self.url,
                "cloud": cloud.name,
                "graph_audience": cloud.graph_audience,
                "tenant_id": default.tenant_id,
                "client_id": default.client_id,
                "state_dir": str(self.state.path),
                "env_path": str(self.state.env_path),
                "ca_path": str(self.state.ca_path),
            },
        )
        self.server.app = EmulatorApp(  # type: ignore[assignment]
            services,
            IdentityRoutes(platform),
            GraphApi(directory, issuer, graph_areas(directory)),
            ControlApi(services, control_areas(services)),
        )
        self.state.write_env(
            {
                "AZURE_TENANT_ID": default.tenant_id,
                "AZURE_CLIENT_ID": default.client_id,
                "AZURE_CLIENT_SECRET": secret,
                "AZURE_AUTHORITY_HOST": self.url,
                "ENTRA_GRAPH_ENDPOINT": self.url,
                "ENTRA_CA_BUNDLE": str(self.state.ca_path),
                # The token scope follows the cloud; without this a client would ask for public.
                "ENTRA_CLOUD": cloud.name,
            }
        )
        self.flusher.flush()

    @property
    def ready_line(self) -> str:
        return (
            f"entra-emulator listening on {self.url} env={self.state.env_path} "
            f"ca={self.state.ca_path}"
        )

    def serve_until(self, stop: threading.Event) -> None:
        """Serve in a background thread until `stop` is set; then stop and save."""
        thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self.flusher.start()
        self.scheduler.start()
        thread.start()
        print(self.ready_line, flush=True)
        while not stop.wait(0.5):
            pass
        self.server.shutdown()
        thread.join()
        self.scheduler.stop()
        self.flusher.stop()
