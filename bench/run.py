"""Run every benchmark and write bench/results/: `python -m bench.run` (or `make bench`).

For each N: our resources through the real engine (create, no-change preview, no-change up,
refresh, `preview --refresh`, `up --refresh`, an update of every display name, destroy), with the
SDK's stock provider server (what users get) and again with the widened one; the engine floor
(same program with Echo, no network), the HTTP floor (the same Graph calls from plain requests,
sequential and at the engine's parallelism) and the SDK peer (the creates with msgraph-sdk), all
against one emulator with the same latency. Then the thread-pool sweep: create at one N with the
engine's --parallel at several values, with both servers. See bench/README.md.

    python -m bench.run --quick                 # smoke run: N=1,10, small sweep (a few minutes)
    python -m bench.run                         # N=1,10,100,500, latency 40 ms (about an hour)
    python -m bench.run --n 100 --latency-ms 200 --repeat 3 --out /tmp/b
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import itertools
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import engine_ops, floors, report, workload
from bench.engine_ops import EngineRun, Row
from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.testing import PulumiEngine

ROOT = Path(__file__).resolve().parent.parent
HTTP_OPS = ("create", "refresh", "update", "destroy")
SYSTEM_OURS, SYSTEM_FLOOR = "ours", "engine floor"


@dataclass
class Options:
    ns: list[int]
    latency_ms: int
    repeat: int
    out: Path
    parallel: int | None
    servers: list[str]  # the first is the main column (and the engine floor's); then others
    workload: workload.Workload
    sweep_n: int
    sweep_parallel: list[int]
    sweep_latency_ms: list[int]
    sdk_peer: bool
    max_load: float | None
    command: str


@dataclass
class Context:
    """What the report says about the run besides the rows."""

    started: str = ""
    finished: str = ""
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    machine: str = ""
    pulumi_cli: str = ""
    pulumi_sdk: str = importlib.metadata.version("pulumi")
    python: str = platform.python_version()
    engine_parallel: int = 0
    servers: list[str] = field(default_factory=list)
    peer: str = ""
    peer_error: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--n", default=None, help="comma-separated partner counts (1,10,100,500)")
    parser.add_argument("--latency-ms", type=int, default=40, help="emulator latency per request")
    parser.add_argument("--repeat", type=int, default=None, help="runs of everything (median)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument(
        "--parallel", type=int, default=None, help="engine --parallel (default: the CLI's own)"
    )
    parser.add_argument(
        "--servers",
        default="stock,lifted",
        help="provider servers to run ours with, comma-separated; the first is the main column "
        "(and the engine floor's): stock (the SDK's, 4 workers: what users get), lifted (ours, "
        "what `make setup` installs)",
    )
    parser.add_argument(
        "--workload", choices=["auto", "full", "sync-only"], default="auto", help="see workload.py"
    )
    parser.add_argument("--sweep-n", type=int, default=None, help="N of the thread-pool sweep")
    parser.add_argument("--sweep-parallel", default=None, help="engine --parallel values to sweep")
    parser.add_argument(
        "--sweep-latency-ms",
        default=None,
        help="emulator latencies of the sweep (default: --latency-ms, and 200 to show where the "
        "cap bites)",
    )
    parser.add_argument("--no-sweep", action="store_true", help="skip the thread-pool sweep")
    parser.add_argument("--no-sdk-peer", action="store_true", help="skip msgraph-sdk")
    parser.add_argument(
        "--max-load",
        type=float,
        default=None,
        help="wait (up to 15 min) until the 1-minute load average is below this before measuring",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: N=1,10, small sweep")
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    ns = args.n or ("1,10" if quick else "1,10,100,500")
    sweep = args.sweep_parallel or ("4,16" if quick else "4,8,16,32")
    chosen: workload.Workload = (
        workload.available_workload() if args.workload == "auto" else args.workload
    )
    servers = [x.strip() for x in args.servers.split(",") if x.strip()]
    if not servers or any(x not in engine_ops.SERVERS for x in servers):
        parser.error(f"--servers takes names from {sorted(engine_ops.SERVERS)}")
    return Options(
        ns=[int(x) for x in ns.split(",") if x.strip()],
        latency_ms=args.latency_ms,
        repeat=args.repeat or 1,
        out=args.out.resolve(),
        parallel=args.parallel,
        servers=list(dict.fromkeys(servers)),
        workload=chosen,
        sweep_n=args.sweep_n or (10 if quick else 100),
        sweep_parallel=[] if args.no_sweep else [int(x) for x in sweep.split(",") if x.strip()],
        sweep_latency_ms=[
            int(x)
            for x in (
                args.sweep_latency_ms
                or (str(args.latency_ms) if quick else f"{args.latency_ms},200")
            ).split(",")
            if x.strip()
        ],
        sdk_peer=not args.no_sdk_peer,
        max_load=args.max_load,
        command=shlex.join(["python", "-m", "bench.run", *(argv or sys.argv[1:])]),
    )


def cli_default_parallel(cli: Path) -> int:
    """The CLI's own default for --parallel (4 x CPUs in current releases), from its help."""
    text = subprocess.run([str(cli), "up", "--help"], capture_output=True, text=True).stdout
    match = re.search(r"--parallel int(?:32)?\s+.*\(default (\d+)\)", text)
    return int(match.group(1)) if match else 0


