"""How Twenty checks and silently changes one field value on write (reference §1.7, §1.9)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, timezone
from typing import Any

import phonenumbers

from connectors.emulators._twenty_schema import COMPOSITES, composite_default


class ApiError(Exception):
    """A response the real server gives instead of data: status, messages and error class name."""

    def __init__(self, status: int, message: str, error: str = "BadRequestException",
                 graphql_message: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error
        self.graphql_message = graphql_message or message

    def body(self) -> dict[str, Any]:
        """The REST error body (reference §1.9)."""
        return {"statusCode": self.status, "error": self.error, "messages": [self.message]}


def bad(message: str) -> ApiError:
    """A 400 with the REST error shape."""
    return ApiError(400, message)


def check_uuid(value: Any) -> str:
    """The id itself when it is a UUID, else the documented 400."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise bad(f"'{value}' is not a valid UUID") from None


def iso_now(moment: datetime) -> str:
    """Twenty's timestamp format: milliseconds, UTC, `Z`."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _datetime(value: Any) -> str:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise bad(f'invalid input syntax for type timestamp with time zone: "{value}"') from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return iso_now(parsed)


def _date(value: Any) -> str:
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        raise bad(f'invalid input syntax for type date: "{value}"') from None


def _url(value: str) -> str:
    return value.strip().lower().rstrip("/")


def _json_list(value: Any, item: Any) -> str | None:
    """additionalEmails / additionalPhones / secondaryLinks: kept as a JSON string."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad("Invalid JSON array") from None
    if not isinstance(value, list):
        raise bad("Invalid JSON array")
    return json.dumps([v for v in (item(v) for v in value) if v is not None])


def _link(entry: Any) -> dict[str, str] | None:
    if not isinstance(entry, dict):
        return None
    url = _url(str(entry.get("url") or ""))
    return {"url": url, "label": str(entry.get("label") or "")} if url else None


def _string(field: str, sub: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise bad(f'Invalid value for field "{field}.{sub}": expected a string')


def _number(field: str, value: Any) -> Any:
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    raise bad(f'Invalid value for field "{field}": expected a number')


def _markdown_to_blocknote(markdown: str) -> str:
    blocks = [
        {"id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"{i}:{line}")), "type": "paragraph", "props": {},
         "content": [{"type": "text", "text": line, "styles": {}}], "children": []}
        for i, line in enumerate(markdown.split("\n"))
    ]
    return json.dumps(blocks)


def _blocknote_to_markdown(blocknote: str) -> str:
    try:
        blocks = json.loads(blocknote)
    except ValueError:
        raise bad("Invalid blocknote JSON") from None
    lines = []
    for block in blocks if isinstance(blocks, list) else []:
        content = block.get("content") if isinstance(block, dict) else None
        lines.append("".join(c.get("text", "") for c in content or [] if isinstance(c, dict)))
    return "\n".join(lines)


def composite(field: str, ftype: str, value: Any, current: dict[str, Any] | None) -> dict[str, Any]:
    """A composite value merged over `current` (or the defaults) with Twenty's silent changes applied."""
    out = dict(current or composite_default(ftype))
    if value is None:
        return composite_default(ftype)
    if not isinstance(value, dict):
        raise bad(f'Invalid value for field "{field}": expected an object')
    if ftype == "ACTOR":  # server-managed (reference §1.12): input is ignored
        return out
    allowed = COMPOSITES[ftype]
    for sub, raw in value.items():
        if sub not in allowed:
            raise bad(f'Object has no "{sub}" subfield in field "{field}"')
        if sub == "primaryEmail":
            out[sub] = (_string(field, sub, raw) or "").strip().lower()
        elif sub == "additionalEmails":
            out[sub] = _json_list(raw, lambda e: str(e).strip().lower() or None)
        elif sub == "additionalPhones":
            out[sub] = _json_list(raw, lambda p: p)
        elif sub == "secondaryLinks":
            out[sub] = _json_list(raw, _link)
        elif sub == "primaryLinkUrl":
            out[sub] = _url(_string(field, sub, raw) or "")
        elif sub == "primaryPhoneCountryCode":
            code = (_string(field, sub, raw) or "").strip().upper()
            if code and phonenumbers.country_code_for_region(code) == 0:
                raise bad(f"Invalid country code {code}")
            out[sub] = code
        elif sub == "primaryPhoneCallingCode":
            calling = (_string(field, sub, raw) or "").strip()
            digits = calling.lstrip("+")
            if calling and (not digits.isdigit() or int(digits) not in phonenumbers.COUNTRY_CODE_TO_REGION_CODE):
                raise bad(f"Invalid calling code {calling}")
            out[sub] = f"+{digits}" if digits else ""
        elif sub in ("amountMicros", "addressLat", "addressLng"):
            out[sub] = _number(f"{field}.{sub}", raw)
        else:
            out[sub] = _string(field, sub, raw)
    if ftype == "RICH_TEXT_V2":
        if "markdown" in value and "blocknote" not in value:
            out["blocknote"] = None if out["markdown"] is None else _markdown_to_blocknote(out["markdown"])
        elif "blocknote" in value and "markdown" not in value:
            out["markdown"] = None if out["blocknote"] is None else _blocknote_to_markdown(out["blocknote"])
    return out


def scalar(obj: str, field: dict[str, Any], value: Any) -> Any:
    """A non-composite value as stored, or the server's 400."""
    name, ftype = field["name"], field["type"]
    if value is None:
        if not field["isNullable"]:
            raise bad(f'null value in column "{name}" of relation "{obj}" violates not-null constraint')
        return None
    if ftype == "TEXT":
        if not isinstance(value, str):
            raise bad(f'Invalid value for field "{name}": expected a string')
        return value
    if ftype in ("NUMBER", "NUMERIC", "POSITION"):
        return _number(name, value)
    if ftype == "BOOLEAN":
        if not isinstance(value, bool):
            raise bad(f'Invalid value for field "{name}": expected a boolean')
        return value
    if ftype == "DATE_TIME":
        return _datetime(value)
    if ftype == "DATE":
        return _date(value)
    if ftype in ("SELECT", "RATING"):
        if value not in {o["value"] for o in field["options"] or ()}:
            raise bad(f'invalid input value for enum {obj}_{name}_enum: "{value}"')
        return value
    if ftype == "MULTI_SELECT":
        allowed = {o["value"] for o in field["options"] or ()}
        if not isinstance(value, list) or any(v not in allowed for v in value):
            raise bad(f'invalid input value for enum {obj}_{name}_enum')
        return value
    if ftype == "UUID":
        return check_uuid(value)
    if ftype == "ARRAY" and not isinstance(value, list):
        raise bad(f'Invalid value for field "{name}": expected an array')
    if ftype == "RICH_TEXT":
        raise bad("Rich text is not supported, please use RICH_TEXT_V2 instead")
    return value


_CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")


def check_name(name: Any, what: str) -> str:
    """A metadata name: camelCase, at most 63 characters (reference §1.3)."""
    if not isinstance(name, str) or not _CAMEL.match(name):
        raise ApiError(400, f"{what} name should be in camelCase", "Bad Request")
    if len(name) > 63:
        raise ApiError(400, f"{what} name exceeds 63 characters", "Bad Request")
    return name
