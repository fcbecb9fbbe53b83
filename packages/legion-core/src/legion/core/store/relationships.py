"""Relationships (trigger → action, with conditions, transformation, delay) and chains.

Everything a relationship carries is validated when it is created, so a bad rule or template is
rejected with its path up front instead of failing every follow-up later.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from legion.core.errors import ConflictError, NotFoundError, UsageError
from legion.core.registry import CapabilityRegistry
from legion.core.store.models import ChainRow, RelationshipRow


class RelationshipStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- chains -------------------------------------------------------------------------------
    def create_chain(self, name: str, description: str | None = None) -> ChainRow:
        if not name or len(name) > 100:
            raise UsageError("a chain name must be 1 to 100 characters")
        with Session(self.engine) as s:
            if s.get(ChainRow, name) is not None:
                raise ConflictError(f"chain {name!r} already exists")
            row = ChainRow(name=name, description=description, created_at=time.time())
            s.add(row)
            s.commit()
            s.refresh(row)
            return row

    def chains(self) -> list[ChainRow]:
        with Session(self.engine) as s:
            return list(s.exec(select(ChainRow).order_by(col(ChainRow.name))))

    def chain(self, name: str) -> ChainRow:
        with Session(self.engine) as s:
            row = s.get(ChainRow, name)
        if row is None:
            raise NotFoundError(f"no chain named {name!r}", hint="`legion chain list` shows them")
        return row

    def delete_chain(self, name: str) -> int:
        """Delete a chain and its relationships; returns how many relationships went with it."""
        self.chain(name)
        with Session(self.engine) as s:
            rels = list(s.exec(select(RelationshipRow).where(RelationshipRow.chain == name)))
            for rel in rels:
                s.delete(rel)
            chain = s.get(ChainRow, name)
            if chain is not None:
                s.delete(chain)
            s.commit()
        return len(rels)

    # -- relationships ------------------------------------------------------------------------
    def create(
        self,
        registry: CapabilityRegistry,
        *,
        trigger: str,
        action: str,
        conditions: dict[str, Any] | None = None,
        transformation: str | None = None,
        engine: str = "jinja",
        delay: float = 0.0,
        chain: str | None = None,
        name: str | None = None,
        active: bool = True,
    ) -> RelationshipRow:
        validate_relationship(
            registry,
            trigger=trigger,
            action=action,
            conditions=conditions,
            transformation=transformation,
            engine=engine,
            delay=delay,
        )
        if chain is not None:
            with Session(self.engine) as s:
                if s.get(ChainRow, chain) is None:
                    s.add(ChainRow(name=chain, created_at=time.time()))
                    s.commit()
        row = RelationshipRow(
            name=name,
            trigger=trigger,
            action=action,
            conditions=conditions or None,
            transformation=transformation or None,
            engine=engine,
            delay=delay,
            chain=chain,
            active=active,
            created_at=time.time(),
        )
        with Session(self.engine) as s:
            s.add(row)
            s.commit()
            s.refresh(row)
        return row

    def list(self, chain: str | None = None, active_only: bool = False) -> list[RelationshipRow]:
        query = select(RelationshipRow).order_by(col(RelationshipRow.id))
        if chain is not None:
            query = query.where(RelationshipRow.chain == chain)
        if active_only:
            query = query.where(col(RelationshipRow.active).is_(True))
        with Session(self.engine) as s:
            return list(s.exec(query))

    def get(self, rel_id: int) -> RelationshipRow:
        with Session(self.engine) as s:
            row = s.get(RelationshipRow, rel_id)
        if row is None:
            raise NotFoundError(
                f"no relationship with id {rel_id}", hint="`legion relationship list` shows them"
            )
        return row

    def set_active(self, rel_id: int, active: bool) -> RelationshipRow:
        with Session(self.engine) as s:
            row = s.get(RelationshipRow, rel_id)
            if row is None:
                raise NotFoundError(f"no relationship with id {rel_id}")
            row.active = active
            s.add(row)
            s.commit()
            s.refresh(row)
            return row

    def delete(self, rel_id: int) -> None:
        with Session(self.engine) as s:
            row = s.get(RelationshipRow, rel_id)
            if row is None:
                raise NotFoundError(f"no relationship with id {rel_id}")
            s.delete(row)
            s.commit()


def validate_relationship(
    registry: CapabilityRegistry,
    *,
    trigger: str,
    action: str,
    conditions: dict[str, Any] | None,
    transformation: str | None,
    engine: str,
    delay: float,
) -> None:
    """Reject unknown functions, bad rules, templates that do not compile, negative delays."""
    from legion.core.conditions import validate as validate_conditions
    from legion.core.transformations import compile_transformation

    registry.get(trigger)
    registry.get(action)
    if delay < 0:
        raise UsageError(f"delay must be >= 0 seconds, got {delay}")
    if conditions:
        validate_conditions(conditions)
    if transformation:
        compile_transformation(transformation, engine)
