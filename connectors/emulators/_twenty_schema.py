"""Twenty's standard objects and fields as a fresh workspace's metadata API reports them (reference §1.2, §1.6)."""

from __future__ import annotations

import uuid
from typing import Any

NAMESPACE = uuid.UUID("6f1d2b7c-7a51-4c0e-9b1e-2f0c1d7e7a01")

COMPOSITES: dict[str, tuple[str, ...]] = {
    "FULL_NAME": ("firstName", "lastName"),
    "EMAILS": ("primaryEmail", "additionalEmails"),
    "PHONES": ("primaryPhoneNumber", "primaryPhoneCountryCode", "primaryPhoneCallingCode", "additionalPhones"),
    "ADDRESS": (
        "addressStreet1", "addressStreet2", "addressCity", "addressPostcode",
        "addressState", "addressCountry", "addressLat", "addressLng",
    ),
    "CURRENCY": ("amountMicros", "currencyCode"),
    "LINKS": ("primaryLinkLabel", "primaryLinkUrl", "secondaryLinks"),
    "RICH_TEXT_V2": ("blocknote", "markdown"),
    "ACTOR": ("source", "workspaceMemberId", "name", "context"),
}

# The subfield a unique composite field is unique on (reference §1.5).
UNIQUE_SUBFIELD = {"EMAILS": "primaryEmail", "LINKS": "primaryLinkUrl"}

# Composite subfields stored as JSON strings (reference §1.7).
JSON_STRING_SUBFIELDS = frozenset({"additionalEmails", "additionalPhones", "secondaryLinks"})

FIELD_TYPES = frozenset({
    "UUID", "TEXT", "PHONES", "EMAILS", "DATE_TIME", "DATE", "BOOLEAN", "NUMBER", "NUMERIC", "LINKS",
    "CURRENCY", "FULL_NAME", "RATING", "SELECT", "MULTI_SELECT", "RELATION", "POSITION", "ADDRESS",
    "RAW_JSON", "RICH_TEXT", "RICH_TEXT_V2", "ACTOR", "ARRAY", "TS_VECTOR",
})


def stable_id(*parts: str) -> str:
    """A deterministic UUID for a metadata item or a seeded record."""
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


def composite_default(ftype: str) -> dict[str, Any]:
    """The stored value of a composite field nobody wrote."""
    if ftype == "FULL_NAME":
        return {"firstName": "", "lastName": ""}
    if ftype == "EMAILS":
        return {"primaryEmail": "", "additionalEmails": None}
    if ftype == "PHONES":
        return {"primaryPhoneNumber": "", "primaryPhoneCountryCode": "", "primaryPhoneCallingCode": "", "additionalPhones": None}
    if ftype == "ADDRESS":
        return {k: (None if k in ("addressLat", "addressLng") else "") for k in COMPOSITES["ADDRESS"]}
    if ftype == "CURRENCY":
        return {"amountMicros": None, "currencyCode": ""}
    if ftype == "LINKS":
        return {"primaryLinkLabel": "", "primaryLinkUrl": "", "secondaryLinks": None}
    if ftype == "RICH_TEXT_V2":
        return {"blocknote": None, "markdown": None}
    return {"source": "API", "workspaceMemberId": None, "name": "", "context": {}}


def _field(name: str, ftype: str, label: str, *, nullable: bool = True, default: Any = None,
           system: bool = False, unique: bool = False, options: list[str] | None = None,
           target: str | None = None, relation: str | None = None, on_delete: str | None = None,
           inverse: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name, "type": ftype, "label": label, "isNullable": nullable, "defaultValue": default,
        "isSystem": system, "isUnique": unique, "options": None,
    }
    if options is not None:
        spec["options"] = [
            {"id": stable_id("option", name, v), "value": v, "label": v.replace("_", " ").title(), "position": i, "color": "gray"}
            for i, v in enumerate(options)
        ]
    if target is not None:
        spec["relation"] = {"target": target, "type": relation, "onDelete": on_delete, "inverse": inverse}
    return spec


def _text(name: str, label: str) -> dict[str, Any]:
    return _field(name, "TEXT", label, nullable=False, default="''")


def system_fields() -> list[dict[str, Any]]:
    """The fields every object has (reference §1.6)."""
    return [
        _field("id", "UUID", "Id", nullable=False, default="uuid", system=True),
        _field("createdAt", "DATE_TIME", "Creation date", nullable=False, default="now"),
        _field("updatedAt", "DATE_TIME", "Last update", nullable=False, default="now"),
        _field("deletedAt", "DATE_TIME", "Deleted at"),
        _field("position", "POSITION", "Position", system=True),
        _field("createdBy", "ACTOR", "Created by", nullable=False, default={"name": "''", "source": "'MANUAL'"}),
        _field("searchVector", "TS_VECTOR", "Search vector", system=True),
    ]


