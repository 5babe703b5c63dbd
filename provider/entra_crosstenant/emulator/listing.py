"""What the list routes of the directory areas share (users, groups, applications, service
principals): Graph's one-clause `eq` filter and a page of a collection with its links.

The OData helpers every area uses (options, bodies, `paginate`) are in `graph`; these are the
directory areas' common use of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from werkzeug.wrappers import Response

from entra_crosstenant.emulator.core.service import normalize_key
from entra_crosstenant.emulator.graph import GraphError, GraphRequest, page_size, paginate
from entra_crosstenant.emulator.wire import GRAPH_JSON, JSON, json_response

_EQ = re.compile(r"^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$")


def eq_filter(items: list[JSON], clause: str, names: Iterable[str], what: str) -> list[JSON]:
    """`$filter=<name> eq '<value>'` on one of `names`, compared without case; anything else
    is Graph's 400 Request_UnsupportedQuery, saying what the emulator supports."""
    allowed = sorted(names)
    match = _EQ.match(clause)
    if match is None or match.group(1) not in allowed:
        raise GraphError(
            400,
            "Request_UnsupportedQuery",
            f"Unsupported or invalid query filter clause specified: '{clause[:80]}'. The "
            f"emulator filters {what} with one eq on {', '.join(allowed)}.",
        )
    name, value = match.group(1), normalize_key(match.group(2).replace("''", "'"))
    return [item for item in items if normalize_key(str(item.get(name) or "")) == value]


def page(
    r: GraphRequest,
    items: list[JSON],
    *,
    options: dict[str, str],
    path: str,
    select: set[str] | None,
    render: Callable[[JSON], JSON],
    default_size: int,
) -> Response:
    """One page of a collection (ordered by id) with `@odata.context` and `@odata.nextLink`."""
    shown, next_link = paginate(
        r, items, key="id", options=options, size=page_size(options, default_size), path=path
    )
    fragment = f"{path}({','.join(sorted(select))})" if select else path
    body: JSON = {"@odata.context": r.context(fragment)}
    if next_link is not None:
        body["@odata.nextLink"] = next_link
    body["value"] = [render(item) for item in shown]
    return json_response(body, content_type=GRAPH_JSON)
