"""Chains (named groups of relationships), over `Operations`."""

from __future__ import annotations

from typing import Any

from litestar import delete, get, patch, post
from litestar.params import JSONBody

from legion.app.api.deps import Ops
from legion.app.api.dto import ChainCreate, ChainUpdate
from legion.app.api.envelope import ok
from legion.app.api.pagination import DEFAULT_LIMIT, Limit, Offset, paginate
from legion.app.api.params import NamePath
from legion.app.api.responses import BODY_ERRORS, linked, links_to, one, page

CHAIN = "/api/v1/chains/{name}"
ChainCreated = linked(
    links_to(
        CHAIN,
        {"ShowChain": "get", "UpdateChain": "patch", "DeleteChain": "delete"},
        "name",
        "$response.body#/data/name",
    ),
    201,
)


@get("/chains", opt={"rbac": ("chains/", "list")}, sync_to_thread=True, responses=page())
def list_chains(ops: Ops, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0) -> dict[str, Any]:
    """Chains with how many relationships each holds."""
    page, meta = paginate(ops.op_chain_list(), limit, offset)
    return ok(page, **meta)


@post(
    "/chains",
    opt={"rbac": ("chains/", "create")},
    sync_to_thread=True,
    status_code=201,
    responses=one(409, *BODY_ERRORS, status=201, description="the chain created"),
    operation_class=ChainCreated,
)
def create_chain(ops: Ops, data: JSONBody[ChainCreate]) -> dict[str, Any]:
    return ok(ops.op_chain_create(data.name, data.description))


@get(
    "/chains/{name:str}",
    opt={"rbac": ("chains/{name}", "read")},
    sync_to_thread=True,
    responses=one(),
)
def show_chain(ops: Ops, name: NamePath) -> dict[str, Any]:
    """A chain with its relationships."""
    return ok(ops.op_chain_show(name))


@patch(
    "/chains/{name:str}",
    opt={"rbac": ("chains/{name}", "update")},
    sync_to_thread=True,
    responses=one(*BODY_ERRORS),
)
def update_chain(ops: Ops, name: NamePath, data: JSONBody[ChainUpdate]) -> dict[str, Any]:
    """Turn every relationship of the chain on or off."""
    return ok(ops.op_chain_update(name, data.active))


@delete(
    "/chains/{name:str}",
    opt={"rbac": ("chains/{name}", "delete")},
    sync_to_thread=True,
    status_code=200,
    responses=one(),
)
def delete_chain(ops: Ops, name: NamePath) -> dict[str, Any]:
    """Delete the chain and its relationships."""
    return ok(ops.op_chain_delete(name))


HANDLERS = [list_chains, create_chain, show_chain, update_chain, delete_chain]
