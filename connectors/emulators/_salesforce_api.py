"""Salesforce emulator routes: REST sObjects, SOQL, sObject Collections, Tooling, OAuth (reference §2.1-2.9)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.emulators._salesforce_ids import IdMint
from connectors.emulators._salesforce_objects import API_VERSION, SalesforceError, SfObject
from connectors.emulators._salesforce_records import RecordStore, RequestError
from connectors.emulators._salesforce_schema import MetadataStore
from connectors.emulators._salesforce_soql import parse

MAX_RECORDS = 200
ROLLED_BACK = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": "Record rolled back because not all "
               "records were valid and the request was using AllOrNone header", "fields": []}
TOOLING_FIELD_COLUMNS = ("Id", "DeveloperName", "TableEnumOrId", "FullName", "NamespacePrefix", "Metadata")
TOOLING_OBJECT_COLUMNS = ("Id", "DeveloperName", "FullName", "NamespacePrefix", "Metadata")
Handler = Callable[[Request], Awaitable[Response]]


class Org(Protocol):
    """What the routes need from the emulator."""

    db: sqlite3.Connection
    meta: MetadataStore
    records: RecordStore
    mint: IdMint
    cursors: dict[str, list[dict[str, Any]]]

    def limits(self) -> tuple[int, int]: ...

    def page_size(self) -> int: ...


def json_response(body: Any, status: int = 200) -> JSONResponse:
    """A JSON response with Salesforce's content type."""
    return JSONResponse(body, status_code=status, media_type="application/json;charset=UTF-8")


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN ... COMMIT, rolled back on any exception (the connection runs in autocommit mode)."""
    db.execute("BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except ValueError:
        raise RequestError("JSON_PARSER_ERROR", "Unexpected character: was expecting a JSON value") from None


def _too_many(items: list[Any]) -> None:
    if len(items) > MAX_RECORDS:
        raise RequestError("EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this "
                                                "call")


def _result(record_id: str | None, error: SalesforceError | None, created: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": record_id, "success": error is None, "errors": [error.item()] if error else []}
    if created is not None and error is None:
        out["created"] = created
    return out


def routes(org: Org, extra: list[tuple[str, Handler, list[str]]]) -> list[Route]:
    """Every API route (plus `extra` ones under the same base), each wrapped so a SalesforceError becomes
    Salesforce's JSON array."""
    meta, records, db = org.meta, org.records, org.db
    base = f"/services/data/v{API_VERSION}"

    def records_of(body: Any) -> tuple[list[dict[str, Any]], bool]:
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise RequestError("JSON_PARSER_ERROR", "Request body must be an object with a records array")
        items = body["records"]
        _too_many(items)
        if not all(isinstance(r, dict) for r in items):
            raise RequestError("JSON_PARSER_ERROR", "Each record must be a JSON object")
        return items, bool(body.get("allOrNone"))

    def run_batch(all_or_none: bool, steps: list[Callable[[], dict[str, Any]]]) -> list[dict[str, Any]]:
        """Run per-record steps in one transaction; allOrNone rolls everything back when one fails."""
        db.execute("BEGIN")
        results: list[dict[str, Any]] = []
        try:
            for step in steps:
                results.append(step())
        except BaseException:
            db.execute("ROLLBACK")
            meta.invalidate()
            raise
        if all_or_none and not all(r["success"] for r in results):
            db.execute("ROLLBACK")
            meta.invalidate()
            return [r if not r["success"] else {"id": None, "success": False, "errors": [ROLLED_BACK]}
                    for r in results]
        db.execute("COMMIT")
        return results

    def guarded(step: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
        def run() -> dict[str, Any]:
            try:
                return step()
            except RequestError:
                raise
            except SalesforceError as exc:
                return _result(None, exc)
        return run

    # --- discovery -----------------------------------------------------------------------

    async def versions(request: Request) -> Response:
        return json_response([{"label": "Winter '24", "url": base, "version": API_VERSION}])

    async def resources(request: Request) -> Response:
        names = ("sobjects", "query", "queryAll", "composite", "tooling", "limits")
        return json_response({n: f"{base}/{n}" for n in names})

    async def limits(request: Request) -> Response:
        used, limit = org.limits()
        return json_response({"DailyApiRequests": {"Max": limit, "Remaining": max(0, limit - used)},
                              "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000}})

    async def describe_global(request: Request) -> Response:
        objects = [meta.get(n).summary(base) for n in meta.names()]
        return json_response({"encoding": "UTF-8", "maxBatchSize": MAX_RECORDS, "sobjects": objects})

    async def describe(request: Request) -> Response:
        obj = meta.get(request.path_params["obj"])
        summary = obj.summary(base)
        return json_response({**summary, "fields": [f.describe() for f in obj.fields], "childRelationships": [],
                              "recordTypeInfos": [{"name": "Master", "available": True, "defaultRecordTypeMapping": True,
                                                   "master": True}]})

    # --- single records ------------------------------------------------------------------

    async def create(request: Request) -> Response:
        obj = meta.get(request.path_params["obj"])
        body = await _body(request)
        if not isinstance(body, dict):
            raise RequestError("JSON_PARSER_ERROR", "Request body must be a JSON object")
        if any(k.lower() == "id" for k in body):
            raise SalesforceError("INVALID_FIELD", "Id not allowed in an insert call", ["Id"])
        with transaction(db):
            record_id = records.create(obj, body)
        return json_response({"id": record_id, "success": True, "errors": []}, 201)

    async def one(request: Request) -> Response:
        obj = meta.get(request.path_params["obj"])
        record_id = request.path_params["id"]
        if request.method == "GET":
            data = records.live(obj, record_id)
            wanted = request.query_params.get("fields")
            names = [records.field(obj, n.strip()).name for n in wanted.split(",")] if wanted else None
            return json_response(records.shape(obj, data, names))
        if request.method == "DELETE":
            with transaction(db):
                records.live(obj, record_id)  # 404 NOT_FOUND / ENTITY_IS_DELETED as single-record REST has them
                records.delete(obj, record_id)
            return Response(status_code=204)
        body = await _body(request)
        if not isinstance(body, dict):
            raise RequestError("JSON_PARSER_ERROR", "Request body must be a JSON object")
        with transaction(db):
            records.update(obj, record_id, body)
        return Response(status_code=204)

    async def by_external_id(request: Request) -> Response:
        obj = meta.get(request.path_params["obj"])
        ext = records.field(obj, request.path_params["field"])
        if not (ext.external_id or ext.id_lookup):
            raise SalesforceError("NOT_FOUND", f"Provided external ID field does not exist or is not accessible: "
                                               f"{request.path_params['field']}", status=404)
        value = request.path_params["value"]
        if request.method == "GET":
            ids = records.lookup(obj.name, ext.name, value)
            if len(ids) > 1:
                return json_response([f"{base}/sobjects/{obj.name}/{i}" for i in ids], 300)
            if not ids:
                raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
            return json_response(records.shape(obj, records.live(obj, ids[0])))
        body = await _body(request)
        if not isinstance(body, dict):
            raise RequestError("JSON_PARSER_ERROR", "Request body must be a JSON object")
        try:
            with transaction(db):
                if request.query_params.get("updateOnly") == "true" and not records.lookup(obj.name, ext.name, value):
                    raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
                record_id, created = records.upsert(obj, ext, value, body)
        except SalesforceError as exc:
            if exc.code == "DUPLICATE_EXTERNAL_ID":
                return json_response([f"{base}/sobjects/{obj.name}/{i}" for i in exc.extra["matchingIds"]], 300)
            raise
        return json_response({"id": record_id, "success": True, "errors": [], "created": created},
                             201 if created else 200)

    # --- SOQL ----------------------------------------------------------------------------

    def page(total: int, found: list[dict[str, Any]]) -> Response:
        size = org.page_size()
        body: dict[str, Any] = {"totalSize": total, "done": len(found) <= size, "records": found[:size]}
        if len(found) > size:
            locator = org.mint.new("01g")
            org.cursors[locator] = found
            body["nextRecordsUrl"] = f"{base}/query/{locator}-{size}"
        return json_response(body)

    async def query(request: Request) -> Response:
        text = request.query_params.get("q")
        if not text:
            raise SalesforceError("MALFORMED_QUERY", "A query string has to be specified")
        include_deleted = request.url.path.rstrip("/").endswith("queryAll")
        total, found = records.query(parse(text), include_deleted=include_deleted)
        return page(total, found)

    async def more(request: Request) -> Response:
        locator, _, offset = request.path_params["locator"].rpartition("-")
        found = org.cursors.get(locator)
        if found is None or not offset.isdigit():
            raise SalesforceError("INVALID_QUERY_LOCATOR", "invalid query locator")
        start = int(offset)
        size = org.page_size()
        rest = found[start:start + size]
        body: dict[str, Any] = {"totalSize": len(found), "done": start + size >= len(found), "records": rest}
        if start + size < len(found):
            body["nextRecordsUrl"] = f"{base}/query/{locator}-{start + size}"
        else:
            org.cursors.pop(locator, None)
        return json_response(body)

    # --- sObject Collections -------------------------------------------------------------

    def typed(record: dict[str, Any]) -> SfObject:
        kind = (record.get("attributes") or {}).get("type")
        if not kind:
            raise SalesforceError("INVALID_TYPE", "Must send a concrete entity type.")
        return meta.get(str(kind))

    async def collection(request: Request) -> Response:
        if request.method == "DELETE":
            ids = [i for i in request.query_params.get("ids", "").split(",") if i]
            _too_many(ids)
            all_or_none = request.query_params.get("allOrNone") == "true"

            def remove(record_id: str) -> Callable[[], dict[str, Any]]:
                def step() -> dict[str, Any]:
                    try:
                        return _result(records.delete(None, record_id), None)
                    except SalesforceError as exc:
                        return _result(record_id, exc)
                return step
            return json_response(run_batch(all_or_none, [remove(i) for i in ids]))
        items, all_or_none = records_of(await _body(request))
        creating = request.method == "POST"

        def write(record: dict[str, Any]) -> Callable[[], dict[str, Any]]:
            def step() -> dict[str, Any]:
                obj = typed(record)
                body = {k: v for k, v in record.items() if k.lower() != "id"}
                if creating:
                    if any(k.lower() == "id" for k in record):
                        raise SalesforceError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
                    return _result(records.create(obj, body), None)
                record_id = next((str(v) for k, v in record.items() if k.lower() == "id"), None)
                if not record_id:
                    raise SalesforceError("MISSING_ARGUMENT", "Id not specified in an update call", [])
                return _result(records.update(obj, record_id, body), None)
            return guarded(step)
        return json_response(run_batch(all_or_none, [write(r) for r in items]))

    async def collection_upsert(request: Request) -> Response:
        obj = meta.get(request.path_params["obj"])
        try:
            ext = records.field(obj, request.path_params["field"])
        except SalesforceError:
            ext = None
        if ext is None or not (ext.external_id or ext.id_lookup):
            raise SalesforceError("NOT_FOUND", f"Provided external ID field does not exist or is not accessible: "
                                               f"{request.path_params['field']}", status=404)
        items, all_or_none = records_of(await _body(request))
        keys = [next((str(v).lower() for k, v in r.items() if k.lower() == ext.name.lower() and v is not None), None)
                for r in items]
        repeated = {k for k, n in Counter(keys).items() if k is not None and n > 1}

        def write(record: dict[str, Any], key: str | None) -> Callable[[], dict[str, Any]]:
            def step() -> dict[str, Any]:
                if typed(record).name != obj.name:
                    raise SalesforceError("INVALID_TYPE", f"Record type must be {obj.name}", [])
                value = next((v for k, v in record.items() if k.lower() == ext.name.lower()), None)
                if key in repeated:
                    raise SalesforceError("DUPLICATE_VALUE", f"Duplicate external id specified: {value}", [ext.name])
                record_id, created = records.upsert(obj, ext, value, record)
                return _result(record_id, None, created)
            return guarded(step)
        return json_response(run_batch(all_or_none, [write(r, k) for r, k in zip(items, keys)]))

    async def retrieve(request: Request) -> Response:
        obj = meta.get(request.path_params["obj"])
        if request.method == "POST":
            body = await _body(request)
            ids, wanted = list(body.get("ids") or []), list(body.get("fields") or [])
        else:
            ids = [i for i in request.query_params.get("ids", "").split(",") if i]
            wanted = [f for f in request.query_params.get("fields", "").split(",") if f]
        if not wanted:
            raise SalesforceError("MISSING_ARGUMENT", "fields not specified", [])
        if len(ids) > 2000:
            raise RequestError("EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 2000 ids")
        names = [records.field(obj, n.strip()).name for n in wanted]
        out: list[dict[str, Any] | None] = []
        for record_id in ids:
            found = records.row(record_id)
            out.append(records.shape(obj, found[1], names) if found and found[0] == obj.name and not found[2] else None)
        return json_response(out)

    # --- Tooling -------------------------------------------------------------------------

    def tooling_kind(request: Request) -> str:
        kind = str(request.path_params["kind"])
        if kind not in ("CustomField", "CustomObject"):
            raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
        return kind

    async def tooling_create(request: Request) -> Response:
        kind = tooling_kind(request)
        body = await _body(request)
        if not isinstance(body, dict) or not isinstance(body.get("Metadata"), dict) or not body.get("FullName"):
            raise SalesforceError("REQUIRED_FIELD_MISSING", "Required fields are missing: [FullName, Metadata]",
                                  ["FullName", "Metadata"])
        with transaction(db):
            if kind == "CustomField":
                new_id = meta.create_field(str(body["FullName"]), body["Metadata"])
            else:
                new_id = meta.create_object(str(body["FullName"]), body["Metadata"])
        return json_response({"id": new_id, "success": True, "errors": [], "warnings": [], "infos": []}, 201)

    async def tooling_one(request: Request) -> Response:
        kind, item_id = tooling_kind(request), request.path_params["id"]
        if request.method == "DELETE":
            with transaction(db):
                (meta.delete_field if kind == "CustomField" else meta.delete_object)(item_id)
            return Response(status_code=204)
        rows = meta.tooling_fields() if kind == "CustomField" else meta.tooling_objects()
        row = next((r for r in rows if r["Id"] == item_id), None)
        if row is None:
            raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
        return json_response({"attributes": {"type": kind}, **{k: v for k, v in row.items() if not k.startswith("_")}})

    async def tooling_query(request: Request) -> Response:
        q = parse(request.query_params.get("q") or "")
        sources = {"customfield": (meta.tooling_fields, TOOLING_FIELD_COLUMNS),
                   "customobject": (meta.tooling_objects, TOOLING_OBJECT_COLUMNS)}
        if q.obj.lower() not in sources:
            raise SalesforceError("INVALID_TYPE", f"sObject type '{q.obj}' is not supported.")
        rows, columns = sources[q.obj.lower()]
        total, found = records.query(q, include_deleted=False, tooling_rows=rows(), tooling_columns=columns)
        return page(total, found)

    def wrap(handler: Handler) -> Handler:
        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except SalesforceError as exc:
                return json_response(exc.top_level(), exc.status)
        return run

    api: list[tuple[str, Handler, list[str]]] = [
        ("", resources, ["GET"]),
        ("/limits", limits, ["GET"]),
        ("/sobjects", describe_global, ["GET"]),
        ("/sobjects/{obj}/describe", describe, ["GET"]),
        ("/sobjects/{obj}", create, ["POST"]),
        ("/sobjects/{obj}/{id}", one, ["GET", "PATCH", "DELETE"]),
        ("/sobjects/{obj}/{field}/{value:path}", by_external_id, ["GET", "PATCH"]),
        ("/query", query, ["GET"]),
        ("/queryAll", query, ["GET"]),
        ("/query/{locator}", more, ["GET"]),
        ("/queryAll/{locator}", more, ["GET"]),
        ("/composite/sobjects", collection, ["POST", "PATCH", "DELETE"]),
        ("/composite/sobjects/{obj}/{field}", collection_upsert, ["PATCH"]),
        ("/composite/sobjects/{obj}", retrieve, ["GET", "POST"]),
        ("/tooling/sobjects/{kind}", tooling_create, ["POST"]),
        ("/tooling/sobjects/{kind}/{id}", tooling_one, ["GET", "DELETE"]),
        ("/tooling/query", tooling_query, ["GET"]),
    ]
    out = [Route("/services/data", versions, methods=["GET"]), Route("/services/data/", versions, methods=["GET"])]
    for path, handler, methods in api + extra:
        wrapped = wrap(handler)
        out.append(Route(f"/services/data/v{{version}}{path}", wrapped, methods=methods))
        out.append(Route(f"/services/data/v{{version}}{path}/", wrapped, methods=methods))
    return out

