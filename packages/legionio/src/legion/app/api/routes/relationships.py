"""Relationships (what runs after what) and their graph, over `Operations`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import delete, get, patch, post
from litestar.params import JSONBody, QueryParameter

from legion.app.api.deps import Ops
from legion.app.api.dto import RelationshipCreate, RelationshipUpdate, fields_of
from legion.app.api.envelope import ok
from legion.app.api.pagination import DEFAULT_LIMIT, Limit, Offset, paginate
from legion.app.api.params import NAME_PATTERN, RelationshipId
from legion.app.api.responses import BODY_ERRORS, linked, links_to, one, page

ChainFilter = Annotated[
    str | None, QueryParameter(pattern=NAME_PATTERN, max_length=200, description="only this chain")
]
RELATIONSHIP = "/api/v1/relationships/{relationship_id}"
RelationshipCreated = linked(
    links_to(
        RELATIONSHIP,
        {
            "ShowRelationship": "get",
            "UpdateRelationship": "patch",
            "DeleteRelationship": "delete",
        },
        "relationship_id",
        "$response.body#/data/id",
    ),
    201,
)


@get(
    "/relationships",
    opt={"rbac": ("relationships/", "list")},
    sync_to_thread=True,
    responses=page(),
)
def list_relationships(
    ops: Ops, chain: ChainFilter = None, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> dict[str, Any]:
    """Relationships, optionally of one chain."""
    page, meta = paginate(ops.op_relationship_list(chain=chain), limit, offset)
    return ok(page, **meta)


@get(
    "/relationships/graph",
    opt={"rbac": ("relationships/graph", "read")},
    sync_to_thread=True,
    responses=one(),
)
def relationship_graph(ops: Ops, chain: ChainFilter = None) -> dict[str, Any]:
    """Functions as nodes and relationships as edges, for drawing the chains."""
    return ok(ops.op_relationship_graph(chain=chain))


@post(
    "/relationships",
    opt={"rbac": ("relationships/", "create")},
    sync_to_thread=True,
    status_code=201,
    responses=one(*BODY_ERRORS, status=201, description="the relationship created"),
    operation_class=RelationshipCreated,
)
def create_relationship(ops: Ops, data: JSONBody[RelationshipCreate]) -> dict[str, Any]:
    """Create a relationship; conditions and transformation are validated by the store."""
    return ok(ops.op_relationship_create(**fields_of(data)))


@get(
    "/relationships/{relationship_id:int}",
    opt={"rbac": ("relationships/{relationship_id}", "read")},
    sync_to_thread=True,
    responses=one(),
)
def show_relationship(ops: Ops, relationship_id: RelationshipId) -> dict[str, Any]:
    return ok(ops.op_relationship_show(relationship_id))


@patch(
    "/relationships/{relationship_id:int}",
    opt={"rbac": ("relationships/{relationship_id}", "update")},
    sync_to_thread=True,
    responses=one(*BODY_ERRORS),
)
def update_relationship(
    ops: Ops, relationship_id: RelationshipId, data: JSONBody[RelationshipUpdate]
) -> dict[str, Any]:
    """Change fields; anything beyond `active` gives the relationship a new id (`replaced`)."""
    return ok(ops.op_relationship_update(relationship_id, **fields_of(data)))


@delete(
    "/relationships/{relationship_id:int}",
    opt={"rbac": ("relationships/{relationship_id}", "delete")},
    sync_to_thread=True,
    status_code=200,
    responses=one(),
)
def delete_relationship(ops: Ops, relationship_id: RelationshipId) -> dict[str, Any]:
    return ok(ops.op_relationship_delete(relationship_id))


HANDLERS = [
    list_relationships,
    relationship_graph,
    create_relationship,
    show_relationship,
    update_relationship,
    delete_relationship,
]
