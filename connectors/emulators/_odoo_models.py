"""Odoo 18 model declarations the emulator serves, and the demo data a fresh database starts with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ADDRESS_FIELDS = ("street", "street2", "zip", "city", "state_id", "country_id")
MAGIC_FIELDS = ("create_date", "write_date", "create_uid", "write_uid")


@dataclass
class FieldDef:
    """One field as fields_get and ir.model.fields describe it."""

    name: str
    type: str
    string: str
    required: bool = False
    readonly: bool = False
    size: int | None = None
    relation: str | None = None
    relation_field: str | None = None
    selection: list[list[str]] | None = None
    help: str | None = None
    store: bool = True
    manual: bool = False
    default: Any = None
    on_delete: str = "set null"
    index: bool = False

    @property
    def column(self) -> bool:
        """True when the value lives in a column of the model's table (one2many does not)."""
        return self.store and self.type != "one2many"


@dataclass
class ModelDef:
    """One model: its technical name, description and fields."""

    name: str
    description: str
    fields: dict[str, FieldDef] = field(default_factory=dict)
    rec_name: str = "name"
    order: str = "id"
    mail_thread: bool = False
    manual: bool = False

    @property
    def table(self) -> str:
        """The SQL table, named as Odoo names it."""
        return self.name.replace(".", "_")


def _f(name: str, type_: str, string: str, **kw: Any) -> FieldDef:
    return FieldDef(name=name, type=type_, string=string, **kw)


def char(name: str, string: str, **kw: Any) -> FieldDef:
    """A Char field."""
    return _f(name, "char", string, **kw)


def m2o(name: str, relation: str, string: str, **kw: Any) -> FieldDef:
    """A Many2one field."""
    return _f(name, "many2one", string, relation=relation, **kw)


def sel(name: str, string: str, options: list[tuple[str, str]], **kw: Any) -> FieldDef:
    """A Selection field."""
    return _f(name, "selection", string, selection=[list(o) for o in options], **kw)


def base_fields(mail_thread: bool = False) -> list[FieldDef]:
    """The fields every model has (id, display_name, create/write date and user)."""
    fields = [
        _f("id", "integer", "ID", readonly=True),
        char("display_name", "Display Name", readonly=True, store=False),
        _f("create_date", "datetime", "Created on", readonly=True),
        m2o("create_uid", "res.users", "Created by", readonly=True),
        _f("write_date", "datetime", "Last Updated on", readonly=True),
        m2o("write_uid", "res.users", "Last Updated by", readonly=True),
    ]
    if mail_thread:
        fields.append(_f("message_ids", "one2many", "Messages", relation="mail.message", relation_field="res_id"))
        fields.append(_f("activity_ids", "one2many", "Activities", relation="mail.activity", relation_field="res_id"))
    return fields


def model(name: str, description: str, fields: list[FieldDef], **kw: Any) -> ModelDef:
    """A ModelDef with the base fields added."""
    every = base_fields(kw.get("mail_thread", False)) + fields
    return ModelDef(name=name, description=description, fields={f.name: f for f in every}, **kw)


PARTNER_TYPES = [("contact", "Contact"), ("invoice", "Invoice Address"), ("delivery", "Delivery Address"), ("other", "Other Address")]
TTYPES = ["binary", "boolean", "char", "date", "datetime", "float", "html", "integer", "many2many", "many2one",
          "many2one_reference", "monetary", "one2many", "reference", "selection", "text"]