def _many_to_one(name: str, label: str, target: str, on_delete: str, inverse: str) -> dict[str, Any]:
    return _field(name, "RELATION", label, target=target, relation="MANY_TO_ONE", on_delete=on_delete, inverse=inverse)


def _one_to_many(name: str, label: str, target: str, inverse: str) -> dict[str, Any]:
    return _field(name, "RELATION", label, target=target, relation="ONE_TO_MANY", inverse=inverse)


def _targets(singular: str) -> list[dict[str, Any]]:
    """The inverse sides every record object has: note/task targets and attachments."""
    return [
        _one_to_many("noteTargets", "Notes", "noteTarget", singular),
        _one_to_many("taskTargets", "Tasks", "taskTarget", singular),
        _one_to_many("attachments", "Attachments", "attachment", singular),
    ]


def target_links(singular: str, label: str) -> list[tuple[str, dict[str, Any]]]:
    """The MANY_TO_ONE fields a record object adds to noteTarget, taskTarget and attachment."""
    return [
        (owner, _many_to_one(singular, label, singular, "CASCADE", plural))
        for owner, plural in (("noteTarget", "noteTargets"), ("taskTarget", "taskTargets"), ("attachment", "attachments"))
    ]


def standard_objects() -> list[dict[str, Any]]:
    """nameSingular, namePlural, labels, isSystem and own fields of each standard object."""
    objects: list[dict[str, Any]] = [
        {"nameSingular": "person", "namePlural": "people", "labelSingular": "Person", "labelPlural": "People",
         "description": "A person", "icon": "IconUser", "isSystem": False, "labelIdentifier": "name", "fields": [
             _field("name", "FULL_NAME", "Name", default={"firstName": "''", "lastName": "''"}),
             _field("emails", "EMAILS", "Emails", default={"primaryEmail": "''", "additionalEmails": None}, unique=True),
             _field("linkedinLink", "LINKS", "Linkedin"),
             _field("xLink", "LINKS", "X"),
             _text("jobTitle", "Job Title"),
             _field("phones", "PHONES", "Phones"),
             _text("city", "City"),
             _text("avatarUrl", "Avatar"),
             _many_to_one("company", "Company", "company", "SET_NULL", "people"),
             _one_to_many("pointOfContactForOpportunities", "Linked Opportunities", "opportunity", "pointOfContact"),
             *_targets("person"),
         ]},
        {"nameSingular": "company", "namePlural": "companies", "labelSingular": "Company", "labelPlural": "Companies",
         "description": "A company", "icon": "IconBuildingSkyscraper", "isSystem": False, "labelIdentifier": "name", "fields": [
             _text("name", "Name"),
             _field("domainName", "LINKS", "Domain Name", unique=True),
             _field("employees", "NUMBER", "Employees"),
             _field("linkedinLink", "LINKS", "Linkedin"),
             _field("xLink", "LINKS", "X"),
             _field("annualRecurringRevenue", "CURRENCY", "ARR"),
             _field("address", "ADDRESS", "Address"),
             _field("idealCustomerProfile", "BOOLEAN", "ICP", nullable=False, default=False),
             _many_to_one("accountOwner", "Account Owner", "workspaceMember", "SET_NULL", "accountOwnerForCompanies"),
             _one_to_many("people", "People", "person", "company"),
             _one_to_many("opportunities", "Opportunities", "opportunity", "company"),
             *_targets("company"),
         ]},
        {"nameSingular": "opportunity", "namePlural": "opportunities", "labelSingular": "Opportunity",
         "labelPlural": "Opportunities", "description": "An opportunity", "icon": "IconTargetArrow", "isSystem": False,
         "labelIdentifier": "name", "fields": [
             _text("name", "Name"),
             _field("amount", "CURRENCY", "Amount"),
             _field("closeDate", "DATE_TIME", "Close date"),
             _field("stage", "SELECT", "Stage", nullable=False, default="'NEW'",
                    options=["NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER"]),
             _many_to_one("pointOfContact", "Point of Contact", "person", "SET_NULL", "pointOfContactForOpportunities"),
             _many_to_one("company", "Company", "company", "SET_NULL", "opportunities"),
             *_targets("opportunity"),
         ]},
        {"nameSingular": "note", "namePlural": "notes", "labelSingular": "Note", "labelPlural": "Notes",
         "description": "A note", "icon": "IconNotes", "isSystem": False, "labelIdentifier": "title", "fields": [
             _text("title", "Title"),
             _field("bodyV2", "RICH_TEXT_V2", "Body"),
             _one_to_many("noteTargets", "Relations", "noteTarget", "note"),
             _one_to_many("attachments", "Attachments", "attachment", "note"),
         ]},
        {"nameSingular": "noteTarget", "namePlural": "noteTargets", "labelSingular": "Note Target",
         "labelPlural": "Note Targets", "description": "A note target", "icon": "IconCheckbox", "isSystem": True,
         "labelIdentifier": "id", "fields": [
             _many_to_one("note", "Note", "note", "SET_NULL", "noteTargets"),
         ]},
        {"nameSingular": "task", "namePlural": "tasks", "labelSingular": "Task", "labelPlural": "Tasks",
         "description": "A task", "icon": "IconCheckbox", "isSystem": False, "labelIdentifier": "title", "fields": [
             _text("title", "Title"),
             _field("bodyV2", "RICH_TEXT_V2", "Body"),
             _field("dueAt", "DATE_TIME", "Due Date"),
             _field("status", "SELECT", "Status", default="'TODO'", options=["TODO", "IN_PROGRESS", "DONE"]),
             _many_to_one("assignee", "Assignee", "workspaceMember", "SET_NULL", "assignedTasks"),
             _one_to_many("taskTargets", "Relations", "taskTarget", "task"),
             _one_to_many("attachments", "Attachments", "attachment", "task"),
         ]},
        {"nameSingular": "taskTarget", "namePlural": "taskTargets", "labelSingular": "Task Target",
         "labelPlural": "Task Targets", "description": "A task target", "icon": "IconCheckbox", "isSystem": True,
         "labelIdentifier": "id", "fields": [
             _many_to_one("task", "Task", "task", "SET_NULL", "taskTargets"),
         ]},
        {"nameSingular": "attachment", "namePlural": "attachments", "labelSingular": "Attachment",
         "labelPlural": "Attachments", "description": "An attachment", "icon": "IconFileImport", "isSystem": True,
         "labelIdentifier": "name", "fields": [
             _text("name", "Name"),
             _text("fullPath", "Full path"),
             _text("type", "Type"),
             _many_to_one("author", "Author", "workspaceMember", "SET_NULL", "authoredAttachments"),
             _many_to_one("note", "Note", "note", "CASCADE", "attachments"),
             _many_to_one("task", "Task", "task", "CASCADE", "attachments"),
         ]},
        {"nameSingular": "workspaceMember", "namePlural": "workspaceMembers", "labelSingular": "Workspace Member",
         "labelPlural": "Workspace Members", "description": "A workspace member", "icon": "IconUserCircle",
         "isSystem": True, "labelIdentifier": "name", "fields": [
             _field("name", "FULL_NAME", "Name", nullable=False, default={"firstName": "''", "lastName": "''"}),
             _text("userEmail", "User Email"),
             _field("userId", "UUID", "User Id", nullable=False),
             _field("locale", "TEXT", "Language", nullable=False, default="'en'"),
             _field("colorScheme", "TEXT", "Color Scheme", nullable=False, default="'System'"),
             _text("avatarUrl", "Avatar Url"),
             _one_to_many("accountOwnerForCompanies", "Account Owner For Companies", "company", "accountOwner"),
             _one_to_many("assignedTasks", "Assigned tasks", "task", "assignee"),
             _one_to_many("authoredAttachments", "Authored attachments", "attachment", "author"),
         ]},
    ]
    owners = {o["nameSingular"]: o for o in objects}
    for singular in ("person", "company", "opportunity"):
        for owner, spec in target_links(singular, owners[singular]["labelSingular"]):
            owners[owner]["fields"].append(spec)
    return objects


# A fresh workspace's sample data: five companies and their founders (reference §1.1).
SAMPLE_COMPANIES: tuple[tuple[str, str, str, str, str], ...] = (
    ("Airbnb", "https://airbnb.com", "Brian", "Chesky", "chesky@airbnb.com"),
    ("Qonto", "https://qonto.com", "Alexandre", "Prot", "prot@qonto.com"),
    ("Stripe", "https://stripe.com", "Patrick", "Collison", "collison@stripe.com"),
    ("Figma", "https://figma.com", "Dylan", "Field", "field@figma.com"),
    ("Notion", "https://notion.com", "Ivan", "Zhao", "zhao@notion.com"),
)

WORKSPACE_MEMBER = {"name": {"firstName": "Practice", "lastName": "Admin"}, "userEmail": "admin@practice.test"}
# Staff who joined the sample workspace by invite (workspace members are never created over the API).
INVITED_MEMBERS: tuple[tuple[str, str, str], ...] = (
    ("Dana", "Dentist", "dana.dentist@practice.test"),
    ("Harper", "Hygienist", "harper.hygienist@practice.test"),
)
