"""The Dataverse emulator's metadata API: EntityDefinitions (tables, Attributes with casts, Keys,
ManyToOneRelationships) and RelationshipDefinitions (lookup columns)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.emulators._dynamics_batch import API, Reply, json_reply
from connectors.emulators._dynamics_query import QueryError, parse_key
from connectors.emulators._dynamics_records import ApiError
from connectors.emulators._dynamics_schema import CAST_TYPES, TYPE_META

if TYPE_CHECKING:
    from connectors.emulators.dynamics import DataverseEmulator


def metadata_reply(em: DataverseEmulator, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> Reply:
    """Answer an EntityDefinitions or RelationshipDefinitions request (reference §3.2-3.3, checklist 11)."""
    segments = _segments(path)
    select = [s for s in query.get("$select", "").split(",") if s] or None
    expand = query.get("$expand", "")
    head, head_key = segments[0]
    if head == "RelationshipDefinitions":
        return _relationships(em, method, head_key, body)
    if head_key is None:
        if method == "GET":
            tables = [em.meta.table_out(t) for t in em.meta.tables.values()]
            return json_reply(200, {"value": [_pick(t, select) for t in tables]})
        if method == "POST":
            table = em.meta.create_table(body)
            return Reply(204, {"OData-Version": "4.0", "OData-EntityId":
                               f"{em.base}{API}EntityDefinitions({table['MetadataId']})"})
        raise ApiError(405, "0x80060888", "Method not allowed.")
    table = em.meta.table(_meta_key(head_key))
    entity = table["LogicalName"]
    if len(segments) == 1:
        if method == "GET":
            return json_reply(200, _pick(em.meta.table_out(table), select))
        if method == "DELETE":
            em.meta.remove_table(entity)
            em.records.drop_entity(entity)
            return Reply(204, {"OData-Version": "4.0"})
        raise ApiError(405, "0x80060888", "Method not allowed.")
    sub, sub_key = segments[1]
    em.settle_keys(entity)
    if sub == "Attributes":
        cast = segments[2][0] if len(segments) > 2 else None
        if cast is not None:
            name = cast.rsplit(".", 1)[-1]
            if name not in CAST_TYPES:
                raise ApiError(404, "0x80060888", f"Resource not found for the segment '{cast}'.")
            kinds = {k for k, (m, _) in TYPE_META.items() if m == name}
            items = [c for c in table["Attributes"] if c["AttributeType"] in kinds]
            out = [em.meta.attribute_out(table, c, "OptionSet" in expand) for c in items]
            keep = select + ["OptionSet"] if select and "OptionSet" in expand else select
            return json_reply(200, {"value": [_pick(o, keep) for o in out]})
        if sub_key is None:
            if method == "GET":
                out = [em.meta.attribute_out(table, c, False) for c in table["Attributes"]]
                return json_reply(200, {"value": [_pick(o, select) for o in out]})
            if method == "POST":
                column = em.meta.add_attribute(entity, em.meta.attribute_from_body(body))
                return Reply(204, {"OData-Version": "4.0", "OData-EntityId":
                                   f"{em.base}{API}EntityDefinitions({table['MetadataId']})/Attributes"
                                   f"({column['MetadataId']})"})
        key = _meta_key(sub_key or "")
        column = next((c for c in table["Attributes"] if key in (c["MetadataId"], c["LogicalName"])), None)
        if column is None:
            raise ApiError(404, "0x80040217", f"Could not find attribute {key} on {entity}.")
        if method == "GET":
            return json_reply(200, _pick(em.meta.attribute_out(table, column, "OptionSet" in expand), select))
        if method == "DELETE":
            em.meta.remove_attribute(entity, column["MetadataId"])
            em.records.drop_column(entity, column)
            return Reply(204, {"OData-Version": "4.0"})
    if sub == "Keys":
        if sub_key is None and method == "GET":
            return json_reply(200, {"value": [_pick(em.meta.key_out(table, k), select) for k in table["Keys"]]})
        if sub_key is None and method == "POST":
            key = em.meta.add_key(entity, body)
            return Reply(204, {"OData-Version": "4.0", "OData-EntityId":
                               f"{em.base}{API}EntityDefinitions({table['MetadataId']})/Keys({key['MetadataId']})"})
        wanted = _meta_key(sub_key or "")
        found = next((k for k in table["Keys"] if wanted in (k["MetadataId"], k["LogicalName"])), None)
        if found is None:
            raise ApiError(404, "0x80040217", f"Could not find entity key {wanted}.")
        if method == "GET":
            return json_reply(200, _pick(em.meta.key_out(table, found), select))
        if method == "DELETE":
            em.meta.remove_key(entity, found["MetadataId"])
            return Reply(204, {"OData-Version": "4.0"})
    if sub == "ManyToOneRelationships" and method == "GET":
        return json_reply(200, {"value": [_pick(r, select) for r in em.meta.relationships_out(table)]})
    raise ApiError(404, "0x80060888", f"Resource not found for the segment '{sub}'.")


def _relationships(em: DataverseEmulator, method: str, key: str | None, body: dict[str, Any]) -> Reply:
    if key is None and method == "POST":
        column = em.meta.add_lookup(body)
        return Reply(204, {"OData-Version": "4.0", "OData-EntityId":
                           f"{em.base}{API}RelationshipDefinitions({column['MetadataId']})"})
    if key is not None and method == "DELETE":
        wanted = _meta_key(key)
        for table in list(em.meta.tables.values()):
            for column in table["Attributes"]:
                if wanted in (column["MetadataId"], column.get("RelationshipSchemaName")):
                    em.meta.remove_attribute(table["LogicalName"], column["MetadataId"])
                    em.records.drop_column(table["LogicalName"], column)
                    return Reply(204, {"OData-Version": "4.0"})
        raise ApiError(404, "0x80040217", f"Could not find relationship {wanted}.")
    raise ApiError(405, "0x80060888", "Method not allowed.")


def _segments(path: str) -> list[tuple[str, str | None]]:
    """`EntityDefinitions(LogicalName='x')/Attributes/Cast` -> [(name, key or None), ...]."""
    out: list[tuple[str, str | None]] = []
    for piece in path.split("/"):
        if "(" in piece and piece.endswith(")"):
            name, key = piece[:-1].split("(", 1)
            out.append((name, key))
        else:
            out.append((piece, None))
    return out


def _meta_key(key: str) -> str:
    """A metadata key segment: a MetadataId, or LogicalName='x' / SchemaName='x'."""
    parsed = parse_key(key)
    if isinstance(parsed, str):
        return parsed
    value = parsed.get("LogicalName") or parsed.get("SchemaName")
    if not isinstance(value, str):
        raise QueryError("Bad Request - Error in query syntax.")
    return value


def _pick(item: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    if not select:
        return item
    return {k: v for k, v in item.items() if k in select or k in ("MetadataId", "@odata.type")}