def declarations() -> list[ModelDef]:
    """Every base model of the emulated Odoo 18 + crm database."""
    return [
        model("res.partner", "Contact", [
            char("name", "Name", index=True),
            char("complete_name", "Complete Name", readonly=True),
            _f("is_company", "boolean", "Is a Company", default=False, help="Check if the contact is a company, otherwise it is a person"),
            sel("company_type", "Company Type", [("person", "Individual"), ("company", "Company")], store=False),
            sel("type", "Address Type", PARTNER_TYPES, default="contact"),
            m2o("parent_id", "res.partner", "Related Company", index=True),
            _f("child_ids", "one2many", "Contact", relation="res.partner", relation_field="parent_id"),
            char("email", "Email"), char("phone", "Phone"), char("mobile", "Mobile"),
            char("street", "Street"), char("street2", "Street2"), char("zip", "Zip"), char("city", "City"),
            m2o("state_id", "res.country.state", "State", on_delete="restrict"),
            m2o("country_id", "res.country", "Country", on_delete="restrict"),
            char("ref", "Reference", index=True), char("vat", "Tax ID", index=True), char("function", "Job Position"),
            char("website", "Website Link"),
            sel("lang", "Language", [("en_US", "English (US)"), ("en_GB", "English (UK)"), ("fr_FR", "French / Français")], default="en_US"),
            _f("comment", "html", "Notes"),
            _f("active", "boolean", "Active", default=True),
            m2o("user_id", "res.users", "Salesperson"),
            m2o("company_id", "res.company", "Company", index=True),
            _f("category_id", "many2many", "Tags", relation="res.partner.category"),
        ], mail_thread=True, rec_name="complete_name", order="complete_name, id desc"),
        model("res.partner.category", "Partner Tags", [char("name", "Name", required=True), _f("active", "boolean", "Active", default=True)]),
        model("res.country", "Country", [char("name", "Country Name", required=True), char("code", "Country Code", size=2)], order="name"),
        model("res.country.state", "Country state", [
            m2o("country_id", "res.country", "Country", required=True), char("name", "State Name", required=True),
            char("code", "State Code", required=True)]),
        model("res.company", "Companies", [
            char("name", "Company Name", required=True), m2o("partner_id", "res.partner", "Partner", required=True, on_delete="restrict"),
            char("email", "Email"), char("phone", "Phone"), char("street", "Street"), char("city", "City"), char("zip", "Zip"),
            m2o("country_id", "res.country", "Country")]),
        model("res.users", "User", [
            char("name", "Name", required=True), char("login", "Login", required=True), char("email", "Email"),
            m2o("partner_id", "res.partner", "Related Partner", required=True, on_delete="restrict"),
            m2o("company_id", "res.company", "Company", required=True, default=1),
            _f("active", "boolean", "Active", default=True)], order="name, login"),
        model("crm.stage", "CRM Stages", [
            char("name", "Stage Name", required=True), _f("sequence", "integer", "Sequence", default=1),
            _f("is_won", "boolean", "Is Won Stage?", default=False), _f("fold", "boolean", "Folded in Pipeline", default=False)],
            order="sequence, name, id"),
        model("crm.team", "Sales Team", [
            char("name", "Sales Team", required=True), m2o("user_id", "res.users", "Team Leader"),
            _f("active", "boolean", "Active", default=True)]),
        model("crm.tag", "CRM Tag", [char("name", "Tag Name", required=True)]),
        model("crm.lost.reason", "Opp. Lost Reason", [char("name", "Description", required=True), _f("active", "boolean", "Active", default=True)]),
        model("crm.lead", "Lead/Opportunity", [
            char("name", "Opportunity", required=True, index=True),
            sel("type", "Type", [("lead", "Lead"), ("opportunity", "Opportunity")], required=True, default="opportunity"),
            m2o("partner_id", "res.partner", "Customer", index=True),
            char("contact_name", "Contact Name"), char("partner_name", "Company Name"),
            char("email_from", "Email", index=True), char("phone", "Phone"),
            m2o("stage_id", "crm.stage", "Stage", index=True, on_delete="restrict"),
            m2o("user_id", "res.users", "Salesperson", index=True),
            m2o("team_id", "crm.team", "Sales Team", index=True),
            _f("expected_revenue", "monetary", "Expected Revenue"),
            _f("probability", "float", "Probability"),
            _f("date_deadline", "date", "Expected Closing", help="Estimate of the date on which the opportunity will be won."),
            _f("date_closed", "datetime", "Closed Date", readonly=True),
            _f("description", "html", "Notes"),
            _f("tag_ids", "many2many", "Tags", relation="crm.tag"),
            sel("priority", "Priority", [("0", "Low"), ("1", "Medium"), ("2", "High"), ("3", "Very High")], default="0"),
            _f("active", "boolean", "Active", default=True),
            m2o("lost_reason_id", "crm.lost.reason", "Lost Reason", index=True),
            m2o("company_id", "res.company", "Company", index=True),
        ], mail_thread=True, order="priority desc, id desc"),
        model("mail.activity.type", "Activity Type", [
            char("name", "Name", required=True), sel("category", "Action", [("default", "None"), ("upload_file", "Upload Document"), ("phonecall", "Phonecall")], default="default"),
            _f("keep_done", "boolean", "Keep Done", default=False), _f("delay_count", "integer", "Schedule"),
            _f("active", "boolean", "Active", default=True)]),
        model("mail.activity", "Activity", [
            m2o("res_model_id", "ir.model", "Document Model", required=True, on_delete="cascade", index=True),
            char("res_model", "Related Document Model", readonly=True, index=True),
            _f("res_id", "many2one_reference", "Related Document ID", required=True, index=True),
            m2o("activity_type_id", "mail.activity.type", "Activity Type", on_delete="restrict"),
            char("summary", "Summary"), _f("note", "html", "Note"),
            _f("date_deadline", "date", "Due Date", required=True, index=True),
            _f("date_done", "date", "Done Date", readonly=True),
            m2o("user_id", "res.users", "Assigned to", required=True, index=True),
            _f("active", "boolean", "Active", default=True),
        ], rec_name="summary", order="date_deadline ASC, id ASC"),
        model("mail.message.subtype", "Message subtypes", [char("name", "Message Type", required=True), _f("internal", "boolean", "Internal Only")]),
        model("mail.message", "Message", [
            char("subject", "Subject"), _f("body", "html", "Contents", default=""),
            char("model", "Related Document Model", index=True), _f("res_id", "many2one_reference", "Related Document ID", index=True),
            sel("message_type", "Type", [("email", "Incoming Email"), ("comment", "Comment"), ("email_outgoing", "Outgoing Email"),
                                          ("notification", "System notification"), ("auto_comment", "Automated Targeted Notification"),
                                          ("user_notification", "User Specific Notification")], required=True, default="comment"),
            m2o("subtype_id", "mail.message.subtype", "Subtype", on_delete="set null", index=True),
            _f("date", "datetime", "Date"),
            m2o("author_id", "res.partner", "Author", index=True),
            _f("attachment_ids", "many2many", "Attachments", relation="ir.attachment"),
        ], rec_name="subject", order="id desc"),
        model("calendar.event", "Calendar Event", [
            char("name", "Meeting Subject", required=True),
            _f("start", "datetime", "Start", required=True), _f("stop", "datetime", "Stop", required=True),
            _f("allday", "boolean", "All Day", default=False), _f("duration", "float", "Duration"),
            _f("description", "html", "Description"), char("location", "Location"),
            _f("partner_ids", "many2many", "Attendees", relation="res.partner"),
            m2o("user_id", "res.users", "Organizer"),
            m2o("res_model_id", "ir.model", "Document Model", on_delete="cascade"),
            char("res_model", "Document Model Name", readonly=True),
            _f("res_id", "many2one_reference", "Document ID"),
            _f("active", "boolean", "Active", default=True),
        ], mail_thread=True, order="start desc, id desc"),
        model("ir.attachment", "Attachment", [
            char("name", "Name", required=True), _f("datas", "binary", "File Content (base64)"),
            sel("type", "Type", [("url", "URL"), ("binary", "File")], required=True, default="binary"),
            char("url", "Url", size=1024), char("res_model", "Resource Model"), _f("res_id", "many2one_reference", "Resource ID"),
            char("mimetype", "Mime Type", readonly=True), _f("file_size", "integer", "File Size", readonly=True),
            _f("description", "text", "Description"),
        ], order="id desc"),
        model("ir.model", "Models", [
            char("name", "Model Description", required=True), char("model", "Model", required=True),
            sel("state", "Type", [("manual", "Custom Object"), ("base", "Base Object")], default="manual", readonly=True),
            _f("info", "text", "Information"), _f("transient", "boolean", "Transient Model"),
            _f("field_id", "one2many", "Fields", relation="ir.model.fields", relation_field="model_id"),
        ], order="model"),
        model("ir.model.fields", "Fields", [
            char("name", "Field Name", required=True, index=True), char("model", "Model Name", index=True),
            m2o("model_id", "ir.model", "Model", required=True, on_delete="cascade", index=True),
            char("field_description", "Field Label", required=True), _f("help", "text", "Field Help"),
            sel("ttype", "Field Type", [(t, t) for t in TTYPES], required=True),
            char("relation", "Related Model"), char("relation_field", "Relation Field"),
            _f("required", "boolean", "Required"), _f("readonly", "boolean", "Readonly"), _f("index", "boolean", "Indexed"),
            _f("store", "boolean", "Stored", default=True), _f("size", "integer", "Size"),
            sel("state", "Type", [("manual", "Custom Field"), ("base", "Base Field")], required=True, default="manual", readonly=True),
            sel("on_delete", "On Delete", [("cascade", "Cascade"), ("set null", "Set NULL"), ("restrict", "Restrict")], default="set null"),
            _f("selection_ids", "one2many", "Selection Options", relation="ir.model.fields.selection", relation_field="field_id"),
        ], rec_name="field_description"),
        model("ir.model.fields.selection", "Fields Selection", [
            m2o("field_id", "ir.model.fields", "Field", required=True, on_delete="cascade"),
            char("value", "Value", required=True), char("name", "Name", required=True), _f("sequence", "integer", "Sequence", default=1000)],
            order="sequence, id"),
        model("ir.model.access", "Model Access", [
            char("name", "Name", required=True), m2o("model_id", "ir.model", "Model", required=True, on_delete="cascade"),
            _f("group_id", "integer", "Group"),
            _f("perm_read", "boolean", "Read Access"), _f("perm_write", "boolean", "Write Access"),
            _f("perm_create", "boolean", "Create Access"), _f("perm_unlink", "boolean", "Delete Access"),
            _f("active", "boolean", "Active", default=True)]),
        model("ir.model.data", "Model Data", [
            char("name", "External Identifier", required=True), char("module", "Module", required=True, default=""),
            char("model", "Model Name", required=True), _f("res_id", "many2one_reference", "Record ID"),
            _f("noupdate", "boolean", "Non Updatable", default=False), char("complete_name", "Complete ID", store=False, readonly=True)],
            order="module, model, name"),
    ]


