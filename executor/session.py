"""A session: one workspace opened for the executor (spec, ledger, source, destination, schemas)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.base import Destination, Source
from executor.ledger import Ledger, open_ledger
from executor.staging import Stager, entity_order, read_all
from executor.workspace import Workspace
from mapper.schema import Schema
from mapper.errors import BridgeworkError
from mapper.spec import EntityMap, MappingSpec


def _lock_workspace(ws: Workspace) -> Any:
    """An exclusive lock on the workspace (released by the OS even after kill -9)."""
    import fcntl

    handle = open(ws.root / ".bridgework.lock", "a+")  # noqa: SIM115 (held for the session's life)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise BridgeworkError("Another bridgework command is loading into this workspace right now.",
                              hint="Wait for it to finish (bridgework status shows progress), then run this again.") from None
    return handle


@dataclass
class Session:
    """Everything a command needs, opened once and closed together."""

    ws: Workspace
    spec: MappingSpec
    ledger: Ledger
    source: Source
    destination: Destination
    source_schema: Schema | None
    destination_schema: Schema | None
    _demotions: dict[str, Any] = field(default_factory=dict)

    _lock: Any = None

    @classmethod
    def open(cls, ws: Workspace, *, spec: MappingSpec | None = None, exclusive: bool = False) -> Session:
        """Open the workspace's spec, ledger and both systems (`exclusive`: one writer per workspace)."""
        lock = _lock_workspace(ws) if exclusive else None
        spec = spec or MappingSpec.load(ws.mapping_path)
        ledger = open_ledger(ws.ledger_path, ws.operator)
        source = ws.open_source()
        try:
            destination = ws.open_destination()
        except BaseException:
            source.close()
            raise
        src_schema = Schema.load(ws.source_schema_path) if ws.source_schema_path.exists() else None
        dst_schema = Schema.load(ws.destination_schema_path) if ws.destination_schema_path.exists() else None
        session = cls(ws, spec, ledger, source, destination, src_schema, dst_schema)
        session._lock = lock
        return session

    def close(self) -> None:
        """Close the source, the destination and the ledger."""
        try:
            self.source.close()
        finally:
            try:
                self.destination.close()
            finally:
                self.ledger.close()
                if self._lock is not None:
                    self._lock.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def source_name(self) -> str:
        """The source's name as it appears in external ids."""
        return str(getattr(self.source, "name", self.ws.settings.source.kind))

    def ordered_maps(self) -> list[EntityMap]:
        """Entity maps in dependency order."""
        return entity_order(self.spec)

    def aliases(self, map_id: str) -> dict[str, str]:
        """Merged duplicates of an entity map's source entity: duplicate source id -> survivor source id."""
        em = self.spec.entity_map(map_id)
        rows = self.ledger.query(
            "SELECT members, survivor FROM dedupe_groups WHERE entity = ? AND status = 'confirmed'", (em.source,))
        import json

        out: dict[str, str] = {}
        for row in rows:
            for member in json.loads(row["members"]):
                if member != row["survivor"]:
                    out[str(member)] = str(row["survivor"])
        return out

    def lookup(self, map_id: str) -> Mapping[str, str]:
        """source id -> destination id of an entity map's loaded records (merged duplicates point at their survivor).

        A map onto destination users resolves through owner resolution instead: matched providers
        to their user, the rest to the placeholder user when the destination named one, else to ""
        (the field is left empty and the report says so).
        """
        from executor.owners import UNASSIGNED, USER_OBJECTS

        em = self.spec.entity_map(map_id)
        if em.target_name in USER_OBJECTS:
            rows = self.ledger.db.execute("SELECT source_id, dest_user, status FROM owners WHERE source_entity = ?",
                                          (em.source,))
            return {str(sid): (str(user) if status == "matched" or (user and user != UNASSIGNED) else "")
                    for sid, user, status in rows}
        ids = self.ledger.destination_ids(map_id)
        for dup, survivor in self.aliases(map_id).items():
            if survivor in ids:
                ids[dup] = ids[survivor]
        return ids

    def stager(self) -> Stager:
        """A Stager whose relations resolve through this ledger."""
        return Stager(self.spec, self.source_name, self.source_schema, self.destination_schema, self.lookup,
                      self.aliases, self.demotions, self.ws.settings.destination.kind,
                      lambda em: read_all(self.source, em.source), lambda entity: read_all(self.source, entity))

    def demotions(self, map_id: str) -> Mapping[str, list[tuple[str, str | None]]]:
        """Records of a map that give up a shared unique value (computed once per session)."""
        if map_id not in self._demotions:
            from executor.unique import demotions

            self._demotions[map_id] = demotions(self, self.spec.entity_map(map_id))
        result: Mapping[str, list[tuple[str, str | None]]] = self._demotions[map_id]
        return result

    def options(self) -> Mapping[str, Any]:
        """The workspace's [options] table."""
        return self.ws.settings.options.model_dump()
