"""limit/offset parameters shared by every list route, with a hard maximum so one request can
never ask for an unbounded page."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.params import QueryParameter

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000  # beyond any real table; keeps the value inside a 64-bit integer

Limit = Annotated[
    int,
    QueryParameter(ge=1, le=MAX_LIMIT, description=f"page size, 1 to {MAX_LIMIT}"),
]
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="items to skip")]


def page_meta(limit: int, offset: int, total: int, count: int) -> dict[str, Any]:
    return {"limit": limit, "offset": offset, "total": total, "has_more": offset + count < total}


def paginate(rows: list[Any], limit: int, offset: int) -> tuple[list[Any], dict[str, Any]]:
    """One page of an in-memory list and the meta describing it."""
    page = rows[offset : offset + limit]
    return page, page_meta(limit, offset, len(rows), len(page))
