"""Salesforce Sales Cloud destination over REST v59.0, sObject Collections and the Tooling API (reference §2).

Writes are idempotent by Salesforce's own upsert: every record carries its external id in
`BW_External_Id__c` (Text 255, unique, External ID; the schema plan creates it), and batches of at
most 200 go to `PATCH /composite/sobjects/<Object>/BW_External_Id__c` with allOrNone false, so a batch
replayed after a dropped connection updates what already landed. Per-record failures come back in
request order with a `statusCode`, mapped to Outcome codes without record values; a whole-request
refusal (e.g. one unparsable date) is split until each record has its own Outcome.

New custom fields are invisible until field-level security grants them (§2.3): apply_change
creates the field with the Tooling API, then grants read/edit (FieldPermissions) through the
permission set `Bridgework_API`, which it creates and assigns to the API user (from
/services/oauth2/userinfo). New custom objects also get create/read/edit/delete there
(ObjectPermissions). Custom objects are created with `POST /tooling/sobjects/CustomObject`
{FullName, Metadata}; the reference documents SOAP `createMetadata` for this, so the contract suite
against a real org is what proves (or disproves) the Tooling form. Custom fields are found again by
Tooling SOQL on DeveloperName and compared on TableEnumOrId in Python (the object's name, or a
custom object's 15/18-character id), so either id length works.

With BRIDGEWORK_SALESFORCE_CLIENT_ID/_SECRET (client-credentials flow) instead of a fixed token, a
401 mid-run (sessions time out) fetches a new token once and repeats the request.

Limits: the org's rolling 24-hour API allocation is the only throttle; a 403 `REQUEST_LIMIT_EXCEEDED`
(TotalRequests) stops the run with a clear message (it resumes later), while the
ConcurrentPerOrgLongTxn variant is retried. Every response's `Sforce-Limit-Info` is kept in
`api_usage` and paces the requests: used/max over the rolling window, usage this client did not send
counted as recent (waits longer than `max_pace_wait` are left to the 403).

Checked outside the reference (third-party code and Q&A, R): more than 200 records per Collections
call fail `EXCEEDED_ID_LIMIT` ("record limit reached. cannot submit more than 200 records into this
call"); two records of one request sharing an external id both fail `DUPLICATE_VALUE` ("Duplicate
external id specified"), an id matching several stored records fails `DUPLICATE_EXTERNAL_ID`; `''`
in a text field is stored as null; the Metadata/Tooling APIs grant FLS to nobody, not even the
deploying admin. Still open (reference §5.2): 200 vs 204 on upsert-update (we read `created`, so
either works), and whether recycled records keep their unique values.

Delete sends records to the Recycle Bin (IsDeleted, kept about 15 days, still visible to queryAll):
by default a rollback leaves them there (capabilities.hard_delete False). With `hard_delete = true`
in bridgework.toml (the API user holds "Bulk API Hard Delete") deletes go through a Bulk API 2.0
`hardDelete` job instead and are permanent; records already in the Recycle Bin stay there. Removing
a custom field moves it to Setup's Deleted Fields, where it still counts against the edition's
limit until erased.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from connectors.base import MODIFIED_AT, Action, Capabilities, DestRecord, Outcome, Record, users_by_email
from connectors.destinations._salesforce_bulk import hard_delete
from connectors.destinations._salesforce_shape import (
    DENTAL_OBJECTS,
    EDITIONS,
    EXTERNAL_ID_FIELD,
    body,
    field_metadata,
    flatten,
    object_metadata,
    reject,
    soql_prefix,
    soql_text,
    to_entity,
)
from connectors.http import Pacer, RetryPolicy, UnreachableError, Verdict, classify_response, make_client, not_answering, send
from connectors.secrets import require_secret, secret
from mapper.errors import ConfigError, DestinationError
from mapper.schema import Schema, SchemaChange

TOKEN_ENV = "BRIDGEWORK_SALESFORCE_TOKEN"
CLIENT_ID_ENV = "BRIDGEWORK_SALESFORCE_CLIENT_ID"
CLIENT_SECRET_ENV = "BRIDGEWORK_SALESFORCE_CLIENT_SECRET"
API_VERSION = "v59.0"
MAX_BATCH = 200  # §2.5: sObject Collections take at most 200 records
FIND_CHUNK = 100  # external ids per SOQL IN list: keeps the GET URL far below the 16 KB request-line limits
RETRIEVE_GET_CHARS = 6000  # longer id/field lists use the POST form of Collections retrieve
PERMISSION_SET = "Bridgework_API"
_SKIPPED_TYPES = frozenset({"base64", "address", "location"})
_GONE = frozenset({"ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY", "NOT_FOUND"})


def capabilities_for(edition: str = "Enterprise", audit_fields: bool = False, hard_delete: bool = False) -> Capabilities:
    """The limits of an org of `edition`; created dates survive only with Set Audit Fields (§2.11), deletes are
    permanent only with Bulk API Hard Delete (§2.9)."""
    fields, objects = EDITIONS[edition]
    return Capabilities(
        max_batch=MAX_BATCH,
        requests_per_window=None,  # §2.7: a rolling daily allocation, no per-window throttle
        window_seconds=86_400.0,
        upsert_by_external_id=True,
        external_id_field=EXTERNAL_ID_FIELD,
        hard_delete=hard_delete,  # §2.9: otherwise DELETE goes to the Recycle Bin
        preserves_created_at=audit_fields,
        max_custom_objects=objects,
        max_custom_fields_per_object=fields,
        max_name_length=43,  # 40 characters before the __c suffix
    )


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        data = response.json()
    except ValueError:
        return []
    if isinstance(data, list):
        return [e for e in data if isinstance(e, dict)]
    return [data] if isinstance(data, dict) else []


_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


def _code(response: httpx.Response) -> str:
    errors = _errors(response)
    return str(errors[0].get("errorCode") or errors[0].get("error") or "") if errors else ""


def classify(response: httpx.Response) -> Verdict:
    """classify_response, plus: the ConcurrentPerOrgLongTxn 403 is worth another try (§2.7)."""
    if response.status_code == 403 and any("ConcurrentPerOrgLongTxn" in str(e.get("message"))
                                           for e in _errors(response)):
        return "retryable"
    return classify_response(response)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class SalesforceDestination:
    """Salesforce over REST: describe, Tooling custom fields/objects with FLS grants, Collections upsert/delete."""

    name = "salesforce"

    def __init__(self, client: httpx.Client, *, url: str, policy: RetryPolicy | None = None,
                 edition: str = "Enterprise", audit_fields: bool = False, hard_delete: bool = False,
                 renew: Callable[[], str] | None = None, pacer: Pacer | None = None) -> None:
        self.client = client
        self.pacer = pacer
        self.renew = renew
        self.url = url
        self.policy = policy or RetryPolicy()
        self.capabilities = capabilities_for(edition, audit_fields, hard_delete)
        self.base = f"/services/data/{API_VERSION}"
        self.api_usage: str | None = None
        self._described: dict[str, dict[str, Any]] = {}
        self._objects: list[dict[str, Any]] | None = None
        self._permission_set: str | None = None

    # --- transport -----------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = send(self.client, method, path, policy=self.policy, what=f"Salesforce at {self.url}",
                            classify=classify, pacer=self.pacer, **kwargs)
        except UnreachableError as exc:
            raise not_answering(exc, "Salesforce", self.url, "salesforce") from None
        self.api_usage = response.headers.get("sforce-limit-info", self.api_usage)
        usage = _USAGE.search(self.api_usage or "")
        if usage and self.pacer is not None:
            self.pacer.sync(int(usage.group(1)), int(usage.group(2)))
        return response

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with retries; auth and daily-quota refusals become one-line errors."""
        response = self._send(method, path, **kwargs)
        if response.status_code == 401 and self.renew is not None:
            # sessions time out (2 h by default): the client-credentials flow gets a new token once, then retries
            self.client.headers["Authorization"] = f"Bearer {self.renew()}"
            response = self._send(method, path, **kwargs)
        if response.status_code == 401:
            raise ConfigError(
                f"Salesforce at {self.url} refused the access token (HTTP 401 {_code(response) or 'unauthorised'}).",
                hint=f"Set {TOKEN_ENV} to a fresh access token (or {CLIENT_ID_ENV} and {CLIENT_SECRET_ENV} for the "
                     "client-credentials flow), then run the same command again.")
        if response.status_code == 403:
            if _code(response) == "REQUEST_LIMIT_EXCEEDED":
                raise DestinationError(
                    f"Salesforce's daily API request limit is used up ({self.api_usage or 'no usage header'}).",
                    hint="The run stops here and resumes where it left off: run the same command again once the "
                         "rolling 24-hour window frees requests (Setup > Company Information shows usage), or ask "
                         "Salesforce for a higher allocation.")
            raise ConfigError(
                f"Salesforce at {self.url} refused access (HTTP 403 {_code(response) or 'forbidden'}).",
                hint="Give the API user the API Enabled permission and access to the objects bridgework writes.")
        return response

    def _ok(self, response: httpx.Response, what: str) -> Any:
        if response.status_code >= 400:
            raise DestinationError(f"Salesforce refused {what} ({_code(response) or 'error'}, "
                                   f"HTTP {response.status_code}).",
                                   hint="Run bridgework describe to refresh the destination schema, then try again.")
        return response.json(parse_float=Decimal) if response.content else None

    def _query(self, soql: str, what: str, *, tooling: bool = False) -> Iterator[dict[str, Any]]:
        """Every record a SOQL query returns, following nextRecordsUrl."""
        path = f"{self.base}/tooling/query" if tooling else f"{self.base}/query"
        page = self._ok(self._request("GET", path, params={"q": soql}), what)
        seen: set[str] = set()
        while True:
            yield from page.get("records", [])
            following = page.get("nextRecordsUrl")
            if page.get("done", True) or not following:
                return
            if following in seen:
                raise DestinationError(f"Salesforce repeated a query page while reading {what}.",
                                       hint="Run the same command again; if it persists, report it with the org id.")
            seen.add(following)
            page = self._ok(self._request("GET", following), what)

    # --- metadata ------------------------------------------------------------------------

    def _global(self, refresh: bool = False) -> list[dict[str, Any]]:
        if self._objects is None or refresh:
            self._objects = list(self._ok(self._request("GET", f"{self.base}/sobjects/"), "the object list")["sobjects"])
        return self._objects

    def _describe(self, entity: str) -> dict[str, Any]:
        if entity not in self._described:
            response = self._request("GET", f"{self.base}/sobjects/{entity}/describe")
            if response.status_code == 404:
                raise DestinationError(f"Salesforce has no object '{entity}' the API user can see.",
                                       hint="Run bridgework plan --apply to create it, or bridgework describe to list "
                                            "objects.")
            self._described[entity] = self._ok(response, f"describing {entity}")
        return self._described[entity]

    def _fields(self, entity: str) -> dict[str, dict[str, Any]]:
        return {f["name"]: f for f in self._describe(entity)["fields"]}

    def describe(self) -> Schema:
        """The objects a dental migration uses plus every custom object, with field-level-security-visible fields."""
        objects = {o["name"]: o for o in self._global(refresh=True)}
        names = [n for n in DENTAL_OBJECTS if n in objects]
        names += sorted(n for n, o in objects.items() if o.get("custom") and n.endswith("__c"))
        self._described.clear()
        schema = Schema(system="salesforce", entities=tuple(to_entity(self._describe(n)) for n in names),
                        version=API_VERSION)
        if self.capabilities.preserves_created_at and schema.has("Contact") \
                and schema.entity("Contact").field("CreatedDate").readonly:
            raise ConfigError("bridgework.toml says set_audit_fields = true, but this org does not let the API user "
                              "set CreatedDate.",
                              hint='Enable "Set Audit Fields upon Record Creation" and grant it to the API user, or '
                                   "remove set_audit_fields (original dates then go to custom fields).")
        return schema

    def _object_id(self, entity: str) -> str | None:
        """The Tooling id (01I...) of a custom object."""
        soql = f"SELECT Id FROM CustomObject WHERE DeveloperName = {soql_text(entity.removesuffix('__c'))}"
        found = list(self._query(soql, "the custom objects", tooling=True))
        return str(found[0]["Id"]) if found else None

    def _field_id(self, change: SchemaChange) -> str | None:
        """The Tooling id (00N...) of a custom field; TableEnumOrId is the object's name, or a custom object's id."""
        soql = (f"SELECT Id, TableEnumOrId FROM CustomField WHERE DeveloperName = "
                f"{soql_text(change.name.removesuffix('__c'))}")
        found = list(self._query(soql, "the custom fields", tooling=True))
        if not found:
            return None
        tables = {change.entity.lower()}
        if change.entity.endswith("__c"):
            object_id = self._object_id(change.entity)
            tables |= {object_id[:15].lower()} if object_id else set()
        return next((str(f["Id"]) for f in found if str(f.get("TableEnumOrId") or "")[:15].lower() in tables
                     or str(f.get("TableEnumOrId") or "").lower() in tables), None)

    def _create(self, kind: str, full_name: str, metadata: dict[str, Any],
                existing: Callable[[], str | None]) -> str:
        response = self._request("POST", f"{self.base}/tooling/sobjects/{kind}",
                                 json={"FullName": full_name, "Metadata": metadata})
        if response.status_code < 400:
            return str(response.json()["id"])
        if any("There is already" in str(e.get("message")) for e in _errors(response)):
            found: str | None = existing()
            if found:
                return found
        self._ok(response, f"creating the {kind} {full_name}")
        raise DestinationError(f"Salesforce did not create the {kind} {full_name}.")

    def apply_change(self, change: SchemaChange) -> str:
        """Create a custom object, or a custom field plus its field-level-security grant; existing ones are reused."""
        if change.kind == "object":
            found = self._object_id(change.entity) or self._create(
                "CustomObject", change.entity, object_metadata(change), lambda: self._object_id(change.entity))
            self._grant_object(change.entity)
            self._global(refresh=True)
            return found
        field_id = self._field_id(change) or self._create(
            "CustomField", f"{change.entity}.{change.name}", field_metadata(change), lambda: self._field_id(change))
        self._grant(change.entity, change.name)
        self._described.pop(change.entity, None)
        return field_id

    def _user_id(self) -> str:
        info = self._ok(self._request("GET", "/services/oauth2/userinfo"), "the API user's identity")
        return str(info["user_id"])

    def _permission_set_id(self) -> str:
        """The permission set Bridgework_API, created and assigned to the API user on first use."""
        if self._permission_set is None:
            found = list(self._query(f"SELECT Id FROM PermissionSet WHERE Name = {soql_text(PERMISSION_SET)}",
                                     "the permission sets"))
            if found:
                self._permission_set = str(found[0]["Id"])
            else:
                created = self._ok(self._request("POST", f"{self.base}/sobjects/PermissionSet", json={
                    "Name": PERMISSION_SET, "Label": "Bridgework API"}), "creating the permission set")
                self._permission_set = str(created["id"])
            user = self._user_id()
            assigned = list(self._query(f"SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = {soql_text(user)} "
                                        f"AND PermissionSetId = {soql_text(self._permission_set)}", "assignments"))
            if not assigned:
                self._ok(self._request("POST", f"{self.base}/sobjects/PermissionSetAssignment", json={
                    "AssigneeId": user, "PermissionSetId": self._permission_set}), "assigning the permission set")
        return self._permission_set

    def _ensure(self, kind: str, where: Mapping[str, str], grant: Mapping[str, bool], what: str) -> None:
        """One permission record (FieldPermissions / ObjectPermissions) holding every flag of `grant`."""
        conditions = " AND ".join(f"{k} = {soql_text(v)}" for k, v in where.items())
        found = list(self._query(f"SELECT Id, {', '.join(grant)} FROM {kind} WHERE {conditions}", what))
        if not found:
            self._ok(self._request("POST", f"{self.base}/sobjects/{kind}", json={**where, **grant}), what)
        elif not all(found[0].get(flag) for flag in grant):
            self._ok(self._request("PATCH", f"{self.base}/sobjects/{kind}/{found[0]['Id']}", json=dict(grant)), what)

    def _grant(self, entity: str, field: str) -> None:
        """Read/edit on the field through the permission set Bridgework_API (a new field is hidden until then, §2.3)."""
        self._ensure("FieldPermissions", {"ParentId": self._permission_set_id(), "SobjectType": entity,
                                          "Field": f"{entity}.{field}"},
                     {"PermissionsRead": True, "PermissionsEdit": True}, f"granting access to {entity}.{field}")

    def _grant_object(self, entity: str) -> None:
        """Create/read/edit/delete on a new custom object through the same permission set."""
        self._ensure("ObjectPermissions", {"ParentId": self._permission_set_id(), "SobjectType": entity},
                     {"PermissionsRead": True, "PermissionsCreate": True, "PermissionsEdit": True,
                      "PermissionsDelete": True}, f"granting access to {entity}")

    def revert_change(self, change: SchemaChange) -> None:
        """Delete a custom field (its grants go with it) or a custom object; already gone is fine."""
        kind = "CustomObject" if change.kind == "object" else "CustomField"
        item = self._object_id(change.entity) if change.kind == "object" else self._field_id(change)
        if item is None:
            return
        response = self._request("DELETE", f"{self.base}/tooling/sobjects/{kind}/{item}")
        if response.status_code != 404:
            self._ok(response, f"removing {change.key}")
        self._described.pop(change.entity, None)
        if change.kind == "object":
            self._global(refresh=True)

    # --- records -------------------------------------------------------------------------

    def upsert(self, entity: str, records: Sequence[DestRecord]) -> list[Outcome]:
        """Collections upsert on BW_External_Id__c, 200 per call; one Outcome per record, in order."""
        outcomes: list[Outcome] = []
        for chunk in _chunks(list(records), MAX_BATCH):
            outcomes += self._upsert_chunk(entity, chunk)
        return outcomes

    def _insert_only(self, entity: str, chunk: Sequence[DestRecord]) -> list[DestRecord]:
        """The chunk without insert-only values (CreatedDate with Set Audit Fields, §2.11) on records that exist."""
        fields = self._fields(entity)
        insert_only = {n for r in chunk for n in r.values
                       if (fields.get(n) or {}).get("createable") and not (fields.get(n) or {}).get("updateable")}
        if not insert_only:
            return list(chunk)
        existing = self.find(entity, [r.external_id for r in chunk])
        return [DestRecord(r.external_id, {k: v for k, v in r.values.items() if k not in insert_only})
                if r.external_id in existing else r for r in chunk]

    def _upsert_chunk(self, entity: str, chunk: Sequence[DestRecord]) -> list[Outcome]:
        sent = self._insert_only(entity, chunk)
        payload = {"allOrNone": False,
                   "records": [body(entity, {**r.values, EXTERNAL_ID_FIELD: r.external_id}) for r in sent]}
        response = self._request("PATCH", f"{self.base}/composite/sobjects/{entity}/{EXTERNAL_ID_FIELD}", json=payload)
        if response.status_code == 404:
            raise DestinationError(
                f"Salesforce has no {entity}.{EXTERNAL_ID_FIELD} the API user can see ({_code(response) or 'NOT_FOUND'}).",
                hint="Run bridgework plan --apply: it creates the external-id field and grants field-level security.")
        if response.status_code >= 400:
            if len(chunk) == 1:
                code, message, details = reject(entity, _errors(response), response.status_code)
                return [Outcome(chunk[0].external_id, None, "reject", message, code, details)]
            half = (len(chunk) + 1) // 2
            return self._upsert_chunk(entity, chunk[:half]) + self._upsert_chunk(entity, chunk[half:])
        results = response.json()
        if not isinstance(results, list) or len(results) != len(chunk):
            raise DestinationError(f"Salesforce answered an upsert of {len(chunk)} {entity} records with "
                                   f"{len(results) if isinstance(results, list) else 'no'} results.",
                                   hint="Run the same command again (it resumes); the replay upserts by external id.")
        outcomes = []
        for record, result in zip(chunk, results):
            if result.get("success"):
                action: Action = "create" if result.get("created") else "update"  # Salesforce never says "unchanged"
                outcomes.append(Outcome(record.external_id, str(result["id"]), action))
            else:
                code, message, details = reject(entity, result.get("errors") or [])
                outcomes.append(Outcome(record.external_id, result.get("id"), "reject", message, code, details))
        return outcomes

    def update(self, entity: str, destination_id: str, values: Record) -> Outcome:
        """Write `values` onto one record (restoring a before-image); fields Salesforce computes are left out."""
        fields = self._fields(entity)
        kept = {k: v for k, v in values.items() if "." in k or (fields.get(k) or {}).get("updateable")}
        external = str(values.get(EXTERNAL_ID_FIELD) or "")
        payload = body(entity, kept)
        del payload["attributes"]
        response = self._request("PATCH", f"{self.base}/sobjects/{entity}/{destination_id}", json=payload)
        if response.status_code >= 400:
            code, message, details = reject(entity, _errors(response), response.status_code)
            return Outcome(external, destination_id, "reject", message, code, details)
        return Outcome(external, destination_id, "update")

    def _retrieve(self, entity: str, ids: Sequence[str], names: Sequence[str]) -> list[dict[str, Any]]:
        path = f"{self.base}/composite/sobjects/{entity}"
        if sum(len(x) + 1 for x in [*ids, *names]) > RETRIEVE_GET_CHARS:  # §2.5: the POST form has no URL limit
            response = self._request("POST", path, json={"ids": list(ids), "fields": list(names)})
        else:
            response = self._request("GET", path, params={"ids": ",".join(ids), "fields": ",".join(names)})
        return [r for r in self._ok(response, f"reading {entity}") if r]

    def read(self, entity: str, ids: Sequence[str], fields: Sequence[str] | None = None) -> dict[str, Record]:
        """Salesforce id -> flat stored values plus MODIFIED_AT (LastModifiedDate); missing or recycled ids left out."""
        if fields is None:
            wanted = [n for n, f in self._fields(entity).items() if f.get("type") not in _SKIPPED_TYPES]
        else:
            wanted = [n for n in dict.fromkeys(fields) if "." not in n and n != MODIFIED_AT]
        names = list(dict.fromkeys(["Id", *wanted, "LastModifiedDate"]))
        out: dict[str, Record] = {}
        for chunk in _chunks(list(ids), MAX_BATCH):
            for record in self._retrieve(entity, chunk, names):
                flat = flatten(record)
                out[str(record["Id"])] = {k: flat.get(k) for k in [*wanted, MODIFIED_AT]}
        return out

    def find(self, entity: str, external_ids: Sequence[str]) -> dict[str, str]:
        """External id -> Salesforce id, by SOQL on BW_External_Id__c (matching ignores case, as Salesforce's does)."""
        wanted = {x.lower(): x for x in external_ids}
        found: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(external_ids)), FIND_CHUNK):
            soql = (f"SELECT Id, {EXTERNAL_ID_FIELD} FROM {entity} WHERE {EXTERNAL_ID_FIELD} IN "
                    f"({', '.join(soql_text(x) for x in chunk)})")
            for record in self._query(soql, f"a {entity} lookup"):
                key = wanted.get(str(record.get(EXTERNAL_ID_FIELD) or "").lower())
                if key is not None:
                    found[key] = str(record["Id"])
        return found

    def count(self, entity: str, external_id_prefix: str) -> int:
        """Live records of `entity` whose external id starts with the prefix (0 while the field is missing)."""
        soql = f"SELECT COUNT() FROM {entity} WHERE {EXTERNAL_ID_FIELD} LIKE {soql_prefix(external_id_prefix)}"
        response = self._request("GET", f"{self.base}/query", params={"q": soql})
        if response.status_code == 400 and _code(response) == "INVALID_FIELD":
            return 0
        return int(self._ok(response, f"counting {entity}")["totalSize"])

    def delete(self, entity: str, ids: Sequence[str]) -> list[Outcome]:
        """Collections delete, 200 per call, to the Recycle Bin; with hard_delete a Bulk hardDelete job instead.

        Already-gone ids count as deleted (details already_absent)."""
        has_external = EXTERNAL_ID_FIELD in self._fields(entity)
        names = ["Id", EXTERNAL_ID_FIELD] if has_external else ["Id"]
        outcomes: list[Outcome] = []
        for chunk in _chunks(list(ids), MAX_BATCH):
            stored = {str(r["Id"]): str(r.get(EXTERNAL_ID_FIELD) or "") for r in self._retrieve(entity, chunk, names)}
            for destination_id, errors in zip(chunk, self._remove(entity, chunk)):
                external = stored.get(destination_id, "")
                if not errors:
                    outcomes.append(Outcome(external, destination_id, "delete"))
                elif errors[0].get("statusCode") in _GONE:
                    outcomes.append(Outcome(external, destination_id, "delete", details={"already_absent": True}))
                else:
                    code, message, details = reject(entity, errors)
                    outcomes.append(Outcome(external, destination_id, "reject", message, code, details))
        return outcomes

    def _remove(self, entity: str, chunk: Sequence[str]) -> list[list[dict[str, Any]]]:
        """The errors of each id's delete, in order (empty: deleted)."""
        if self.capabilities.hard_delete:
            codes = hard_delete(self._request, self.base, entity, chunk, self.policy.sleep)
            return [[] if codes.get(i, "NOT_FOUND") is None else [{"statusCode": codes.get(i, "NOT_FOUND")}]
                    for i in chunk]
        response = self._request("DELETE", f"{self.base}/composite/sobjects",
                                 params={"ids": ",".join(chunk), "allOrNone": "false"})
        results = self._ok(response, f"deleting {entity}")
        if not isinstance(results, list) or len(results) != len(chunk):
            raise DestinationError(f"Salesforce answered a delete of {len(chunk)} {entity} records with a different "
                                   "number of results.", hint="Run the same command again.")
        return [[] if r.get("success") else list(r.get("errors") or [{}]) for r in results]

    def users(self) -> dict[str, str]:
        """Active Users by lower-cased Email -> Id (one SOQL query, following nextRecordsUrl)."""
        return users_by_email(self._query("SELECT Id, Email FROM User WHERE IsActive = true ORDER BY Id",
                                          "the active users"), "Email", "Id")

    def close(self) -> None:
        """Release the HTTP client."""
        self.client.close()


