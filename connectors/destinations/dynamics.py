"""Dynamics 365 Sales destination over the Dataverse Web API v9.2 (reference/destinations.md §3).

Every write is an upsert by alternate key: `PATCH /contacts(bw_externalid='bw:...')` creates or updates
(204 either way, §3.4), so a `$batch` replayed after a dropped connection lands the same rows again instead
of duplicating them. The key on `bw_externalid` is created by apply_change together with the column and
is used only once the server reports it Active (§3.3). Upserts travel in `$batch` requests of independent
parts (no change set) with `Prefer: odata.continue-on-error`, so one refused record never loses the others'
results (§3.5); parts answered 429/5xx are sent again after the server's Retry-After.

Checked against Microsoft Learn (docs search): an alternate-key PATCH without conditions answers 204 on
create and on update and never duplicates; a `$batch` holds at most 1000 requests and the URLs inside it
may be 64 KB long, so the connector's `$filter` lookups (50 ids each) also travel inside `$batch`.

Choices and what the reference left open:
- max_batch 200 requests per `$batch`: the cap is 1000 (V), but a batch's whole execution time counts
  toward the 1,200 s per 5 minutes budget and Microsoft advises small batches (§3.5); 200 upserts keep one
  request far below the 2-minute request timeout and bound what a replay re-sends.
- Pacing: a client-side sliding window at the service-protection request limit (6,000 per 300 s per user,
  §3.6; `requests_per_window` / `window_seconds` options, scaled down against a bench emulator), so a long
  load runs at the limit instead of bursting into 429s; a 429's Retry-After still holds every request
  (RetryPolicy cap 300 s, the length of the window). The concurrency (52) and execution-time limits are
  not paced: the connector sends one request at a time, each far below them.
- Choice columns: describe() lists option *labels* as enum_values; upsert accepts a label or the integer
  value; read() returns the label.
- Lookups use the column's logical name with a GUID value (bound to the first target); polymorphic lookups
  (Customer, regarding) take `<table>:<guid>` for another target, and read() returns that form whenever the
  target is not the first one. A lookup set to None is left as it is (clearing needs a DELETE of `$ref`).
- Empty strings: Dataverse stores "" as null; the unchanged check treats them as equal.
- An external id containing `/` or `\\` cannot be an alternate-key value in a URL (MicrosoftDocs/
  powerapps-docs#117); those records are upserted by a GUID derived from the external id (uuid5), which
  PATCH also creates idempotently (§3.4 "known GUID").
- count() pages through ids instead of trusting `$count` (capped at 5,000 by the real service).
- max_custom_objects is None: the "15 custom tables" claim is unconfirmed (§3.3, open point 1); the plan
  warns about it instead.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from connectors.base import MODIFIED_AT, Capabilities, DestRecord, Outcome, Record, users_by_email
from connectors.destinations._dynamics_meta import (
    STANDARD_TABLES,
    TABLE_SELECT,
    Table,
    build_table,
    column_body,
    lookup_body,
    table_body,
    table_paths,
    to_entity,
)
from connectors.destinations._dynamics_wire import (
    API,
    GUID,
    LOOKUP_TYPES,
    Answer,
    BadValue,
    Call,
    batch_body,
    decode,
    dumps,
    encode,
    entity_id,
    literal,
    parse_batch,
    same,
)
from connectors.http import Pacer, RetryPolicy, UnreachableError, classify_response, make_client, not_answering, send
from connectors.secrets import require_secret
from mapper.errors import ConfigError, DestinationError
from mapper.naming import DEFAULT_PREFIX
from mapper.schema import Schema, SchemaChange

TOKEN_ENV = "BRIDGEWORK_DYNAMICS_TOKEN"
EXTERNAL_ID_FIELD = f"{DEFAULT_PREFIX}externalid"
CAPABILITIES = Capabilities(
    max_batch=200,  # §3.5: ≤ 1000 per $batch; 200 keeps each batch's execution time small (see module doc)
    requests_per_window=6000,  # §3.6: 6,000 per 5 min per user (429 + Retry-After beyond it)
    window_seconds=300.0,
    upsert_by_external_id=True,  # alternate key on bw_externalid, PATCH /set(bw_externalid='...')
    external_id_field=EXTERNAL_ID_FIELD,
    hard_delete=True,  # §3.4: DELETE is permanent
    preserves_created_at=True,  # §3.8: overriddencreatedon on create becomes createdon
    max_custom_objects=None,  # §3.3: the 15-table limit is unconfirmed
    max_name_length=50,
)
CHUNK = 50  # ids per $filter (keeps GET URLs far below the service's URL length limit)
_RETRYABLE = frozenset({429, 500, 502, 503, 504})
_CODES = {"0x80044331": "too_long", "0x80060892": "duplicate", "0x80040237": "duplicate", "0x8004431a": "bad_choice",
          "0x80040203": "required", "0x80040217": "missing_reference", "0x80060888": "unknown_field",
          "0x80048d19": "bad_value", "0x80043e09": "too_large", "0x8006088a": "bad_key"}
_READ_HEADERS = (("Prefer", 'odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname",'
                            'odata.maxpagesize=5000'),)
_TOO_LONG = re.compile(r"length of the '(\w+)' attribute of the '(\w+)' entity exceeded the maximum allowed length "
                       r"of '(\d+)'")


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def reason(entity: str, answer: Answer) -> tuple[str, str]:
    """(code, message) for a refused record, naming columns and limits but never values."""
    hex_code, message = answer.error
    code = _CODES.get(hex_code.lower(), f"http_{answer.status}")
    long = _TOO_LONG.search(message)
    if long:
        return code, f"{long.group(2)}.{long.group(1)} is longer than {long.group(3)} characters (Dataverse {hex_code})"
    what = {"duplicate": "another record already has this external id or key value",
            "missing_reference": "a linked record does not exist", "bad_choice": "a choice value is not an option",
            "required": "a system-required column is empty", "unknown_field": "a column does not exist",
            "bad_key": "the alternate key is not usable"}.get(code, "the record was refused")
    return code, f"Dataverse refused the {entity} record: {what} ({hex_code or 'no code'}, HTTP {answer.status})"


class DynamicsDestination:
    """Dataverse over the Web API: describe, custom columns/tables/keys, batched upsert by alternate key."""

    name = "dynamics"
    capabilities = CAPABILITIES

    def __init__(self, client: httpx.Client, *, url: str, policy: RetryPolicy | None = None,
                 pacer: Pacer | None = None, prefix: str = DEFAULT_PREFIX, solution: str | None = None,
                 key_wait: float = 600.0) -> None:
        self.client = client
        self.url = url
        self.policy = policy or RetryPolicy(cap=300.0)
        self.pacer = pacer
        self.prefix = prefix
        self.key_wait = key_wait
        # new columns, tables and keys go into this solution, whose publisher owns the prefix (§3.3)
        self.solution = {"MSCRM.SolutionUniqueName": solution} if solution else {}
        self._rows: dict[str, dict[str, Any]] | None = None
        self._tables: dict[str, Table] = {}

    # --- transport -----------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = send(self.client, method, path, policy=self.policy, what=f"Dataverse at {self.url}",
                            classify=classify_response, pacer=self.pacer, **kwargs)
        except UnreachableError as exc:
            raise not_answering(exc, "Dataverse", self.url, "dynamics") from None
        if response.status_code in (401, 403):
            raise ConfigError(
                f"Dataverse at {self.url} refused the access token (HTTP {response.status_code}).",
                hint=f"Set {TOKEN_ENV} to a current token for an application user with a security role, "
                     "then run the same command again.")
        return response

    def _json(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        if response.status_code >= 400:
            code = Answer(response.status_code, {}, _safe_json(response)).error[0]
            raise DestinationError(f"Dataverse refused {what} ({code or 'no code'}, HTTP {response.status_code}).",
                                   hint="Run bridgework describe to refresh the destination schema, then try again.")
        return _safe_json(response) if response.content else None

    def _batch(self, calls: Sequence[Call]) -> list[Answer]:
        """Run independent requests in `$batch` requests; parts answered 429/5xx are sent again."""
        answers: dict[int, Answer] = {}
        todo = list(range(len(calls)))
        for attempt in range(self.policy.attempts):
            for chunk in _chunks(todo, CAPABILITIES.max_batch):
                answers.update(zip(chunk, self._send_batch([calls[i] for i in chunk])))
            todo = [i for i in todo if answers[i].status in _RETRYABLE]
            if not todo:
                return [answers[i] for i in range(len(calls))]
            hint = max(_retry_after(answers[i]) for i in todo)
            self.policy.sleep(min(self.policy.cap, hint or 2.0 ** attempt))
        raise DestinationError(f"Dataverse at {self.url} kept throttling or failing {len(todo)} request(s) of a batch.",
                               hint="Wait a few minutes, then run the same command again (it resumes).")

    def _send_batch(self, calls: list[Call]) -> list[Answer]:
        content_type, body = batch_body(calls)
        response = self._request("POST", "$batch", content=body,
                                 headers={"Content-Type": content_type, "Prefer": "odata.continue-on-error"})
        got = parse_batch(response.headers.get("content-type", ""), response.content)
        if response.status_code >= 400 or len(got) != len(calls):
            code = Answer(response.status_code, {}, _safe_json(response)).error[0]
            raise DestinationError(f"Dataverse refused a $batch of {len(calls)} requests ({code or 'no code'}, "
                                   f"HTTP {response.status_code}).",
                                   hint="Run the same command again; if it persists, report it with the org's version.")
        return got

    # --- metadata ------------------------------------------------------------------------------

    def _table_rows(self, refresh: bool = False) -> dict[str, dict[str, Any]]:
        if self._rows is None or refresh:
            body = self._json("GET", f"EntityDefinitions?$select={TABLE_SELECT},MetadataId", "the table list")
            self._rows = {r["LogicalName"]: r for r in body.get("value", [])}
        return self._rows

    def _table(self, entity: str, refresh: bool = False) -> Table:
        if entity in self._tables and not refresh:
            return self._tables[entity]
        row = self._table_rows().get(entity) or self._table_rows(refresh=True).get(entity)
        if row is None:
            raise DestinationError(f"Dataverse has no table '{entity}'.",
                                   hint="Run bridgework plan --apply to create it, or bridgework describe to list tables.")
        answers = self._batch([Call("GET", p) for p in table_paths(entity)])
        if any(a.status >= 400 for a in answers):
            raise DestinationError(f"Dataverse refused the metadata of {entity}.",
                                   hint="Check that the application user may read metadata (System Customizer role).")
        self._tables[entity] = build_table(row, answers)
        return self._tables[entity]

    def describe(self) -> Schema:
        """The standard tables bridgework maps onto plus every table carrying the publisher prefix."""
        rows = self._table_rows(refresh=True)
        self._tables.clear()
        names = [n for n in STANDARD_TABLES if n in rows] + sorted(n for n in rows if n.startswith(self.prefix))
        return Schema(system="dynamics", entities=tuple(to_entity(self._table(n)) for n in names), version="9.2")

    def apply_change(self, change: SchemaChange) -> str:
        """Create a custom table, column (lookups via a relationship) and, for unique ones, an Active key."""
        if change.kind == "object":
            row = self._table_rows(refresh=True).get(change.entity)
            if row is None:
                self._created(self._request("POST", "EntityDefinitions", json=table_body(change, self.prefix),
                                            headers=self.solution),
                              f"the custom table {change.entity}")
                row = self._table_rows(refresh=True)[change.entity]
            return str(row.get("MetadataId") or change.entity)
        table = self._table(change.entity, refresh=True)
        if change.name not in table.columns:
            what = f"the custom column {change.entity}.{change.name}"
            if change.type == "reference" and change.reference:
                body = lookup_body(change, self._table(change.reference))
                self._created(self._request("POST", "RelationshipDefinitions", json=body, headers=self.solution),
                              what)
            else:
                self._created(self._request("POST", f"EntityDefinitions(LogicalName='{change.entity}')/Attributes",
                                            json=column_body(change), headers=self.solution), what)
            table = self._table(change.entity, refresh=True)
        if change.unique or change.external_id:
            self._ensure_key(table, change.name)
        column = table.columns.get(change.name)
        return str(column.get("MetadataId") if column else change.key)

    def _created(self, response: httpx.Response, what: str) -> None:
        if response.status_code >= 400:
            code, message = Answer(response.status_code, {}, _safe_json(response)).error
            prefix_hint = (f" It must start with the publisher prefix ({self.prefix}); set solution under "
                           "[destination] to a solution whose publisher owns that prefix."
                           if "prefix" in message.lower() else "")
            raise DestinationError(f"Dataverse refused {what} ({code or 'no code'}, HTTP {response.status_code}).",
                                   hint=f"Check the name (bridgework plan shows it).{prefix_hint} The application "
                                        "user needs the System Customizer role.")

    def _ensure_key(self, table: Table, column: str) -> None:
        """An alternate key on `column`, waited for until Active (§3.3); Failed means duplicates exist."""
        key = table.key_on(column)
        base = f"EntityDefinitions(LogicalName='{table.name}')/Keys"
        if key is None:
            self._created(self._request("POST", base, headers=self.solution, json={
                "SchemaName": f"{column}_key", "KeyAttributes": [column],
                "DisplayName": {"LocalizedLabels": [{"Label": f"{column} key", "LanguageCode": 1033}]}}),
                f"the alternate key on {table.name}.{column}")
        waited, pause = 0.0, 1.0
        while True:
            keys = self._json("GET", f"{base}?$select=SchemaName,LogicalName,KeyAttributes,EntityKeyIndexStatus,"
                                     "MetadataId", f"the keys of {table.name}").get("value", [])
            table.keys = keys
            key = table.key_on(column)
            status = (key or {}).get("EntityKeyIndexStatus")
            if status == "Active":
                return
            if status == "Failed" or key is None:
                raise DestinationError(
                    f"The alternate key on {table.name}.{column} failed to build: records share a value.",
                    hint=f"Remove the duplicates, delete the key {column}_key in the maker portal, then run "
                         "bridgework plan --apply again.")
            if waited >= self.key_wait:
                raise DestinationError(f"The alternate key on {table.name}.{column} is still {status} after "
                                       f"{int(waited)} s.", hint="Wait a few minutes, then run the same command again.")
            self.policy.sleep(pause)
            waited += pause
            pause = min(pause * 2, 30.0)

    def revert_change(self, change: SchemaChange) -> None:
        """Delete a custom column (its keys first) or table; gone already is fine."""
        rows = self._table_rows(refresh=True)
        if change.kind == "object":
            row = rows.get(change.entity)
            if row is not None:
                self._gone(self._request("DELETE", f"EntityDefinitions({row['MetadataId']})"), change.key)
                self._table_rows(refresh=True)
                self._tables.pop(change.entity, None)
            return
        if change.entity not in rows:
            return
        table = self._table(change.entity, refresh=True)
        column = table.columns.get(change.name)
        if column is None:
            return
        for key in [k for k in table.keys if change.name in (k.get("KeyAttributes") or [])]:
            self._gone(self._request("DELETE", f"EntityDefinitions(LogicalName='{table.name}')/Keys"
                                               f"({key['MetadataId']})"), change.key)
        if column["AttributeType"] in LOOKUP_TYPES:  # a lookup goes with its relationship
            name = table.relationships.get(change.name, "")
            self._gone(self._request("DELETE", f"RelationshipDefinitions(SchemaName='{name}')"), change.key)
        else:
            self._gone(self._request("DELETE", f"EntityDefinitions(LogicalName='{table.name}')/Attributes"
                                               f"({column['MetadataId']})"), change.key)
        self._tables.pop(change.entity, None)

    def _gone(self, response: httpx.Response, what: str) -> None:
        if response.status_code >= 400 and response.status_code != 404:
            code = Answer(response.status_code, {}, _safe_json(response)).error[0]
            raise DestinationError(f"Dataverse refused removing {what} ({code or 'no code'}, "
                                   f"HTTP {response.status_code}).",
                                   hint="Remove what depends on it first (forms, views, keys), then try again.")

    # --- records -------------------------------------------------------------------------------

    def _lookup_value(self, table: Table, column: dict[str, Any], value: Any) -> tuple[str, str]:
        target, guid = _target(column, value) or ("", "")
        nav = table.navs.get((column["LogicalName"], target))
        if not GUID.match(guid) or nav is None:
            raise BadValue("bad_reference", f"{table.name}.{column['LogicalName']} needs a record id "
                                            "(or <table>:<id> for another target)")
        return f"{nav}@odata.bind", f"/{self._table_rows()[target]['EntitySetName']}({guid.lower()})"

    def _body(self, table: Table, values: Record) -> dict[str, Any]:
        body: dict[str, Any] = {}
        for name, value in values.items():
            if name in (EXTERNAL_ID_FIELD, MODIFIED_AT, table.primary_id):
                continue
            column = table.columns.get(name)
            if column is None:
                raise BadValue("unknown_field", f"{table.name} has no column {name}")
            if column["AttributeType"] in LOOKUP_TYPES:
                if value is not None and (column.get("IsValidForCreate") or column.get("IsValidForUpdate")):
                    key, bound = self._lookup_value(table, column, value)
                    body[key] = bound
                continue
            if not (column.get("IsValidForCreate") or column.get("IsValidForUpdate")):
                continue  # read-only (createdon, fullname, ...): a before-image carries them, the server ignores them
            body[name] = encode(column, value)
        return body

    def _address(self, table: Table, external: str) -> tuple[str, bool]:
        """(path, by key?): the alternate key, or a GUID derived from the external id when a key value cannot
        travel in a URL (`/` and `\\`)."""
        if "/" in external or "\\" in external:
            return f"{table.entity_set}({uuid.uuid5(uuid.NAMESPACE_URL, external)})", False
        return f"{table.entity_set}({EXTERNAL_ID_FIELD}={quote(literal(external), safe=':,=')})", True

    def upsert(self, entity: str, records: Sequence[DestRecord]) -> list[Outcome]:
        """Create or update by external id through the alternate key; one Outcome per record, in order."""
        table = self._table(entity)
        key = table.key_on(EXTERNAL_ID_FIELD)
        if key is None or key.get("EntityKeyIndexStatus") != "Active":
            table = self._table(entity, refresh=True)
            key = table.key_on(EXTERNAL_ID_FIELD)
            if key is None or key.get("EntityKeyIndexStatus") != "Active":
                raise DestinationError(f"{entity} has no Active alternate key on {EXTERNAL_ID_FIELD}.",
                                       hint="Run bridgework plan --apply (it creates the column and the key and waits "
                                            "until Dataverse reports it Active).")
        outcomes: dict[str, Outcome] = {}
        for chunk in _chunks(list(records), CAPABILITIES.max_batch):
            outcomes.update(self._upsert_chunk(table, chunk))
        return [outcomes[r.external_id] for r in records]

    def _upsert_chunk(self, table: Table, chunk: Sequence[DestRecord]) -> dict[str, Outcome]:
        """One $batch of upserts, after one lookup of what exists (unchanged records are not sent)."""
        wanted = sorted({n for r in chunk for n in r.values} & set(table.columns))
        stored = self._stored(table, [r.external_id for r in chunk], wanted)
        outcomes: dict[str, Outcome] = {}
        calls: list[Call] = []
        sent: list[DestRecord] = []
        for record in chunk:
            try:
                body = self._body(table, record.values)
            except BadValue as exc:
                outcomes[record.external_id] = Outcome(record.external_id, None, "reject", exc.message, exc.code)
                continue
            have = stored.get(record.external_id)
            if have is not None and self._unchanged(table, record.values, have[1]):
                outcomes[record.external_id] = Outcome(record.external_id, have[0], "unchanged")
                continue
            path, by_key = self._address(table, record.external_id)
            if not by_key:
                body[EXTERNAL_ID_FIELD] = record.external_id
            calls.append(Call("PATCH", path, body))
            sent.append(record)
        unknown: list[str] = []
        for record, answer in zip(sent, self._batch(calls)):
            have = stored.get(record.external_id)
            if answer.status >= 400:
                code, message = reason(table.name, answer)
                outcomes[record.external_id] = Outcome(record.external_id, have[0] if have else None, "reject",
                                                       message, code, {"status": answer.status})
                continue
            dest_id = entity_id(answer.headers.get("odata-entityid", "")) or (have[0] if have else None)
            outcomes[record.external_id] = Outcome(record.external_id, dest_id, "update" if have else "create")
            if dest_id is None:
                unknown.append(record.external_id)
        if unknown:  # the answer named the row by its key, not its id
            found = self.find(table.name, unknown)
            for external in unknown:
                outcomes[external] = replace(outcomes[external], destination_id=found.get(external))
        return outcomes

    def _unchanged(self, table: Table, values: Record, have: Record) -> bool:
        for name, value in values.items():
            if name in (EXTERNAL_ID_FIELD, MODIFIED_AT) or name not in table.columns:
                continue
            column = table.columns[name]
            if not (column.get("IsValidForCreate") or column.get("IsValidForUpdate")):
                continue
            if column["AttributeType"] in LOOKUP_TYPES:
                if value is not None and _target(column, value) != _target(column, have.get(name)):
                    return False
            elif not same(column, value, have.get(name)):
                return False
        return True

    def _select(self, table: Table, fields: Sequence[str] | None) -> list[str]:
        names = list(fields) if fields is not None else sorted(table.columns)
        names = [n for n in names if n in table.columns] + ["modifiedon", table.primary_id]
        return sorted({f"_{n}_value" if table.columns.get(n, {}).get("AttributeType") in LOOKUP_TYPES else n
                       for n in names if n in table.columns})

    def _flat(self, table: Table, row: dict[str, Any], fields: Sequence[str] | None) -> Record:
        out: Record = {}
        for name in (fields if fields is not None else sorted(table.columns)):
            column = table.columns.get(name)
            if column is None:
                continue
            if column["AttributeType"] in LOOKUP_TYPES:
                value = row.get(f"_{name}_value")
                target = row.get(f"_{name}_value@Microsoft.Dynamics.CRM.lookuplogicalname")
                first = column["Targets"][0] if column["Targets"] else None
                out[name] = f"{target}:{value}" if value and target and target != first else value
            elif name in row:
                out[name] = decode(column, row[name])
        out[MODIFIED_AT] = row.get("modifiedon")
        return out

    def _query(self, table: Table, select: list[str], filter_text: str) -> Iterator[dict[str, Any]]:
        url: str | None = self._url(table, select, filter_text)
        seen: set[str] = set()
        while url:
            body = self._json("GET", url, f"a {table.name} query", headers=dict(_READ_HEADERS))
            yield from body.get("value", [])
            url = self._next(table, body, seen)

    @staticmethod
    def _url(table: Table, select: list[str], filter_text: str) -> str:
        return f"{table.entity_set}?$select={','.join(select)}&$filter={quote(filter_text, safe='')}"

    @staticmethod
    def _next(table: Table, body: dict[str, Any], seen: set[str]) -> str | None:
        url = body.get("@odata.nextLink")
        if url in seen:
            raise DestinationError(f"Dataverse repeated a page link while listing {table.name}.",
                                   hint="Run the same command again; if it persists, report it.")
        if url:
            seen.add(url)
        return str(url) if url else None

    def _fetch(self, table: Table, select: list[str], filters: list[str]) -> Iterator[dict[str, Any]]:
        """Rows matching any of the filters: one GET per filter, all of them inside one $batch."""
        calls = [Call("GET", self._url(table, select, f), headers=_READ_HEADERS) for f in filters]
        for answer in self._batch(calls):
            if answer.status >= 400 or not isinstance(answer.body, dict):
                raise DestinationError(f"Dataverse refused a {table.name} query ({answer.error[0] or 'no code'}, "
                                       f"HTTP {answer.status}).", hint="Run bridgework describe, then try again.")
            yield from answer.body.get("value", [])
            seen: set[str] = set()
            url = self._next(table, answer.body, seen)
            while url:
                body = self._json("GET", url, f"a {table.name} query", headers=dict(_READ_HEADERS))
                yield from body.get("value", [])
                url = self._next(table, body, seen)

    def _stored(self, table: Table, externals: Sequence[str], fields: Sequence[str]) -> dict[str, tuple[str, Record]]:
        """External id -> (id, flat values of `fields`) for the records that exist."""
        if EXTERNAL_ID_FIELD not in table.columns or not externals:
            return {}
        wanted = list(fields) + [EXTERNAL_ID_FIELD]
        filters = [" or ".join(f"{EXTERNAL_ID_FIELD} eq {literal(x)}" for x in chunk)
                   for chunk in _chunks(list(externals), CHUNK)]
        out: dict[str, tuple[str, Record]] = {}
        for row in self._fetch(table, self._select(table, wanted), filters):
            flat = self._flat(table, row, wanted)
            out[str(flat[EXTERNAL_ID_FIELD])] = (str(row[table.primary_id]), flat)
        return out

    def find(self, entity: str, external_ids: Sequence[str]) -> dict[str, str]:
        """External id -> record id for those that exist."""
        table = self._table(entity)
        return {x: found[0] for x, found in self._stored(table, external_ids, []).items()}

    def count(self, entity: str, external_id_prefix: str) -> int:
        """Records whose external id starts with the prefix (paged: `$count` stops at 5,000)."""
        table = self._table(entity)
        if EXTERNAL_ID_FIELD not in table.columns:
            return 0
        text = f"startswith({EXTERNAL_ID_FIELD},{literal(external_id_prefix)})"
        return sum(1 for _ in self._query(table, [table.primary_id], text))

    def read(self, entity: str, ids: Sequence[str], fields: Sequence[str] | None = None) -> dict[str, Record]:
        """Record id -> flat stored values plus MODIFIED_AT; missing ids are left out."""
        table = self._table(entity)
        filters = [" or ".join(f"{table.primary_id} eq {i}" for i in chunk)
                   for chunk in _chunks([i for i in ids if GUID.match(i)], CHUNK)]
        if not filters:
            return {}
        return {str(row[table.primary_id]): self._flat(table, row, fields)
                for row in self._fetch(table, self._select(table, fields), filters)}

    def update(self, entity: str, destination_id: str, values: Record) -> Outcome:
        """Write `values` onto one existing record (If-Match: * so a missing record is not re-created)."""
        table = self._table(entity)
        external = str(values.get(EXTERNAL_ID_FIELD) or "")
        try:
            body = self._body(table, values)
        except BadValue as exc:
            return Outcome(external, destination_id, "reject", exc.message, exc.code)
        response = self._request("PATCH", f"{table.entity_set}({destination_id})", content=dumps(body),
                                 headers={"If-Match": "*", "Content-Type": "application/json; charset=utf-8"})
        if response.status_code >= 400:
            code, message = reason(entity, Answer(response.status_code, {}, _safe_json(response)))
            if response.status_code == 404:
                code, message = "missing", f"the {entity} record no longer exists"
            return Outcome(external, destination_id, "reject", message, code)
        return Outcome(external, destination_id, "update")

    def delete(self, entity: str, ids: Sequence[str]) -> list[Outcome]:
        """Permanent delete (§3.4); ids already gone count as deleted."""
        table = self._table(entity)
        present = self.read(entity, ids, [EXTERNAL_ID_FIELD] if EXTERNAL_ID_FIELD in table.columns else [])
        doomed = [i for i in ids if i in present]
        answers = dict(zip(doomed, self._batch([Call("DELETE", f"{table.entity_set}({i})") for i in doomed])))
        outcomes = []
        for destination_id in ids:
            external = str((present.get(destination_id) or {}).get(EXTERNAL_ID_FIELD) or "")
            answer = answers.get(destination_id)
            if answer is None or answer.status == 404:
                outcomes.append(Outcome(external, destination_id, "delete", details={"already_absent": True}))
            elif answer.status >= 400:
                code, message = reason(entity, answer)
                outcomes.append(Outcome(external, destination_id, "reject", message, code))
            else:
                outcomes.append(Outcome(external, destination_id, "delete"))
        return outcomes

    def users(self) -> dict[str, str]:
        """Enabled systemusers by lower-cased internalemailaddress -> systemuserid (paged by @odata.nextLink)."""
        table = self._table("systemuser")
        return users_by_email(self._query(table, [table.primary_id, "internalemailaddress"], "isdisabled eq false"),
                              "internalemailaddress", table.primary_id)

    def close(self) -> None:
        """Release the HTTP client."""
        self.client.close()


def _target(column: dict[str, Any], value: Any) -> tuple[str, str] | None:
    """(table, id) a lookup value points at: `<id>` means the first target, `<table>:<id>` another one."""
    if value is None:
        return None
    table, _, guid = str(value).rpartition(":")
    return (table or (column["Targets"][0] if column["Targets"] else ""), guid.lower())


def _safe_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _retry_after(answer: Answer) -> float:
    try:
        return max(0.0, float(answer.headers.get("retry-after", "0")))
    except ValueError:
        return 0.0


def org_url(url: str) -> str:
    """The organisation URL without a trailing slash or Web API path."""
    url = url.rstrip("/")
    return url[: -len(API.rstrip("/"))] if url.endswith(API.rstrip("/")) else url


def make_dynamics_client(url: str, token: str) -> httpx.Client:
    """An httpx client for the Web API root with the OData headers Dataverse expects (§3.1)."""
    return make_client(org_url(url) + API, timeout=120.0, headers={
        "Authorization": f"Bearer {token}", "OData-MaxVersion": "4.0", "OData-Version": "4.0",
        "Accept": "application/json"})


def from_settings(options: Mapping[str, Any], root: Path) -> DynamicsDestination:
    """A DynamicsDestination for the [destination] table: url (the org URL), optional prefix (default bw_)
    and solution (unique name of the solution new columns go into; its publisher must own the prefix)."""
    url = str(options.get("url") or "")
    if not url:
        raise ConfigError("The Dynamics destination has no url.",
                          hint='Set url under [destination] in bridgework.toml to the org URL, e.g. '
                               'https://<org>.crm.dynamics.com ("local" rehearses against the emulator).')
    token = require_secret(TOKEN_ENV, "Dataverse access token")
    limit = int(options.get("requests_per_window") or CAPABILITIES.requests_per_window or 6000)
    window = float(options.get("window_seconds") or CAPABILITIES.window_seconds)
    pacer = Pacer(limit, window) if options.get("pace", True) else None
    return DynamicsDestination(make_dynamics_client(url, token), url=org_url(url), pacer=pacer,
                               prefix=str(options.get("prefix") or DEFAULT_PREFIX),
                               solution=str(options["solution"]) if options.get("solution") else None)
