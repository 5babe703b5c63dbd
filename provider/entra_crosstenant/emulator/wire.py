"""What every emulator response shares: the per-request context and JSON responses."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Response

JSON = dict[str, Any]
GRAPH_JSON = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)


@dataclass
class Call:
    """One request's identity: its ids, the root URL the client used, and what to log about it."""

    request_id: str
    client_request_id: str
    base_url: str
    log: JSON = field(default_factory=dict)

    @property
    def utc_now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC)


def json_response(
    body: Any, status: int = 200, *, content_type: str = "application/json; charset=utf-8"
) -> Response:
    """Compact JSON, as the real services send it."""
    return Response(
        json.dumps(body, separators=(",", ":")), status=status, content_type=content_type
    )


def parse_json_object(raw: bytes) -> Any:
    """Decode a JSON body; raises ValueError on anything that is not valid UTF-8 JSON."""
    return json.loads(raw.decode("utf-8"))
