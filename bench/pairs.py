"""Ours against the engine floor in alternating pairs, for refreshes whose ratios sit near a target.

`bench.run` measures every operation of ours, then every operation of the floor: a minute of
machine drift between the two lands in the ratio, and a sub-3-second refresh moves 5-10% run to
run. Here both stacks are created once (checkpoints off, to save the minutes a create costs),
then the operation alternates ours, floor, ours, floor... on the same emulator, so each pair
shares the machine's state; the median of the pair ratios is the figure.

    .venv/bin/python -m bench.pairs --n 500 --op refresh --pairs 7

Same workload, emulator latency, engine and plugin as `bench.run` (the stock plugin unless
`--server lifted`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import engine_ops, workload
from entra_crosstenant.emulator.client import Emulator
from entra_crosstenant.testing import PulumiEngine

OPS = ("refresh", "preview-refresh", "up-refresh")
SYSTEMS = ("ours", "engine floor")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.pairs", description=__doc__)
    parser.add_argument("--n", type=int, default=500, help="partner tenants (default 500)")
    parser.add_argument("--op", choices=OPS, default="refresh")
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--latency-ms", type=int, default=40)
    parser.add_argument("--server", choices=sorted(engine_ops.SERVERS), default="stock")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cli = Path(__file__).resolve().parent.parent / ".tools" / "bin" / "pulumi"
    base = Path(tempfile.mkdtemp(prefix="bench-pairs-"))
    emulator = Emulator.start(base / "emulator", latency_ms=args.latency_ms)
    try:
        root = engine_ops.plugin_root(base, args.server, cli)
        partners = workload.partner_ids(args.n)
        stacks: dict[str, Any] = {}
        for system in SYSTEMS:
            backend = base / system.replace(" ", "-")
            backend.mkdir()
            engine = PulumiEngine(
                home=base / "pulumi-home", backend_url=f"file://{backend}", root=root
            )
            program = workload.PROGRAMS[system]("full", partners, workload.Names())
            env = dict(emulator.env) if system == "ours" else {}
            stack = engine.stack("bench", f"n{args.n}", program, env=env)
            os.environ["PULUMI_SKIP_CHECKPOINTS"] = "true"
            try:
                stack.up(on_output=lambda _: None)
            finally:
                del os.environ["PULUMI_SKIP_CHECKPOINTS"]
            stacks[system] = stack
        seconds: dict[str, list[float]] = {system: [] for system in SYSTEMS}
        for pair in range(args.pairs):
            for system in SYSTEMS:
                start = time.perf_counter()
                engine_ops._operate(stacks[system], args.op, {"on_output": lambda _: None})
                seconds[system].append(time.perf_counter() - start)
            ours, floor = (seconds[s][-1] for s in SYSTEMS)
            print(f"pair {pair}: ours {ours:.2f} s, floor {floor:.2f} s, {ours / floor:.3f}x")
        ratios = [o / f for o, f in zip(seconds["ours"], seconds["engine floor"], strict=True)]
        print(
            f"{args.op} N={args.n} ({args.server} plugin, {args.latency_ms} ms): median of "
            f"{args.pairs} pair ratios {statistics.median(ratios):.3f}x (range "
            f"{min(ratios):.3f}-{max(ratios):.3f}); medians ours "
            f"{statistics.median(seconds['ours']):.2f} s, floor "
            f"{statistics.median(seconds['engine floor']):.2f} s"
        )
    finally:
        emulator.stop()
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
