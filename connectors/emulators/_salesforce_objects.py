"""Salesforce emulator object catalogue: field and object records, system fields, standard objects (reference §2.2, §2.10)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

API_VERSION = "59.0"
TEXT_TYPES = frozenset({"string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "combobox"})


class SalesforceError(Exception):
    """An error as Salesforce reports it: HTTP status, errorCode/statusCode, message, fields."""

    def __init__(self, code: str, message: str, fields: Iterable[str] = (), status: int = 400,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = list(fields)
        self.status = status
        self.extra = extra or {}

    def top_level(self) -> list[dict[str, Any]]:
        """The REST body: a JSON array with errorCode."""
        body: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields:
            body["fields"] = self.fields
        return [body]

    def item(self) -> dict[str, Any]:
        """One error inside a Collections result: statusCode."""
        return {"statusCode": self.code, "message": self.message, "fields": self.fields, **self.extra}


@dataclass(frozen=True)
class SfField:
    """One field as describe reports it (only the properties the emulator uses are stored)."""

    name: str
    type: str
    label: str = ""
    length: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    defaulted: bool = False
    unique: bool = False
    external_id: bool = False
    id_lookup: bool = False
    custom: bool = False
    picklist: tuple[str, ...] = ()
    default: Any = None
    restricted: bool = False
    reference_to: tuple[str, ...] = ()
    relationship: str | None = None
    precision: int = 0
    scale: int = 0
    digits: int = 0
    calculated: bool = False
    auto_number: bool = False

    @property
    def required(self) -> bool:
        """Required on create (reference §2.2): createable, not nillable, not defaulted."""
        return self.createable and not self.nillable and not self.defaulted and self.type != "boolean"

    def describe(self) -> dict[str, Any]:
        """The describe JSON of this field."""
        return {
            "name": self.name, "label": self.label or self.name, "type": self.type, "length": self.length,
            "byteLength": self.length * 3, "precision": self.precision, "scale": self.scale, "digits": self.digits,
            "nillable": self.nillable, "createable": self.createable, "updateable": self.updateable,
            "defaultedOnCreate": self.defaulted, "custom": self.custom, "unique": self.unique,
            "externalId": self.external_id, "idLookup": self.id_lookup, "calculated": self.calculated,
            "autoNumber": self.auto_number, "filterable": True, "sortable": self.type not in ("textarea", "multipicklist"),
            "caseSensitive": False, "nameField": self.name == "Name", "soapType": _SOAP.get(self.type, "xsd:string"),
            "defaultValue": self.default if self.type != "boolean" else bool(self.default),
            "restrictedPicklist": self.restricted, "dependentPicklist": False,
            "picklistValues": [{"value": v, "label": v, "active": True, "defaultValue": v == self.default,
                                "validFor": None} for v in self.picklist],
            "referenceTo": list(self.reference_to), "relationshipName": self.relationship,
            "inlineHelpText": None,
        }


_SOAP = {"id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "date": "xsd:date",
         "datetime": "xsd:dateTime", "double": "xsd:double", "currency": "xsd:double", "percent": "xsd:double",
         "int": "xsd:int", "base64": "xsd:base64Binary"}


def _s(name: str, length: int = 255, label: str = "", **kw: Any) -> SfField:
    return SfField(name, kw.pop("type", "string"), label or name, length, **kw)


def _pick(name: str, values: tuple[str, ...], label: str = "", **kw: Any) -> SfField:
    return SfField(name, kw.pop("type", "picklist"), label or name, 255, picklist=values, **kw)


def _ref(name: str, to: tuple[str, ...], rel: str, label: str = "", **kw: Any) -> SfField:
    return SfField(name, "reference", label or name, 18, reference_to=to, relationship=rel, **kw)


def _t(name: str, kind: str, label: str = "", **kw: Any) -> SfField:
    return SfField(name, kind, label or name, **kw)


def system_fields(owner: bool, name_field: SfField | None) -> list[SfField]:
    """The fields every object has: Id, IsDeleted, owner, audit fields, SystemModstamp."""
    out = [SfField("Id", "id", "Record ID", 18, nillable=False, createable=False, updateable=False, defaulted=True,
                   id_lookup=True)]
    if owner:
        out.append(_ref("OwnerId", ("User",), "Owner", "Owner ID", nillable=False, defaulted=True))
    out.append(_t("IsDeleted", "boolean", "Deleted", nillable=False, createable=False, updateable=False, defaulted=True))
    if name_field is not None:
        out.append(name_field)
    audit = dict(nillable=False, createable=False, updateable=False, defaulted=True)
    out += [_t("CreatedDate", "datetime", "Created Date", **audit),
            _ref("CreatedById", ("User",), "CreatedBy", "Created By ID", **audit),
            _t("LastModifiedDate", "datetime", "Last Modified Date", **audit),
            _ref("LastModifiedById", ("User",), "LastModifiedBy", "Last Modified By ID", **audit),
            _t("SystemModstamp", "datetime", "System Modstamp", **audit)]
    return out


AUDIT_FIELDS = ("CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById")
AUDITABLE = frozenset({"Account", "Contact", "Opportunity", "Task", "Event", "ContentVersion"})


@dataclass
class SfObject:
    """One sObject: name, key prefix, flags and fields in describe order."""

    name: str
    label: str
    prefix: str
    fields: list[SfField]
    custom: bool = False
    createable: bool = True
    plural: str = ""
    object_id: str = ""

    def summary(self, base: str) -> dict[str, Any]:
        """The entry of this object in GET /sobjects/."""
        url = f"{base}/sobjects/{self.name}"
        return {"name": self.name, "label": self.label, "labelPlural": self.plural or _plural(self.label),
                "custom": self.custom, "createable": self.createable, "updateable": self.createable,
                "deletable": self.createable, "queryable": True, "searchable": True, "keyPrefix": self.prefix,
                "urls": {"sobject": url, "describe": f"{url}/describe", "rowTemplate": f"{url}/{{ID}}"}}


def _plural(label: str) -> str:
    if label.endswith("s"):
        return label
    return label[:-1] + "ies" if label.endswith("y") else label + "s"


_ADDRESS = ("Street", "City", "State", "PostalCode", "Country")
_ADDRESS_LENGTH = {"Street": 255, "City": 40, "State": 80, "PostalCode": 20, "Country": 80}


def _address(prefix: str) -> list[SfField]:
    return [_s(f"{prefix}{part}", _ADDRESS_LENGTH[part], f"{prefix} {part}",
               type="textarea" if part == "Street" else "string") for part in _ADDRESS]


_DESCRIPTION = _s("Description", 32000, "Description", type="textarea")
_LEAD_SOURCE = _pick("LeadSource", ("Web", "Phone Inquiry", "Partner Referral", "Other"), "Lead Source")
_OFF = dict(nillable=False, defaulted=True, default=False)  # a checkbox that starts unticked
_READ_ONLY = dict(createable=False, updateable=False)


def _people() -> list[SfObject]:
    account = [_s("Name", 255, "Account Name", nillable=False, id_lookup=True),
               _ref("ParentId", ("Account",), "Parent", "Parent Account ID"),
               _pick("Type", ("Prospect", "Customer - Direct", "Customer - Channel", "Other"), "Account Type"),
               *_address("Billing"), *_address("Shipping"),
               _s("Phone", 40, "Account Phone", type="phone"), _s("Fax", 40, "Account Fax", type="phone"),
               _s("AccountNumber", 40, "Account Number"), _s("Website", 255, "Website", type="url"),
               _s("Site", 80, "Account Site"),
               _pick("Industry", ("Healthcare", "Education", "Finance", "Other"), "Industry"),
               _t("NumberOfEmployees", "int", "Employees", digits=8), _DESCRIPTION]
    contact = [_ref("AccountId", ("Account",), "Account", "Account ID"),
               _s("LastName", 80, "Last Name", nillable=False), _s("FirstName", 40, "First Name"),
               _pick("Salutation", ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof."), "Salutation"),
               _s("MiddleName", 40, "Middle Name"), _s("Suffix", 40, "Suffix"),
               _s("Name", 121, "Full Name", nillable=False, defaulted=True, **_READ_ONLY),
               *_address("Mailing"), *_address("Other"),
               _s("Phone", 40, "Business Phone", type="phone"), _s("HomePhone", 40, "Home Phone", type="phone"),
               _s("MobilePhone", 40, "Mobile Phone", type="phone"), _s("OtherPhone", 40, "Other Phone", type="phone"),
               _s("Fax", 40, "Business Fax", type="phone"), _s("AssistantName", 40, "Assistant's Name"),
               _s("AssistantPhone", 40, "Asst. Phone", type="phone"),
               _ref("ReportsToId", ("Contact",), "ReportsTo", "Reports To ID"),
               _s("Email", 80, "Email", type="email", id_lookup=True), _s("Title", 128, "Title"),
               _s("Department", 80, "Department"), _t("Birthdate", "date", "Birthdate"),
               _pick("GenderIdentity", ("Male", "Female", "Nonbinary", "Not Listed"), "Gender Identity"),
               _LEAD_SOURCE, _t("HasOptedOutOfEmail", "boolean", "Email Opt Out", **_OFF),
               _t("HasOptedOutOfFax", "boolean", "Fax Opt Out", **_OFF),
               _t("DoNotCall", "boolean", "Do Not Call", **_OFF), _DESCRIPTION]
    user = [_s("Username", 80, "Username", nillable=False, unique=True, id_lookup=True),
            _s("LastName", 80, "Last Name", nillable=False), _s("FirstName", 40, "First Name"),
            _s("Name", 121, "Full Name", nillable=False, defaulted=True, **_READ_ONLY),
            _s("Email", 128, "Email", type="email", nillable=False), _s("Alias", 8, "Alias", nillable=False),
            _t("IsActive", "boolean", "Active", nillable=False, defaulted=True, default=True),
            _s("Title", 80, "Title"), _s("Department", 80, "Department"), _s("Phone", 40, "Phone", type="phone"),
            _s("MobilePhone", 40, "Mobile", type="phone"), _s("EmployeeNumber", 20, "Employee Number"),
            _s("FederationIdentifier", 512, "Federation ID"),
            *(_s(part, _ADDRESS_LENGTH[part], part, type="textarea" if part == "Street" else "string")
              for part in _ADDRESS)]
    return [SfObject("Account", "Account", "001", account), SfObject("Contact", "Contact", "003", contact),
            SfObject("User", "User", "005", user)]


def _work() -> list[SfObject]:
    stages = ("Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
              "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost")
    opportunity = [_ref("AccountId", ("Account",), "Account", "Account ID"),
                   _ref("ContactId", ("Contact",), "Contact", "Contact ID"),
                   _s("Name", 120, "Name", nillable=False, id_lookup=True), _DESCRIPTION,
                   _pick("StageName", stages, "Stage", nillable=False, restricted=True),
                   _t("Amount", "currency", "Amount", precision=18, scale=2),
                   _t("Probability", "percent", "Probability (%)", precision=3, scale=0, defaulted=True),
                   _t("CloseDate", "date", "Close Date", nillable=False),
                   _pick("Type", ("Existing Business", "New Business"), "Opportunity Type"),
                   _s("NextStep", 255, "Next Step"), _LEAD_SOURCE]
    kinds = _pick("Type", ("Call", "Email", "Meeting", "Other"), "Type")
    activity = [_ref("WhoId", ("Contact", "Lead"), "Who", "Name ID"),
                _ref("WhatId", ("Account", "Opportunity", "Case"), "What", "Related To ID"),
                _s("Subject", 255, "Subject", type="combobox",
                   picklist=("Call", "Email", "Send Letter", "Send Quote", "Other")), kinds, _DESCRIPTION]
    event = activity + [_s("Location", 255, "Location"), _t("IsAllDayEvent", "boolean", "All-Day Event", **_OFF),
                        _t("ActivityDateTime", "datetime", "Due Date Time"), _t("ActivityDate", "date", "Due Date Only"),
                        _t("DurationInMinutes", "int", "Duration", digits=9),
                        _t("StartDateTime", "datetime", "Start Date Time"), _t("EndDateTime", "datetime", "End Date Time"),
                        _pick("ShowAs", ("Busy", "OutOfOffice", "Free"), "Show Time As", defaulted=True, default="Busy")]
    task = activity + [_t("ActivityDate", "date", "Due Date Only"),
                       _pick("Status", ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"),
                             "Status", nillable=False, defaulted=True, default="Not Started", restricted=True),
                       _pick("Priority", ("High", "Normal", "Low"), "Priority", nillable=False, defaulted=True,
                             default="Normal", restricted=True),
                       _pick("TaskSubtype", ("Task", "Email", "Call"), "Task Subtype", updateable=False),
                       _t("CompletedDateTime", "datetime", "Completed Date Time", **_READ_ONLY),
                       _t("ReminderDateTime", "datetime", "Reminder Date/Time"),
                       _t("IsReminderSet", "boolean", "Reminder Set", **_OFF),
                       _t("IsClosed", "boolean", "Closed", **_OFF, **_READ_ONLY)]
    case = [_ref("ContactId", ("Contact",), "Contact", "Contact ID"), _ref("AccountId", ("Account",), "Account",
                                                                              "Account ID"),
            _s("Subject", 255, "Subject"), _DESCRIPTION,
            _pick("Status", ("New", "Working", "Escalated", "Closed"), "Status", defaulted=True, default="New"),
            _pick("Priority", ("High", "Medium", "Low"), "Priority", defaulted=True, default="Medium"),
            _pick("Origin", ("Phone", "Email", "Web"), "Case Origin"),
            _pick("Type", ("Question", "Problem", "Feature Request"), "Case Type"),
            _pick("Reason", ("Installation", "Performance", "Other"), "Case Reason"),
            _t("ClosedDate", "datetime", "Closed Date", **_READ_ONLY),
            _t("IsClosed", "boolean", "Closed", **_OFF, **_READ_ONLY)]
    note = [_ref("ParentId", ("Contact", "Account", "Opportunity", "Case"), "Parent", "Parent ID", nillable=False,
                 updateable=False),
            _s("Title", 80, "Title", nillable=False), _s("Body", 32000, "Body", type="textarea"),
            _t("IsPrivate", "boolean", "Private", **_OFF)]
    return [SfObject("Opportunity", "Opportunity", "006", opportunity), SfObject("Event", "Event", "00U", event),
            SfObject("Task", "Task", "00T", task), SfObject("Case", "Case", "500", case),
            SfObject("Note", "Note", "002", note)]


def _files() -> list[SfObject]:
    linkable = ("Account", "Contact", "Opportunity", "User", "Case")
    content_version = [_s("Title", 255, "Title", nillable=False),
                       _s("PathOnClient", 500, "Path On Client", nillable=False, updateable=False),
                       _t("VersionData", "base64", "Version Data", length=52428800),
                       _ref("FirstPublishLocationId", linkable, "FirstPublishLocation", "First Publish Location ID",
                            updateable=False),
                       _ref("ContentDocumentId", ("ContentDocument",), "ContentDocument", "ContentDocument ID",
                            **_READ_ONLY),
                       _DESCRIPTION]
    document = [_s("Title", 255, "Title", nillable=False, **_READ_ONLY),
                _ref("LatestPublishedVersionId", ("ContentVersion",), "LatestPublishedVersion",
                     "Latest Published Version ID", **_READ_ONLY)]
    link = [_ref("ContentDocumentId", ("ContentDocument",), "ContentDocument", "Content Document ID", nillable=False,
                 updateable=False),
            _ref("LinkedEntityId", linkable, "LinkedEntity", "Linked Entity ID", nillable=False, updateable=False),
            _pick("ShareType", ("V", "C", "I"), "Share Type", restricted=True),
            _pick("Visibility", ("AllUsers", "InternalUsers", "SharedUsers"), "Visibility", restricted=True,
                  defaulted=True, default="AllUsers")]
    content_note = [_s("Title", 255, "Title", nillable=False), _t("Content", "base64", "Content", length=131072),
                    _t("TextPreview", "string", "Text Preview", length=255, **_READ_ONLY)]
    return [SfObject("ContentVersion", "Content Version", "068", content_version),
            SfObject("ContentDocument", "Content Document", "069", document, createable=False),
            SfObject("ContentDocumentLink", "Content Document Link", "06A", link),
            SfObject("ContentNote", "Note", "069", content_note)]


def _permissions() -> list[SfObject]:
    parent = _ref("ParentId", ("PermissionSet",), "Parent", "Parent ID", nillable=False, updateable=False)
    sobject = _s("SobjectType", 40, "Sobject Type", type="picklist", nillable=False, updateable=False)
    return [
        SfObject("PermissionSet", "Permission Set", "0PS", [
            _s("Name", 80, "Name", nillable=False, unique=True), _s("Label", 80, "Label", nillable=False),
            _t("IsOwnedByProfile", "boolean", "Is Owned By Profile", **_OFF, **_READ_ONLY)]),
        SfObject("PermissionSetAssignment", "Permission Set Assignment", "0Pa", [
            _ref("AssigneeId", ("User",), "Assignee", "Assignee ID", nillable=False, updateable=False),
            _ref("PermissionSetId", ("PermissionSet",), "PermissionSet", "Permission Set ID", nillable=False,
                 updateable=False)]),
        SfObject("ObjectPermissions", "Object Permissions", "110", [parent, sobject, *(
            _t(f"Permissions{p}", "boolean", f"{p} Records", **_OFF)
            for p in ("Read", "Create", "Edit", "Delete", "ViewAllRecords", "ModifyAllRecords"))]),
        SfObject("FieldPermissions", "Field Permissions", "01k", [
            parent, sobject, _s("Field", 255, "Field Name", type="picklist", nillable=False, updateable=False),
            _t("PermissionsEdit", "boolean", "Edit Field", **_OFF),
            _t("PermissionsRead", "boolean", "Read Field", **_OFF)]),
    ]


def standard_objects() -> list[SfObject]:
    """The standard objects a dental migration touches, plus the permission objects FLS grants use."""
    objects = _people() + _work() + _files() + _permissions()
    owned = {"Account", "Contact", "Opportunity", "Event", "Task", "Case", "Note", "ContentVersion", "ContentNote"}
    for obj in objects:
        name_field = next((f for f in obj.fields if f.name == "Name"), None)
        rest = [f for f in obj.fields if f.name != "Name"]
        obj.fields = system_fields(obj.name in owned, name_field) + rest
        if obj.name in ("User", "FieldPermissions", "ObjectPermissions", "PermissionSetAssignment"):
            obj.fields = [f for f in obj.fields if f.name != "IsDeleted"]
    return objects
