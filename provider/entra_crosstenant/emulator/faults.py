"""Injected failures and slowness: fault rules (status + Retry-After, counts, added latency,
dropped connections) and a base latency for every request.

Rules are matched in the order they were added; the first live one that matches a request
applies (its `count` is consumed atomically). A rule with neither `status` nor `drop` only adds
latency. Matching takes a short lock of its own; the sleeping happens outside every lock.
"""

from __future__ import annotations

import fnmatch
import threading
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

JSON = dict[str, Any]
_FIELDS = {
    "method",
    "path",
    "tenant",
    "status",
    "error_code",
    "message",
    "retry_after",
    "count",
    "latency_ms",
    "drop",
    "after_apply",
}


class InvalidRule(ValueError):
    """A fault rule the control API cannot accept; the message says which field."""


@dataclass
class FaultRule:
    """One rule; `count` None means unlimited; `hits` counts the requests it applied to."""

    id: str
    method: str = "*"
    path: str = "*"
    tenant: str | None = None
    status: int | None = None
    error_code: str | None = None
    message: str | None = None
    retry_after: str | None = None
    count: int | None = 1
    latency_ms: int = 0
    drop: bool = False
    # Serve the request first (its write takes effect), then drop or replace the answer: the
    # "applied, but the client never heard" case that makes a retried write see a 409.
    after_apply: bool = False
    hits: int = 0

    def matches(self, method: str, path: str, tenant: str | None) -> bool:
        if self.method != "*" and self.method != method.upper():
            return False
        if self.tenant is not None and (tenant or "").lower() != self.tenant:
            return False
        return fnmatch.fnmatchcase(path.lower(), self.path.lower())

    def to_json(self) -> JSON:
        return asdict(self)


def parse_rule(spec: Mapping[str, Any]) -> FaultRule:
    """Validate a rule from the control API's JSON."""
    unknown = set(spec) - _FIELDS
    if unknown:
        raise InvalidRule(f"unknown fault field(s): {', '.join(sorted(unknown))}")
    status = spec.get("status")
    if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
        raise InvalidRule("status must be an HTTP status code")
    count = spec.get("count", 1)
    if count is not None and (not isinstance(count, int) or count < 1):
        raise InvalidRule("count must be a positive integer, or null for unlimited")
    latency = spec.get("latency_ms", 0)
    if not isinstance(latency, int | float) or latency < 0:
        raise InvalidRule("latency_ms must be a non-negative number")
    retry_after = spec.get("retry_after")
    if retry_after is not None:
        try:
            if float(retry_after) < 0:
                raise InvalidRule("retry_after must be a non-negative number of seconds")
        except (TypeError, ValueError) as exc:
            raise InvalidRule("retry_after must be a number of seconds") from exc
        retry_after = str(retry_after)
    drop = spec.get("drop", False)
    after_apply = spec.get("after_apply", False)
    for name, flag in (("drop", drop), ("after_apply", after_apply)):
        if not isinstance(flag, bool):
            raise InvalidRule(f"{name} must be true or false")
    for name in ("method", "path", "tenant", "error_code", "message"):
        if spec.get(name) is not None and not isinstance(spec[name], str):
            raise InvalidRule(f"{name} must be a string")
    tenant = spec.get("tenant")
    return FaultRule(
        id=uuid.uuid4().hex[:12],
        method=str(spec.get("method") or "*").upper(),
        path=str(spec.get("path") or "*"),
        tenant=tenant.lower() if tenant else None,
        status=status,
        error_code=spec.get("error_code"),
        message=spec.get("message"),
        retry_after=retry_after,
        count=count,
        latency_ms=int(latency),
        drop=drop,
        after_apply=after_apply,
    )


@dataclass(frozen=True)
class Decision:
    """What to do to one request: wait `latency_ms`, then drop, fail with `rule`, or serve."""

    latency_ms: int
    rule: FaultRule | None

    @property
    def fails(self) -> bool:
        return self.rule is not None and (self.rule.drop or self.rule.status is not None)


class FaultInjector:
    """The rule list and the base latency (milliseconds added to every non-control request)."""

    def __init__(self, base_latency_ms: int = 0) -> None:
        self.base_latency_ms = base_latency_ms
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, spec: Mapping[str, Any]) -> FaultRule:
        rule = parse_rule(spec)
        with self._lock:
            self._rules.append(rule)
        return rule

    def rules(self) -> list[JSON]:
        with self._lock:
            return [rule.to_json() for rule in self._rules]

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [rule for rule in self._rules if rule.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def decide(self, method: str, path: str, tenant: str | None) -> Decision:
        """Pick (and consume) the first live matching rule; spent rules stay listed with count 0."""
        with self._lock:
            for rule in self._rules:
                if rule.count == 0 or not rule.matches(method, path, tenant):
                    continue
                rule.hits += 1
                if rule.count is not None:
                    rule.count -= 1
                return Decision(self.base_latency_ms + rule.latency_ms, rule)
        return Decision(self.base_latency_ms, None)