def _token_by_client_credentials(url: str, client_id: str, client_secret: str) -> tuple[str, str]:
    """(access token, instance url) from the OAuth client-credentials flow (§2.1)."""
    with make_client(url) as client:
        response = send(client, "POST", "/services/oauth2/token", policy=RetryPolicy(attempts=3),
                        what=f"Salesforce at {url}", data={"grant_type": "client_credentials", "client_id": client_id,
                                                           "client_secret": client_secret})
    if response.status_code >= 400:
        try:
            error = str(response.json().get("error") or "")
        except ValueError:
            error = ""
        raise ConfigError(f"Salesforce refused the client credentials (HTTP {response.status_code} {error}).",
                          hint=f"Check {CLIENT_ID_ENV} and {CLIENT_SECRET_ENV} (the connected app's consumer key and "
                               "secret, with the client-credentials flow enabled), or set "
                               f"{TOKEN_ENV} instead.")
    data = response.json()
    return str(data["access_token"]), str(data.get("instance_url") or url).rstrip("/")


def from_settings(options: Mapping[str, Any], root: Path) -> SalesforceDestination:
    """A SalesforceDestination for the [destination] table: url (instance), edition, set_audit_fields, hard_delete."""
    url = str(options.get("url") or "").rstrip("/")
    if not url:
        raise ConfigError("The Salesforce destination has no url.",
                          hint='Set url under [destination] in bridgework.toml to the instance URL '
                               '(https://<mydomain>.my.salesforce.com; "local" rehearses against the emulator).')
    edition = str(options.get("edition") or "Enterprise")
    if edition not in EDITIONS:
        raise ConfigError(f"Unknown Salesforce edition '{edition}'.", hint=f"Use one of: {', '.join(EDITIONS)}.")
    token = secret(TOKEN_ENV)
    client_id, client_secret = secret(CLIENT_ID_ENV), secret(CLIENT_SECRET_ENV)
    renew: Callable[[], str] | None = None
    if not token and client_id and client_secret:
        login = str(options.get("login_url") or url)

        def renew() -> str:
            return _token_by_client_credentials(login, client_id, client_secret)[0]
        token, url = _token_by_client_credentials(login, client_id, client_secret)
    if not token:
        token = require_secret(TOKEN_ENV, "Salesforce access token")
    client = make_client(url, headers={"Authorization": f"Bearer {token}"})
    # pace from Sforce-Limit-Info (§2.7): the allocation is a rolling 24 h (`usage_window_seconds`, scaled down
    # against a bench emulator); a wait longer than `max_pace_wait` is not waited: the 403 stops the run instead
    pacer = Pacer(None, float(options.get("usage_window_seconds") or 86_400.0),
                  max_wait=float(options.get("max_pace_wait") or 300.0)) if options.get("pace", True) else None
    return SalesforceDestination(client, url=url, edition=edition, renew=renew, pacer=pacer,
                                 audit_fields=bool(options.get("set_audit_fields", False)),
                                 hard_delete=bool(options.get("hard_delete", False)))