def custom_model(name: str, description: str) -> ModelDef:
    """A model created through ir.model: the base fields plus x_name."""
    return model(name, description, [char("x_name", "Name", manual=True)], rec_name="x_name", manual=True)


# (model, xmlid, values) in creation order; ids follow the order within each model.
DEMO_DATA: list[tuple[str, str, dict[str, Any]]] = [
    ("res.country", "base.us", {"name": "United States", "code": "US"}),
    ("res.country", "base.uk", {"name": "United Kingdom", "code": "GB"}),
    ("res.country", "base.ca", {"name": "Canada", "code": "CA"}),
    ("res.country", "base.ie", {"name": "Ireland", "code": "IE"}),
    ("res.country.state", "base.state_us_5", {"country_id": 1, "name": "California", "code": "CA"}),
    ("res.country.state", "base.state_us_27", {"country_id": 1, "name": "New York", "code": "NY"}),
    ("res.country.state", "base.state_us_44", {"country_id": 1, "name": "Texas", "code": "TX"}),
    ("res.partner", "base.main_partner", {"name": "YourCompany", "is_company": True, "street": "250 Executive Park Blvd, Suite 3400",
                                          "city": "San Francisco", "zip": "94134", "state_id": 1, "country_id": 1,
                                          "email": "info@yourcompany.com", "phone": "+1 555-555-5556"}),
    ("res.partner", "base.partner_root", {"name": "OdooBot", "email": "odoobot@example.com", "active": False}),
    ("res.partner", "base.partner_admin", {"name": "Mitchell Admin", "email": "admin@yourcompany.example.com", "parent_id": 1}),
    ("res.partner", "base.partner_demo", {"name": "Marc Demo", "email": "mark.brown23@example.com", "parent_id": 1}),
    ("res.partner", "base.res_partner_12", {"name": "Azure Interior", "is_company": True, "street": "4557 De Silva St",
                                            "city": "Fremont", "zip": "94538", "state_id": 1, "country_id": 1,
                                            "email": "azure.Interior24@example.com", "phone": "(870)-931-0505"}),
    ("res.partner", "base.res_partner_2", {"name": "Deco Addict", "is_company": True, "street": "77 Santa Barbara Rd",
                                           "city": "Pleasant Hill", "zip": "94523", "state_id": 1, "country_id": 1,
                                           "email": "deco_addict@example.com", "phone": "(603)-996-3829"}),
    ("res.partner", "base.res_partner_address_15", {"name": "Brandon Freeman", "parent_id": 5, "function": "Creative Director",
                                                    "email": "brandon.freeman55@example.com", "phone": "(355)-687-3262"}),
    ("res.partner", "base.res_partner_4", {"name": "Ready Mat", "is_company": True, "city": "Tracy", "zip": "95304",
                                           "state_id": 1, "country_id": 1, "email": "ready.mat28@example.com"}),
    ("res.company", "base.main_company", {"name": "YourCompany", "partner_id": 1, "email": "info@yourcompany.com"}),
    ("res.users", "base.user_root", {"name": "OdooBot", "login": "__system__", "partner_id": 2, "active": False}),
    ("res.users", "base.user_admin", {"name": "Mitchell Admin", "login": "admin", "email": "admin@yourcompany.example.com", "partner_id": 3}),
    ("res.users", "base.user_demo", {"name": "Marc Demo", "login": "demo", "email": "mark.brown23@example.com", "partner_id": 4}),
    ("crm.team", "sales_team.team_sales_department", {"name": "Sales", "user_id": 2}),
    ("crm.stage", "crm.stage_lead1", {"name": "New", "sequence": 1}),
    ("crm.stage", "crm.stage_lead2", {"name": "Qualified", "sequence": 2}),
    ("crm.stage", "crm.stage_lead3", {"name": "Proposition", "sequence": 3}),
    ("crm.stage", "crm.stage_lead4", {"name": "Won", "sequence": 70, "is_won": True, "fold": False}),
    ("crm.tag", "sales_team.categ_oppor1", {"name": "Product"}),
    ("crm.tag", "sales_team.categ_oppor2", {"name": "Software"}),
    ("crm.lost.reason", "crm.lost_reason_1", {"name": "Too expensive"}),
    ("crm.lost.reason", "crm.lost_reason_2", {"name": "We don't have people/skills"}),
    ("crm.lead", "crm.crm_case_1", {"name": "Office Design Project", "partner_id": 5, "stage_id": 1, "user_id": 2, "team_id": 1,
                                    "expected_revenue": 24000.0, "probability": 10.0, "priority": "1"}),
    ("crm.lead", "crm.crm_case_2", {"name": "Quote for 12 Tables", "partner_id": 6, "stage_id": 2, "user_id": 2, "team_id": 1,
                                    "expected_revenue": 40000.0, "probability": 30.0, "priority": "2"}),
    ("crm.lead", "crm.crm_case_3", {"name": "Distributor Contract", "partner_id": 8, "stage_id": 3, "user_id": 3, "team_id": 1,
                                    "expected_revenue": 19800.0, "probability": 60.0}),
    ("mail.activity.type", "mail.mail_activity_data_email", {"name": "Email"}),
    ("mail.activity.type", "mail.mail_activity_data_call", {"name": "Call", "category": "phonecall", "delay_count": 2}),
    ("mail.activity.type", "mail.mail_activity_data_meeting", {"name": "Meeting"}),
    ("mail.activity.type", "mail.mail_activity_data_todo", {"name": "To-Do", "delay_count": 5}),
    ("mail.activity.type", "mail.mail_activity_data_upload_document", {"name": "Upload Document", "category": "upload_file"}),
    ("mail.activity.type", "mail.mail_activity_data_warning", {"name": "Exception"}),
    ("mail.message.subtype", "mail.mt_comment", {"name": "Discussions", "internal": False}),
    ("mail.message.subtype", "mail.mt_note", {"name": "Note", "internal": True}),
    ("mail.message.subtype", "mail.mt_activities", {"name": "Activities", "internal": True}),
    ("res.partner.category", "base.res_partner_category_0", {"name": "Customer"}),
]
