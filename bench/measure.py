"""What one operation cost: peak memory of the processes it started, and the requests it made.

Memory is sampled with psutil (portable process-tree walking and RSS) from a background thread
while the operation runs; on Linux each sample also reads the kernel's own high-water mark
(`VmHWM`), so a spike between two samples is not missed. Requests come from the emulator's log
between two `seq` marks, so they count exactly what reached "Graph", retries included.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

JSON = dict[str, Any]

# How the processes an operation starts are told apart (by command line).
ENGINE = "engine"  # the `pulumi` CLI
PROVIDER = "provider"  # the dynamic-provider plugin: python -m pulumi.dynamic (or our server)
PROVIDER_MODULES = ("pulumi.dynamic", "entra_crosstenant._dynamic_server")
CLIENT = "client"  # a floor script (HTTP floor, SDK peer)


def classify(cmdline: list[str]) -> str | None:
    """`engine`, `provider` or None (anything else, e.g. the emulator or a shell)."""
    if not cmdline:
        return None
    if Path(cmdline[0]).name == "pulumi":
        return ENGINE
    if any(module in cmdline for module in PROVIDER_MODULES):
        return PROVIDER
    return None


def _high_water_mark(pid: int) -> int:
    """The kernel's peak RSS for `pid` in bytes (Linux `VmHWM`), or 0 where unavailable."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


@dataclass
class ProcessPeaks:
    """Peak RSS per kind of process seen under a root process, and their command lines."""

    peak_rss: dict[str, int] = field(default_factory=dict)
    commands: dict[str, set[str]] = field(default_factory=dict)
    _cpu: dict[int, tuple[str, float]] = field(default_factory=dict)

    def record(self, pid: int, kind: str, rss: int, cpu: float, command: str) -> None:
        self.peak_rss[kind] = max(self.peak_rss.get(kind, 0), rss)
        self.commands.setdefault(kind, set()).add(command)
        self._cpu[pid] = (kind, cpu)

    def cpu_seconds(self, kind: str) -> float:
        """User + system CPU of every process of that kind, as of its last sample."""
        return sum(cpu for k, cpu in self._cpu.values() if k == kind)


class ProcessSampler:
    """Samples the process tree under `root` every `interval` seconds until stopped."""

    def __init__(
        self,
        root: int | None = None,
        interval: float = 0.25,
        exclude: Iterable[int] = (),
        root_kind: str | None = None,
    ) -> None:
        """`root_kind`: also sample the root itself as that kind (for a client process).

        Walking the process table costs about 2 ms of CPU; at 4 Hz the sampler stays near 1% of
        a core (its own CPU is in `own_cpu`), and VmHWM keeps the peak exact between samples.
        """
        self.root = psutil.Process(root if root is not None else os.getpid())
        self.interval = interval
        self.exclude = set(exclude)
        self.root_kind = root_kind
        self.own_cpu = 0.0
        self.peaks = ProcessPeaks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> ProcessSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        started = time.thread_time()
        try:
            while True:
                self.sample()
                if self._stop.wait(self.interval):
                    self.sample()
                    return
        finally:
            self.own_cpu = time.thread_time() - started

    def sample(self) -> None:
        try:
            children = self.root.children(recursive=True)
        except psutil.Error:
            return
        if self.root_kind is not None:
            self._record(self.root, self.root_kind)
        excluded = set(self.exclude)
        for child in children:
            try:
                if child.pid in excluded or child.ppid() in excluded:
                    excluded.add(child.pid)
                    continue
                kind = classify(child.cmdline())
            except psutil.Error:
                continue  # it exited between the listing and the read
            if kind is not None:
                self._record(child, kind)

    def _record(self, process: psutil.Process, kind: str) -> None:
        try:
            command = " ".join(process.cmdline()[:4])
            rss = max(process.memory_info().rss, _high_water_mark(process.pid))
            times = process.cpu_times()
        except psutil.Error:
            return
        self.peaks.record(process.pid, kind, rss, times.user + times.system, command)


@dataclass
class Requests:
    """What reached the emulator during one operation."""

    graph: Counter[str]  # "METHOD" -> count, Graph calls only
    tokens: int  # token endpoint (and managed identity) requests
    other_identity: int  # discovery and the like
    retried_statuses: int  # 429/5xx answers and dropped connections (each one means a retry)
    max_in_flight: int  # most Graph requests being served at one moment
    connections: int  # distinct client connections used for Graph

    @property
    def graph_total(self) -> int:
        return sum(self.graph.values())


def _is_token(path: str) -> bool:
    return path.endswith("/oauth2/v2.0/token") or path in (
        "/msi/token",
        "/metadata/identity/oauth2/token",
    )


def max_in_flight(entries: Iterable[Mapping[str, Any]]) -> int:
    """The most requests whose serving intervals overlap (`time` is logged at the end)."""
    events: list[tuple[float, int]] = []
    for entry in entries:
        end = float(entry["time"])
        start = end - float(entry.get("duration_ms") or 0.0) / 1000
        events += [(start, 1), (end, -1)]
    # Ends sort before starts at the same instant: back-to-back requests do not overlap.
    events.sort(key=lambda event: (event[0], event[1]))
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def summarize(entries: list[JSON]) -> Requests:
    graph_entries: list[JSON] = []
    identity: list[JSON] = []
    for entry in entries:
        if entry["path"].startswith(("/v1.0/", "/beta/")):
            graph_entries.append(entry)
        elif not entry["path"].startswith("/_"):
            identity.append(entry)
    tokens = sum(1 for e in identity if _is_token(e["path"]))
    return Requests(
        graph=Counter(e["method"] for e in graph_entries),
        tokens=tokens,
        other_identity=len(identity) - tokens,
        retried_statuses=sum(
            1 for e in entries if e["status"] is None or e["status"] in (429, 500, 502, 503, 504)
        ),
        max_in_flight=max_in_flight(graph_entries),
        connections=len({e["connection"] for e in graph_entries}),
    )


@dataclass
class Timed:
    seconds: float = 0.0


@contextmanager
def stopwatch() -> Iterator[Timed]:
    timed = Timed()
    started = time.perf_counter()
    try:
        yield timed
    finally:
        timed.seconds = time.perf_counter() - started


def provider_pickles(deployment: Mapping[str, Any]) -> dict[str, int]:
    """Size in bytes of each distinct pickled provider (`__provider`) in an exported state.

    Export with secrets shown (the Automation API's `export_stack` does): the SDK marks the
    provider secret, so it appears as `{"<sig>": ..., "plaintext": "\\"<base64>\\""}`.
    """
    sizes: dict[str, int] = {}
    for resource in deployment.get("resources") or []:
        for bag in ("inputs", "outputs"):
            value = (resource.get(bag) or {}).get("__provider")
            if isinstance(value, Mapping) and "plaintext" in value:
                value = json.loads(value["plaintext"])
            if isinstance(value, str):
                sizes[resource["type"]] = len(base64.b64decode(value))
    return sizes
