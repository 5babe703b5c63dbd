"""What the team-state scenarios share: one tenant (the emulator), one S3 state backend (moto),
engines that stand for different machines, engine runs in their own processes (so two can run at
once and one can be killed), and the checks every scenario ends with: Graph and state agree
object by object, and no secret is anywhere a user or CI could read.

Also used by bench/soak.py with larger counts, so nothing here asserts on sizes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from pulumi import automation as auto

from entra_crosstenant import CrossTenantIdentitySyncPolicyPartner
from entra_crosstenant.emulator.client import Emulator, EmulatorControl
from entra_crosstenant.resources.partner import SETTINGS as PARTNER_SETTINGS
from entra_crosstenant.testing import PulumiEngine
from entra_crosstenant.testing.s3 import LocalS3Backend

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "partner-sync"
PROJECT = "partner-sync"
SYNC_TYPE = "CrossTenantIdentitySyncPolicyPartner"
# Every process an engine run starts (runner, CLI, provider) inherits this variable, so teardown
# finds and ends exactly those processes, even ones orphaned by a kill.
RUN_MARKER = "ENTRA_TEAM_TEST_RUN"

Partner = dict[str, Any]  # the example's shape: {"name", "tenantId", "displayName", ...}


def tenant_id(index: int, group: int = 0) -> str:
    """A distinct, readable partner tenant id per (group, index)."""
    return f"{group:04x}{index:04x}-7e57-4000-8000-{index:012x}"


def partners(count: int, *, group: int = 0, label: str = "Partner") -> list[Partner]:
    return [
        {
            "name": f"g{group}-p{i:03d}",
            "tenantId": tenant_id(i, group),
            "displayName": f"{label} {group}-{i:03d}",
        }
        for i in range(count)
    ]


# -- programs -----------------------------------------------------------------------------
def sync_fleet(declared: Sequence[Partner]) -> Callable[[], None]:
    """Only the sync policies (the partner configurations exist already, seeded in Graph)."""

    def program() -> None:
        for partner in declared:
            CrossTenantIdentitySyncPolicyPartner(
                f"sync-{partner['name']}",
                partner_tenant_id=partner["tenantId"],
                display_name=partner.get("displayName"),
                user_sync_allowed=partner.get("userSyncAllowed", True),
            )

    return program


def example_program(declared: Sequence[Partner]) -> Callable[[], None]:
    """examples/partner-sync exactly as users run it (its `deploy()`)."""
    if str(EXAMPLE) not in sys.path:
        sys.path.insert(0, str(EXAMPLE))
    import partner_sync  # the example lives outside the package on purpose

    return lambda: partner_sync.deploy(declared)


PROGRAMS: dict[str, Callable[[Sequence[Partner]], Callable[[], None]]] = {
    "sync": sync_fleet,
    "example": example_program,
}


# -- the world ----------------------------------------------------------------------------
@dataclass
class Team:
    """One tenant, one shared S3 state backend, and a PULUMI_HOME per machine."""

    emulator: Emulator
    s3: LocalS3Backend
    root: Path
    consistency_window: str = "3"
    output: list[str] = field(default_factory=list)
    runs: list[EngineRun] = field(default_factory=list)
    stacks: dict[str, auto.Stack] = field(default_factory=dict)
    _engines: dict[str, PulumiEngine] = field(default_factory=dict)

    @property
    def control(self) -> EmulatorControl:
        return self.emulator.control

    def env(self, **overrides: str) -> dict[str, str]:
        """The provider's settings (the emulator's env file) plus test-friendly waits."""
        return {
            **self.emulator.env,
            "ENTRA_CONSISTENCY_WINDOW_SECONDS": self.consistency_window,
            **overrides,
        }

    def engine(self, machine: str = "laptop-1") -> PulumiEngine:
        """The engine of one machine: its own PULUMI_HOME, the team's S3 backend."""
        if machine not in self._engines:
            self._engines[machine] = PulumiEngine(
                home=self.root / "homes" / machine,
                backend_url=self.s3.backend_url,
                extra_env=self.s3.env,
            )
        return self._engines[machine]

    def stack(
        self,
        name: str,
        declared: Sequence[Partner],
        *,
        program: str = "sync",
        machine: str = "laptop-1",
        **env: str,
    ) -> auto.Stack:
        stack = self.engine(machine).stack(
            PROJECT, name, PROGRAMS[program](declared), env=self.env(**env)
        )
        if program == "example":
            stack.set_config(f"{PROJECT}:partners", auto.ConfigValue(json.dumps(list(declared))))
        self.stacks[f"{machine}/{name}"] = stack
        return stack

    def seed_partners(self, declared: Iterable[Partner]) -> None:
        for partner in declared:
            self.control.seed_partner(partner["tenantId"])

    # -- running the engine in this process, output collected --------------------------
    def run(self, stack: auto.Stack, op: str, **options: Any) -> Any:
        """`up`/`preview`/`refresh`/`destroy` with every output line kept for the secret scan."""
        method = getattr(stack, op)
        try:
            return method(
                on_output=self.output.append, on_error=self.output.append, color="never", **options
            )
        except auto.CommandError as error:
            self.output.append(str(error))
            raise

    # -- engine runs in their own processes ----------------------------------------------
    def start(
        self,
        stack_name: str,
        op: str,
        declared: Sequence[Partner],
        *,
        program: str = "sync",
        machine: str = "laptop-1",
        options: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> EngineRun:
        """Run one operation in a child process (see tests/team/_runner.py)."""
        engine = self.engine(machine)
        run_dir = self.root / "runs" / uuid.uuid4().hex[:8]
        run_dir.mkdir(parents=True)
        spec = {
            "project": PROJECT,
            "stack": stack_name,
            "op": op,
            "program": program,
            "partners": list(declared),
            "home": str(engine.home),
            "backend_url": engine.backend_url,
            "engine_env": dict(engine.extra_env),
            "env": self.env(**(env or {})),
            "options": dict(options or {}),
            "output": str(run_dir / "output.txt"),
            "result": str(run_dir / "result.json"),
        }
        (run_dir / "spec.json").write_text(json.dumps(spec))
        run = EngineRun.start(run_dir, self.output)
        self.runs.append(run)
        return run

    def close(self) -> None:
        """End every process the runs started (a failed test must not leave a CLI behind)."""
        for run in self.runs:
            run.reap()


@dataclass
class EngineRun:
    """An Automation API run in a child process: its CLI can be found, killed, waited for."""

    process: subprocess.Popen[bytes]
    run_dir: Path
    marker: str
    sink: list[str]

    @classmethod
    def start(cls, run_dir: Path, sink: list[str]) -> EngineRun:
        marker = uuid.uuid4().hex
        log = (run_dir / "runner.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.team._runner", str(run_dir / "spec.json")],
            cwd=REPO,
            env={**os.environ, RUN_MARKER: marker},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        return cls(process, run_dir, marker, sink)

    def cli(self, timeout: float = 60.0) -> psutil.Process:
        """The `pulumi` CLI this run started, once it exists."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for child in self._tree():
                try:
                    if child.name() == "pulumi":
                        return child
                except psutil.NoSuchProcess:
                    continue
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"no pulumi CLI under the runner; {self.log()}")

    def _tree(self) -> list[psutil.Process]:
        try:
            runner = psutil.Process(self.process.pid)
            children: list[psutil.Process] = runner.children(recursive=True)
            return children
        except psutil.NoSuchProcess:
            return []

    def kill_engine(self, *, with_provider: bool = True) -> list[int]:
        """SIGKILL the CLI (then, like a dying CI job, its provider process): pids killed."""
        cli = self.cli()
        below = cli.children(recursive=True)
        killed = [cli.pid]
        cli.kill()
        if with_provider:
            for process in below:
                try:
                    process.kill()
                    killed.append(process.pid)
                except psutil.NoSuchProcess:
                    pass
        return killed

    def wait(self, timeout: float = 300.0) -> dict[str, Any]:
        """The run's result (`ok`, `summary`, `error`); its output lines go to the team's sink."""
        try:
            self.process.wait(timeout)
        finally:
            output = self.run_dir / "output.txt"
            if output.exists():
                self.sink.append(output.read_text(errors="replace"))
            self.sink.append(self.log())
        result = self.run_dir / "result.json"
        if not result.exists():
            return {"ok": False, "error": f"the runner left no result; {self.log()}"}
        loaded: dict[str, Any] = json.loads(result.read_text())
        return loaded

    def log(self) -> str:
        path = self.run_dir / "runner.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def _marked(self) -> Iterator[psutil.Process]:
        """Every live process this run started (they inherit its marker), orphans included."""
        for process in psutil.process_iter(["pid"]):
            try:
                if process.environ().get(RUN_MARKER) == self.marker:
                    yield process
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue

    def providers_left(self, wait: float = 20.0) -> list[int]:
        """Pids of this run's provider servers still running `wait` s after its engine ended.

        A provider outlives a killed engine only until it sees its parent gone and the calls
        it had in flight finish (entra_crosstenant._dynamic_server); anything still here after
        that would run on forever."""
        deadline = time.monotonic() + wait
        while True:
            left = []
            for process in self._marked():
                try:
                    command = process.cmdline()
                    running = process.status() != psutil.STATUS_ZOMBIE
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    continue
                if running and "entra_crosstenant._dynamic_server" in command:
                    left.append(process.pid)
            if not left or time.monotonic() >= deadline:
                return left
            time.sleep(0.2)

    def reap(self) -> list[int]:
        """End every process this run started (found by its marker), each by its pid."""
        ended = []
        for process in self._marked():
            try:
                process.kill()
                ended.append(process.pid)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)
        return ended


# -- what Graph and state hold -------------------------------------------------------------
def graph_policies(team: Team, tenant: str | None = None) -> list[dict[str, Any]]:
    """Every sync policy Graph holds in the tenant (primary copy, no lag)."""
    found: list[dict[str, Any]] = team.control.list_objects("sync", tenant=tenant)
    return found


def deployment(stack: auto.Stack) -> dict[str, Any]:
    """The stack's checkpoint as `pulumi stack export` gives it."""
    exported = stack.export_stack().deployment
    assert exported is not None, f"stack {stack.name} has no deployment"
    return dict(exported)


def state_resources(stack: auto.Stack, type_suffix: str) -> list[dict[str, Any]]:
    return [r for r in deployment(stack).get("resources") or [] if r["type"].endswith(type_suffix)]


def state_policies(stack: auto.Stack) -> list[dict[str, Any]]:
    return state_resources(stack, SYNC_TYPE)


def pending_operations(stack: auto.Stack) -> list[dict[str, Any]]:
    pending: list[dict[str, Any]] = deployment(stack).get("pending_operations") or []
    return pending


def _sync_allowed(policy: Mapping[str, Any]) -> Any:
    return (policy.get("userSyncInbound") or {}).get("isSyncAllowed")


def converged(
    team: Team,
    stack: auto.Stack,
    declared: Sequence[Partner],
    *,
    foreign: Iterable[str] = (),
    program: str = "sync",
) -> list[str]:
    """Differences between what is declared, what Graph holds and what state records.

    Empty when every declared policy exists exactly once in Graph with the declared values,
    nothing else exists there (but the `foreign` partners another stack manages), and state
    holds exactly one resource per policy whose outputs equal Graph's object field by field
    (argument <-> Graph name, as documented). For the example program the partner
    configurations are checked the same way.
    """
    problems = _sync_differences(team, stack, declared, set(foreign))
    if program == "example":
        problems += _partner_differences(team, stack, declared, set(foreign))
    if pending := pending_operations(stack):
        problems.append(f"{len(pending)} pending operation(s) left in state")
    return problems


def _live(
    objects: list[dict[str, Any]], want: Iterable[str], others: set[str], what: str
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Graph's objects by tenant id (another stack's left out), and what is duplicated, missing
    or undeclared among them."""
    mine = [o for o in objects if o["tenantId"] not in others]
    keys = [o["tenantId"] for o in mine]
    live = {o["tenantId"]: o for o in mine}
    wanted = set(want)
    problems = [f"Graph holds {what} twice: {k}" for k in sorted(set(keys)) if keys.count(k) > 1]
    problems += [f"{what} missing in Graph: {t}" for t in sorted(wanted - set(live))]
    problems += [f"{what} undeclared in Graph: {t}" for t in sorted(set(live) - wanted)]
    return live, problems


def _recorded(
    stack: auto.Stack,
    type_suffix: str,
    live: Mapping[str, dict[str, Any]],
    what: str,
    problems: list[str],
) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """State's resources of one type with their outputs and Graph's object, to compare field by
    field; how their ids differ from Graph's is added to `problems`."""
    recorded = state_resources(stack, type_suffix)
    ids = [str(r.get("id")) for r in recorded]
    problems += [f"state holds {what} twice: {i}" for i in sorted(set(ids)) if ids.count(i) > 1]
    if set(ids) != set(live):
        problems.append(
            f"{what}: only in state {sorted(set(ids) - set(live))}, "
            f"only in Graph {sorted(set(live) - set(ids))}"
        )
    for resource in recorded:
        if (graph_object := live.get(str(resource.get("id")))) is not None:
            yield resource, resource.get("outputs") or {}, graph_object


def same_graph_value(a: Any, b: Any) -> bool:
    """Equal as Graph means it: null is "not set", and target lists have no order."""
    return bool(_without_nulls(a) == _without_nulls(b))


def _without_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return sorted(
            (_without_nulls(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True)
        )
    return value


def _partner_differences(
    team: Team, stack: auto.Stack, declared: Sequence[Partner], others: set[str]
) -> list[str]:
    objects = team.control.list_objects("partner")
    live, problems = _live(objects, (p["tenantId"] for p in declared), others, "partner")
    for tenant, partner in live.items():
        consent = partner.get("automaticUserConsentSettings") or {}
        if consent.get("inboundAllowed") is not True:
            problems.append(f"{tenant}: partner inbound consent {consent!r}")
    for resource, outputs, partner in _recorded(
        stack, "CrossTenantAccessPolicyPartner", live, "partners", problems
    ):
        for arg, name in PARTNER_SETTINGS.items():
            # Graph fills a setting's unset sub-settings with nulls; null means "not set".
            if outputs.get(arg) is not None and not same_graph_value(
                outputs[arg], partner.get(name)
            ):
                problems.append(f"{resource['id']}: state {arg}={outputs[arg]!r}, Graph {name}")
    return problems


def _sync_differences(
    team: Team, stack: auto.Stack, declared: Sequence[Partner], others: set[str]
) -> list[str]:
    want = {p["tenantId"]: p for p in declared}
    live, problems = _live(graph_policies(team), want, others, "sync policy")
    for tenant, partner in want.items():
        policy = live.get(tenant)
        if policy is None:
            continue
        if policy.get("displayName") != partner.get("displayName"):
            problems.append(f"{tenant}: Graph displayName {policy.get('displayName')!r}")
        if _sync_allowed(policy) is not partner.get("userSyncAllowed", True):
            problems.append(f"{tenant}: Graph isSyncAllowed {_sync_allowed(policy)!r}")
    for resource, outputs, policy in _recorded(stack, SYNC_TYPE, live, "sync policies", problems):
        pairs = {
            "partner_tenant_id": (outputs.get("partner_tenant_id"), policy.get("tenantId")),
            "display_name": (outputs.get("display_name"), policy.get("displayName")),
            "user_sync_allowed": (outputs.get("user_sync_allowed"), _sync_allowed(policy)),
        }
        for name, (in_state, in_graph) in pairs.items():
            if in_state != in_graph:
                problems.append(f"{resource['id']}: state {name}={in_state!r}, Graph {in_graph!r}")
    return problems


# -- secrets -------------------------------------------------------------------------------
# Two base64url JSON segments: a JWT. Ciphertext in state is base64 too, so a bare "eyJ" can
# occur in it by chance; in plain text (engine output, logs) any "eyJ" is looked for.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}")
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")


@dataclass
class SecretScan:
    """Looks for the app secrets, any access token and any private key in what users can read."""

    secrets: list[str]
    token_header: str
    findings: list[str] = field(default_factory=list)

    @classmethod
    def for_team(cls, team: Team, extra_secrets: Iterable[str] = ()) -> SecretScan:
        secrets = [v for k, v in team.emulator.env.items() if "SECRET" in k and v]
        # Every token the emulator issues shares this header (algorithm, key id, type).
        header = team.control.mint_token().split(".")[0]
        return cls([*secrets, *extra_secrets], header)

    def scan(self, where: str, text: str, *, plain: bool) -> None:
        for secret in self.secrets:
            if secret in text:
                self.findings.append(f"{where}: a client secret")
        if self.token_header in text or _JWT.search(text):
            self.findings.append(f"{where}: an access token")
        if plain and "eyJ" in text:
            self.findings.append(f"{where}: the JWT prefix eyJ")
        if _PRIVATE_KEY.search(text):
            self.findings.append(f"{where}: a private key")

    def scan_everything(self, team: Team, stacks: Iterable[auto.Stack]) -> list[str]:
        """Exported states, every object in the bucket, every engine output, every PULUMI_HOME."""
        for stack in stacks:
            exported = json.dumps(deployment(stack))
            self.scan(f"export of {stack.name}", exported, plain=False)
            for path in sorted(Path(stack.workspace.work_dir).glob("Pulumi*.yaml")):
                self.scan(f"workspace {path.name}", path.read_text(), plain=False)
        for key in team.s3.keys():
            self.scan(f"s3://{team.s3.bucket}/{key}", team.s3.read(key).decode(), plain=False)
        for index, text in enumerate(team.output):
            self.scan(f"engine output #{index}", text, plain=True)
        for machine, engine in team._engines.items():
            for path in sorted(engine.home.rglob("*")):
                if path.is_file() and path.stat().st_size < 5_000_000:
                    text = path.read_bytes().decode(errors="replace")
                    self.scan(f"{machine}:{path.relative_to(engine.home)}", text, plain=False)
        return self.findings


def assert_no_secrets(team: Team, *extra_secrets: str) -> None:
    """The closing check of every scenario (see SecretScan.scan_everything): every stack the
    team touched, the bucket, all engine output, every PULUMI_HOME."""
    findings = SecretScan.for_team(team, extra_secrets).scan_everything(team, team.stacks.values())
    assert findings == [], findings