def ensure_bench_extra(log: Any) -> None:
    """The chart needs matplotlib (the `bench` extra); `make setup` installs only `test`.

    Installed up front, so a long run never fails at its last step.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        command = [sys.executable, "-m", "pip", "install", "-q", "-e", f"{ROOT}[bench]"]
        log(f"bench: installing the bench extra: {shlex.join(command)}")
        subprocess.run(command, check=True)


def wait_for_quiet(max_load: float | None, log: Any) -> None:
    if max_load is None:
        return
    deadline = time.monotonic() + 900
    while os.getloadavg()[0] >= max_load and time.monotonic() < deadline:
        log(f"load average {os.getloadavg()[0]:.2f} >= {max_load}: waiting")
        time.sleep(30)


def machine() -> str:
    memory = ""
    try:
        import psutil

        memory = f", {psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:
        pass
    return f"{platform.machine()} {os.cpu_count()} CPUs{memory}, {platform.system()}"


class Runner:
    def __init__(self, options: Options) -> None:
        self.o = options
        self.rows: list[Row] = []
        self.ctx = Context(options={k: str(v) for k, v in vars(options).items()})
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        self.work = options.out / "raw" / f"run-{stamp}"
        self.work.mkdir(parents=True, exist_ok=True)
        self.log_file = (self.work / "bench.log").open("a", encoding="utf-8")

    def add(self, *rows: Row) -> None:
        for row in rows:
            if row.latency_ms is None:
                row.latency_ms = self.o.latency_ms
            self.rows.append(row)

    def log(self, line: str) -> None:
        print(line, flush=True)
        self.log_file.write(line + "\n")
        self.log_file.flush()

    def run(self) -> int:
        o = self.o
        ensure_bench_extra(self.log)
        wait_for_quiet(o.max_load, self.log)
        self.ctx.started = datetime.datetime.now().isoformat(timespec="seconds")
        self.ctx.load_before = os.getloadavg()
        self.ctx.machine = machine()
        cli = PulumiEngine(home=self.work / "pulumi-home", backend_url="file:///tmp").cli
        self.ctx.pulumi_cli = subprocess.run(
            [str(cli), "version"], capture_output=True, text=True
        ).stdout.strip()
        self.ctx.engine_parallel = o.parallel or cli_default_parallel(cli)
        self.ctx.servers = o.servers
        self.log(
            f"bench: N={o.ns} latency={o.latency_ms}ms workload={o.workload} servers={o.servers} "
            f"engine parallel={self.ctx.engine_parallel} repeat={o.repeat} "
            f"load={self.ctx.load_before} work={self.work}"
        )
        peer = floors.Peer(None, error="skipped (--no-sdk-peer)")
        if o.sdk_peer:
            peer = floors.ensure_peer_venv(self.log)
            self.ctx.peer, self.ctx.peer_error = peer.versions, peer.error
            if peer.error:
                self.log(f"  sdk peer unavailable: {peer.error}")
        roots = {s: engine_ops.plugin_root(self.work, s, cli) for s in engine_ops.SERVERS}
        with Emulator.start(self.work / "emulator", latency_ms=o.latency_ms) as emulator:
            for repeat in range(o.repeat):
                for n in o.ns:
                    self.one_n(emulator, roots, n, repeat, peer)
            if o.sweep_parallel:
                self.sweep(emulator, roots)
        self.ctx.load_after = os.getloadavg()
        self.ctx.finished = datetime.datetime.now().isoformat(timespec="seconds")
        self.write()
        return 0

    def fresh(self, emulator: Emulator, partners: list[str]) -> None:
        """Empty Graph (and, for sync-only, the partner configurations the policies need)."""
        emulator.control.reset()
        if self.o.workload == "sync-only":
            for tenant in partners:
                emulator.control.seed_partner(tenant)

    def one_n(
        self, emulator: Emulator, roots: dict[str, Path], n: int, repeat: int, peer: floors.Peer
    ) -> None:
        o = self.o
        partners = workload.partner_ids(n)
        runs = [(SYSTEM_OURS, server) for server in o.servers] + [(SYSTEM_FLOOR, o.servers[0])]
        for system, server in runs:
            self.fresh(emulator, partners)
            self.log(f"[{repeat}] {system} n={n} ({server} server)")
            run = EngineRun(
                system=system,
                workload=o.workload,
                partners=partners,
                emulator=emulator,
                root=roots[server],
                server=server,
                work=self.work / f"r{repeat}-n{n}-{system.replace(' ', '-')}-{server}",
                parallel=o.parallel,
                repeat=repeat,
                log=self.log,
            )
            rows = run.run()
            self.add(*rows)
            if system == SYSTEM_OURS:
                self.check_ours(emulator, n, server, rows)
        for parallel in sorted({1, 4, self.ctx.engine_parallel}):
            self.fresh(emulator, partners)
            for op in HTTP_OPS:
                config = floors.client_config(
                    emulator,
                    op=op,
                    partners=partners,
                    parallel=parallel,
                    workload=o.workload,
                    generation=2 if op == "update" else 1,
                )
                row = floors.run_client(
                    "HTTP floor", floors.http_floor_command(), emulator, config, repeat=repeat
                )
                self.add(row)
                self.log(engine_ops.one_line(row))
        if peer.python is not None:
            for parallel in sorted({1, self.ctx.engine_parallel}):
                self.fresh(emulator, partners)
                config = floors.client_config(
                    emulator,
                    op="create",
                    partners=partners,
                    parallel=parallel,
                    workload=o.workload,
                    generation=1,
                )
                row = floors.run_client(
                    "SDK peer", floors.sdk_peer_command(peer), emulator, config, repeat=repeat
                )
                self.add(row)
                self.log(engine_ops.one_line(row))

    def check_ours(self, emulator: Emulator, n: int, server: str, rows: list[Row]) -> None:
        """The runs must have done the work: every resource created, updated, deleted."""
        left = len(emulator.control.list_objects("sync"))
        if left:
            self.ctx.checks.append(
                f"N={n} ({server}): {left} sync policies left in Graph after destroy"
            )
        stack_and_ours = n * workload.resources_per_partner(self.o.workload) + 1
        want = {
            "create": ("create", stack_and_ours),
            "preview": ("same", stack_and_ours),
            "up-unchanged": ("same", stack_and_ours),
            "refresh": ("same", stack_and_ours),
            "preview-refresh": ("same", stack_and_ours),
            "up-refresh": ("same", stack_and_ours),
            "update": ("update", n),
            "destroy": ("delete", stack_and_ours),
        }
        for row in rows:
            kind, count = want[row.op]
            if row.changes.get(kind, 0) != count:
                self.ctx.checks.append(
                    f"N={n} {row.op} ({server}): {row.changes}, expected {kind}={count}"
                )
            if row.note:
                self.ctx.checks.append(f"N={n} {row.op} ({server}): {row.note}")

    def sweep(self, emulator: Emulator, roots: dict[str, Path]) -> None:
        o = self.o
        partners = workload.partner_ids(o.sweep_n)
        for latency, server, parallel in itertools.product(
            o.sweep_latency_ms, engine_ops.SERVERS, o.sweep_parallel
        ):
            self.fresh(emulator, partners)
            emulator.control.set_latency(latency)
            self.log(
                f"sweep: {server} server, --parallel {parallel}, n={o.sweep_n}, "
                f"latency {latency} ms"
            )
            run = EngineRun(
                system="ours",
                workload=o.workload,
                partners=partners,
                emulator=emulator,
                root=roots[server],
                server=server,
                work=self.work / f"sweep-{latency}ms-{server}-p{parallel}",
                parallel=parallel,
                log=self.log,
                ops=("create",),
            )
            for row in run.run():
                row.system = "sweep"
                row.latency_ms = latency
                self.add(row)
        self.fresh(emulator, [])

    def write(self) -> None:
        out = self.o.out
        out.mkdir(parents=True, exist_ok=True)
        raw = {"context": vars(self.ctx), "rows": [r.to_dict() for r in self.rows]}
        (self.work / "results.json").write_text(json.dumps(raw, indent=1, default=str))
        report.write_all(out, self.rows, self.ctx, self.o.workload, self.o.command)
        self.log(f"wrote {out / 'results.md'}, results.csv, time-vs-n.png; raw: {self.work}")


def main(argv: list[str] | None = None) -> int:
    return Runner(parse_args(argv)).run()


if __name__ == "__main__":
    raise SystemExit(main())
