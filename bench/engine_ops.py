"""One workload through the real engine: create, no-change preview and up, refresh (also as
`preview --refresh` and `up --refresh`), update, destroy.

Each operation is timed from the Automation API call to its return (CLI start-up, program run,
provider start-up, every RPC and the state writes included: what a user waits for), with the
process tree sampled for peak memory and the emulator's log read between two marks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
from pulumi import automation as auto

from bench import measure, workload
from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.testing import PulumiEngine

PROJECT = "bench"
# The operations in the order they run; each starts from the state the previous one left.
ENGINE_OPS = (
    "create",
    "preview",
    "up-unchanged",
    "refresh",
    "preview-refresh",
    "up-refresh",
    "update",
    "destroy",
)
# Operations that read every resource (a refresh first): their Graph calls are a refresh's.
REFRESH_OPS = ("refresh", "preview-refresh", "up-refresh")
PLUGIN = "pulumi-resource-pulumi-python"
# How the dynamic-provider plugin is started: the SDK's server as shipped (4 gRPC workers: what
# a normal Pulumi install runs), or ours around it (32 workers: what `make setup` installs).
SERVERS = {
    "stock": "pulumi.dynamic",
    "lifted": "entra_crosstenant._dynamic_server",
}


@dataclass
class Row:
    """One measured operation (or floor run); the CSV has one line per Row."""

    system: str
    n: int
    op: str
    seconds: float
    repeat: int = 0
    parallel: int | None = None
    server: str | None = None
    workload: str = ""
    latency_ms: int | None = None
    graph: dict[str, int] = field(default_factory=dict)
    graph_total: int = 0
    tokens: int = 0
    other_identity: int = 0
    retried: int = 0
    max_in_flight: int = 0
    connections: int = 0
    engine_rss: int | None = None
    provider_rss: int | None = None
    client_rss: int | None = None
    client_cpu: float | None = None
    engine_cpu: float | None = None
    provider_cpu: float | None = None
    program_cpu: float | None = None
    state_bytes: int | None = None
    resources: int | None = None
    pickle_bytes: int | None = None
    changes: dict[str, int] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def add_requests(self, requests: measure.Requests) -> None:
        self.graph = dict(sorted(requests.graph.items()))
        self.graph_total = requests.graph_total
        self.tokens = requests.tokens
        self.other_identity = requests.other_identity
        self.retried = requests.retried_statuses
        self.max_in_flight = requests.max_in_flight
        self.connections = requests.connections


def plugin_root(base: Path, server: str, cli: Path) -> Path:
    """A directory `root/bin` with the CLI and a plugin shim that runs `server`'s module.

    The benchmark brings its own shim (rather than .tools/bin's) so both servers can be compared
    in one run, whatever `make setup` last wrote.
    """
    root = base / f"cli-{server}"
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    link = bin_dir / "pulumi"
    if not link.exists():
        link.symlink_to(cli.resolve())
    shim = bin_dir / PLUGIN
    shim.write_text(
        "#!/bin/sh\n"
        f"# Written by bench/engine_ops.py: the dynamic-provider plugin, {server} server.\n"
        f'exec "${{PULUMI_PYTHON_CMD:-{sys.executable}}}" -u -m {SERVERS[server]} "$@"\n'
    )
    shim.chmod(0o755)
    return root


@dataclass
class EngineRun:
    """Everything one workload run needs; `run()` yields a Row per operation."""

    system: str  # "ours" or "engine floor"
    workload: workload.Workload
    partners: list[str]
    emulator: Emulator
    root: Path  # from plugin_root()
    server: str
    work: Path  # scratch directory of this run (backend, logs)
    parallel: int | None = None
    repeat: int = 0
    log: Callable[[str], None] = print
    ops: tuple[str, ...] = ENGINE_OPS

    def run(self) -> list[Row]:
        names = workload.Names()
        program = workload.PROGRAMS[self.system](self.workload, self.partners, names)
        backend = self.work / "backend"
        backend.mkdir(parents=True, exist_ok=True)
        engine = PulumiEngine(
            home=self.work.parent / "pulumi-home", backend_url=f"file://{backend}", root=self.root
        )
        stack_name = f"n{len(self.partners)}"
        env = dict(self.emulator.env) if self.system == "ours" else {}
        stack = engine.stack(PROJECT, stack_name, program, env=env)
        rows: list[Row] = []
        output = (self.work / "pulumi-output.log").open("a", encoding="utf-8")
        try:
            for op in self.ops:
                if op == "update":
                    names.generation += 1
                output.write(f"\n===== {self.system} n={len(self.partners)} {op}\n")
                row = self._measure(op, stack, output.write)
                if op in ("create", "update"):
                    state = engine.state_file(PROJECT, stack_name)
                    row.state_bytes = state.stat().st_size
                    deployment: dict[str, Any] = dict(stack.export_stack().deployment or {})
                    row.resources = len(
                        [
                            r
                            for r in deployment.get("resources") or []
                            if r["type"].startswith("pulumi-python:dynamic")
                        ]
                    )
                    pickles = measure.provider_pickles(deployment)
                    row.pickle_bytes = max(pickles.values()) if pickles else None
                rows.append(row)
                self.log(one_line(row))
        finally:
            output.close()
        return rows

    def _measure(self, op: str, stack: auto.Stack, out: Callable[[str], Any]) -> Row:
        control = self.emulator.control
        mark = control.last_seq()
        kwargs: dict[str, Any] = {"on_output": out}
        if self.parallel is not None:
            kwargs["parallel"] = self.parallel
        exclude = [self.emulator.process.pid]
        own = psutil.Process().cpu_times()
        with measure.ProcessSampler(exclude=exclude) as sampler, measure.stopwatch() as timed:
            changes = _operate(stack, op, kwargs)
        after = psutil.Process().cpu_times()
        row = Row(
            system=self.system,
            n=len(self.partners),
            op=op,
            seconds=timed.seconds,
            repeat=self.repeat,
            parallel=self.parallel,
            server=self.server,
            workload=self.workload,
            engine_rss=sampler.peaks.peak_rss.get(measure.ENGINE),
            provider_rss=sampler.peaks.peak_rss.get(measure.PROVIDER),
            changes=changes,
            engine_cpu=sampler.peaks.cpu_seconds(measure.ENGINE),
            provider_cpu=sampler.peaks.cpu_seconds(measure.PROVIDER),
            # This process runs the inline program (the Automation API's language host); the
            # sampler's own CPU is taken out.
            program_cpu=(after.user + after.system) - (own.user + own.system) - sampler.own_cpu,
        )
        servers = sampler.peaks.commands.get(measure.PROVIDER, set())
        if servers and not any(SERVERS[self.server] in command for command in servers):
            row.note = f"unexpected provider process: {sorted(servers)}"
        row.add_requests(measure.summarize(control.requests(since=mark)))
        return row


def _operate(stack: auto.Stack, op: str, kwargs: dict[str, Any]) -> dict[str, int]:
    """Run `op`; the engine's count of resources per kind of change ("create", "same", ...)."""
    changes: Mapping[Any, int] | None
    if op in ("create", "up-unchanged", "update"):
        changes = stack.up(**kwargs).summary.resource_changes
    elif op == "up-refresh":
        changes = stack.up(refresh=True, **kwargs).summary.resource_changes
    elif op == "preview":
        changes = stack.preview(**kwargs).change_summary
    elif op == "preview-refresh":
        changes = stack.preview(refresh=True, **kwargs).change_summary
    elif op == "refresh":
        changes = stack.refresh(**kwargs).summary.resource_changes
    elif op == "destroy":
        changes = stack.destroy(**kwargs).summary.resource_changes
    else:
        raise ValueError(op)
    return {str(kind): count for kind, count in (changes or {}).items()}


def one_line(row: Row) -> str:
    """A progress line for the console and bench.log."""
    mib = 1024 * 1024
    head = (
        f"  {row.system:<12} n={row.n:<4} {row.op:<13} {row.seconds:7.2f}s "
        f"graph={row.graph_total:<5} {row.graph} tokens={row.tokens} in-flight={row.max_in_flight} "
    )
    if row.client_rss is not None:
        return head + (
            f"x{row.parallel} rss(client)={row.client_rss / mib:.0f} MiB "
            f"cpu(client)={row.client_cpu or 0:.1f}s"
        )
    rss = "/".join(f"{(x or 0) / mib:.0f}" for x in (row.engine_rss, row.provider_rss))
    return (
        head
        + f"rss(engine/provider)={rss} MiB "
        + f"cpu(engine/provider/program)={row.engine_cpu or 0:.1f}/{row.provider_cpu or 0:.1f}/"
        + f"{row.program_cpu or 0:.1f}s changes={row.changes}"
        + (f" NOTE {row.note}" if row.note else "")
    )
