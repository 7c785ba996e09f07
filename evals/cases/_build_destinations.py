"""Write mapper/knowledge/destinations/<kind>.json: the standard objects and fields a dental
migration touches, per destination, as `mapper.schema.Schema` JSON.

Only standard fields (what a fresh org/workspace/database reports); custom fields are what
bridgework proposes to create. Names follow `../shared/reference/destinations.md`
(Twenty §1.6 + composite subfields §1.2, Salesforce §2, Dataverse §3, Odoo §4.8).

Run: .venv/bin/python -m evals.cases._build_destinations
"""

from __future__ import annotations

from pathlib import Path

from mapper.schema import Entity, Field, Schema

OUT = Path(__file__).resolve().parents[2] / "mapper" / "knowledge" / "destinations"


def f(name: str, type_: str = "string", label: str = "", desc: str = "", *, req: bool = False,
      size: int | None = None, enum: tuple[str, ...] = (), ref: str | None = None, unique: bool = False,
      ro: bool = False, key: bool = False, native: str = "") -> Field:
    return Field(name=name, type=type_, label=label or name, description=desc, required=req,  # type: ignore[arg-type]
                 max_length=size, enum_values=enum, reference=ref, unique=unique, readonly=ro,
                 is_key=key, native_type=native)


def e(name: str, label: str, desc: str, fields: list[Field], key: str | None = "id") -> Entity:
    return Entity(name=name, label=label, description=desc, key=key, fields=tuple(fields))


# --------------------------------------------------------------------------- Twenty
def _tw_common(noun: str) -> list[Field]:
    return [
        f("id", "string", "Id", f"UUID of the {noun}; may be supplied on create.", key=True, unique=True, native="UUID"),
        f("createdAt", "datetime", "Creation date", "When the record was created; accepted on create.", native="DATE_TIME"),
        f("updatedAt", "datetime", "Last update", "Set by the server on every update.", ro=True, native="DATE_TIME"),
        f("createdBy.name", "string", "Created by", "Actor that created the record; server-set.", ro=True, native="ACTOR"),
        f("position", "decimal", "Position", "Ordering position in views.", native="POSITION"),
    ]


def _tw_targets(owner: str) -> list[Field]:
    return [
        f(f"{owner}Id", "reference", owner.capitalize(), f"The {owner} this link belongs to.", ref=owner, native="RELATION"),
        f("personId", "reference", "Person", "Linked person.", ref="person", native="RELATION"),
        f("companyId", "reference", "Company", "Linked company.", ref="company", native="RELATION"),
        f("opportunityId", "reference", "Opportunity", "Linked opportunity.", ref="opportunity", native="RELATION"),
    ]


def twenty() -> Schema:
    stages = ("NEW", "SCREENING", "MEETING", "PROPOSAL", "CUSTOMER")
    person = e("person", "Person", "A person: contact, customer or lead.", [
        *_tw_common("person"),
        f("name.firstName", "string", "First name", "Given name (Name subfield).", native="FULL_NAME"),
        f("name.lastName", "string", "Last name", "Family name (Name subfield).", native="FULL_NAME"),
        f("emails.primaryEmail", "email", "Primary email", "Main email address; unique across people.", unique=True, native="EMAILS"),
        f("emails.additionalEmails", "json", "Additional emails", "Further email addresses (JSON array).", native="EMAILS"),
        f("phones.primaryPhoneNumber", "phone", "Primary phone number", "Main phone number without calling code.", native="PHONES"),
        f("phones.primaryPhoneCountryCode", "string", "Primary phone country code", "ISO country of the main phone, e.g. US.", native="PHONES"),
        f("phones.primaryPhoneCallingCode", "string", "Primary phone calling code", "Calling code of the main phone, e.g. +1.", native="PHONES"),
        f("phones.additionalPhones", "json", "Additional phones", "Further phone numbers (JSON array).", native="PHONES"),
        f("jobTitle", "string", "Job title", "The person's job title.", native="TEXT"),
        f("city", "string", "City", "City the person lives in.", native="TEXT"),
        f("linkedinLink.primaryLinkUrl", "url", "Linkedin", "LinkedIn profile URL.", native="LINKS"),
        f("xLink.primaryLinkUrl", "url", "X", "X (Twitter) profile URL.", native="LINKS"),
        f("avatarUrl", "url", "Avatar", "Picture URL.", native="TEXT"),
        f("companyId", "reference", "Company", "Company the person works for.", ref="company", native="RELATION"),
    ])
    company = e("company", "Company", "An organisation.", [
        *_tw_common("company"),
        f("name", "string", "Name", "Company name.", native="TEXT"),
        f("domainName.primaryLinkUrl", "url", "Domain", "Company website domain; unique.", unique=True, native="LINKS"),
        f("employees", "int", "Employees", "Number of employees.", native="NUMBER"),
        f("address.addressStreet1", "string", "Address 1", "Street line 1.", native="ADDRESS"),
        f("address.addressStreet2", "string", "Address 2", "Street line 2.", native="ADDRESS"),
        f("address.addressCity", "string", "City", "City.", native="ADDRESS"),
        f("address.addressState", "string", "State", "State or region.", native="ADDRESS"),
        f("address.addressPostcode", "string", "Post code", "Postal / ZIP code.", native="ADDRESS"),
        f("address.addressCountry", "string", "Country", "Country.", native="ADDRESS"),
        f("annualRecurringRevenue.amountMicros", "money", "ARR", "Annual recurring revenue, amount x 1,000,000.", native="CURRENCY"),
        f("annualRecurringRevenue.currencyCode", "string", "ARR currency", "ISO currency code of ARR.", native="CURRENCY"),
        f("idealCustomerProfile", "bool", "ICP", "Whether the company is an ideal customer profile.", native="BOOLEAN"),
        f("linkedinLink.primaryLinkUrl", "url", "Linkedin", "LinkedIn page URL.", native="LINKS"),
        f("accountOwnerId", "reference", "Account Owner", "Workspace member owning the account.", ref="workspaceMember", native="RELATION"),
    ])
    opportunity = e("opportunity", "Opportunity", "A deal in the pipeline.", [
        *_tw_common("opportunity"),
        f("name", "string", "Name", "Opportunity name.", native="TEXT"),
        f("amount.amountMicros", "money", "Amount", "Deal amount x 1,000,000.", native="CURRENCY"),
        f("amount.currencyCode", "string", "Amount currency", "ISO currency code of the amount.", native="CURRENCY"),
        f("closeDate", "datetime", "Close date", "Expected or actual close date.", native="DATE_TIME"),
        f("stage", "enum", "Stage", "Pipeline stage.", enum=stages, native="SELECT"),
        f("pointOfContactId", "reference", "Point of Contact", "Main person for the deal.", ref="person", native="RELATION"),
        f("companyId", "reference", "Company", "Company of the deal.", ref="company", native="RELATION"),
    ])
    note = e("note", "Note", "A note; linked to records through noteTargets.", [
        *_tw_common("note"),
        f("title", "string", "Title", "Note title.", native="TEXT"),
        f("bodyV2.markdown", "text", "Body", "Note body as markdown.", native="RICH_TEXT_V2"),
        f("bodyV2.blocknote", "json", "Body (blocknote)", "Note body as BlockNote JSON; filled by the server.", native="RICH_TEXT_V2"),
    ])
    note_target = e("noteTarget", "Note Target", "Links a note to a person, company or opportunity.",
                    [f("id", "string", "Id", "UUID.", key=True, unique=True, native="UUID"), *_tw_targets("note")])
    task = e("task", "Task", "A to-do; linked to records through taskTargets.", [
        *_tw_common("task"),
        f("title", "string", "Title", "Task title.", native="TEXT"),
        f("bodyV2.markdown", "text", "Body", "Task body as markdown.", native="RICH_TEXT_V2"),
        f("dueAt", "datetime", "Due Date", "When the task is due.", native="DATE_TIME"),
        f("status", "enum", "Status", "Task status.", enum=("TODO", "IN_PROGRESS", "DONE"), native="SELECT"),
        f("assigneeId", "reference", "Assignee", "Workspace member the task is assigned to.", ref="workspaceMember", native="RELATION"),
    ])
    task_target = e("taskTarget", "Task Target", "Links a task to a person, company or opportunity.",
                    [f("id", "string", "Id", "UUID.", key=True, unique=True, native="UUID"), *_tw_targets("task")])
    attachment = e("attachment", "Attachment", "An uploaded file linked to a record.", [
        f("id", "string", "Id", "UUID.", key=True, unique=True, native="UUID"),
        f("name", "string", "Name", "File name shown to users.", native="TEXT"),
        f("fullPath", "string", "Full path", "Storage path returned by the upload.", native="TEXT"),
        f("type", "string", "Type", "File type (Image, TextDocument, ...).", native="TEXT"),
        f("createdAt", "datetime", "Creation date", "When the file was attached; accepted on create.", native="DATE_TIME"),
        f("authorId", "reference", "Author", "Workspace member who attached it.", ref="workspaceMember", native="RELATION"),
        f("personId", "reference", "Person", "Person the file belongs to.", ref="person", native="RELATION"),
        f("companyId", "reference", "Company", "Company the file belongs to.", ref="company", native="RELATION"),
        f("opportunityId", "reference", "Opportunity", "Opportunity the file belongs to.", ref="opportunity", native="RELATION"),
        f("noteId", "reference", "Note", "Note the file belongs to.", ref="note", native="RELATION"),
        f("taskId", "reference", "Task", "Task the file belongs to.", ref="task", native="RELATION"),
    ])
    member = e("workspaceMember", "Workspace Member", "A user of the workspace; created only by sign-up/invite (read-only lookup).", [
        f("id", "string", "Id", "UUID.", key=True, unique=True, ro=True, native="UUID"),
        f("name.firstName", "string", "First name", "Member's given name.", ro=True, native="FULL_NAME"),
        f("name.lastName", "string", "Last name", "Member's family name.", ro=True, native="FULL_NAME"),
        f("userEmail", "email", "User Email", "Login email of the member.", ro=True, native="TEXT"),
        f("locale", "string", "Language", "Preferred UI language.", ro=True, native="TEXT"),
        f("timeZone", "string", "Time zone", "Member's time zone.", ro=True, native="TEXT"),
    ])
    return Schema(system="twenty", version="current", entities=(
        person, company, opportunity, note, note_target, task, task_target, attachment, member))


# --------------------------------------------------------------------------- Salesforce
def _sf_audit() -> list[Field]:
    return [
        f("Id", "string", "Record ID", "18-character record id.", key=True, unique=True, ro=True, native="id"),
        f("OwnerId", "reference", "Owner ID", "User who owns the record.", ref="User", native="reference"),
        f("CreatedDate", "datetime", "Created Date", "Creation time; writable on insert only with the Set Audit Fields permission.", native="datetime"),
        f("LastModifiedDate", "datetime", "Last Modified Date", "Last change time; system-set.", ro=True, native="datetime"),
    ]


def _sf_addr(prefix: str, label: str) -> list[Field]:
    return [
        f(f"{prefix}Street", "text", f"{label} Street", f"{label} address street lines.", size=255, native="textarea"),
        f(f"{prefix}City", "string", f"{label} City", f"{label} address city.", size=40),
        f(f"{prefix}State", "string", f"{label} State/Province", f"{label} address state or province.", size=80),
        f(f"{prefix}PostalCode", "string", f"{label} Zip/Postal Code", f"{label} address postal code.", size=20),
        f(f"{prefix}Country", "string", f"{label} Country", f"{label} address country.", size=80),
    ]


def salesforce() -> Schema:
    account = e("Account", "Account", "An organisation or household (business account).", [
        *_sf_audit(),
        f("Name", "string", "Account Name", "Name of the account.", req=True, size=255),
        f("AccountNumber", "string", "Account Number", "Account number assigned to this account.", size=40),
        f("Type", "enum", "Account Type", "Type of account.", enum=("Prospect", "Customer - Direct", "Customer - Channel",
          "Channel Partner / Reseller", "Installation Partner", "Technology Partner", "Other"), native="picklist"),
        f("ParentId", "reference", "Parent Account ID", "Parent account in a hierarchy.", ref="Account"),
        f("Phone", "phone", "Account Phone", "Main phone of the account.", size=40),
        f("Fax", "phone", "Account Fax", "Fax number.", size=40),
        f("Website", "url", "Website", "Website URL.", size=255),
        *_sf_addr("Billing", "Billing"),
        *_sf_addr("Shipping", "Shipping"),
        f("Industry", "enum", "Industry", "Industry of the account.", enum=("Healthcare", "Insurance", "Other"), native="picklist"),
        f("Description", "text", "Account Description", "Free-text description.", size=32000, native="textarea"),
        f("Site", "string", "Account Site", "Location of the account (e.g. branch).", size=80),
        f("NumberOfEmployees", "int", "Employees", "Number of employees."),
    ], key="Id")
    contact = e("Contact", "Contact", "A person associated with an account.", [
        *_sf_audit(),
        f("Salutation", "enum", "Salutation", "Honorific before the name.", enum=("Mr.", "Ms.", "Mrs.", "Dr.", "Prof."), native="picklist"),
        f("FirstName", "string", "First Name", "Given name.", size=40),
        f("MiddleName", "string", "Middle Name", "Middle name.", size=40),
        f("LastName", "string", "Last Name", "Family name.", req=True, size=80),
        f("Suffix", "string", "Suffix", "Name suffix (Jr., III).", size=40),
        f("Title", "string", "Title", "Job title.", size=128),
        f("Department", "string", "Department", "Department.", size=80),
        f("Birthdate", "date", "Birthdate", "Date of birth."),
        f("GenderIdentity", "enum", "Gender Identity", "Gender identity (API 55+; may need enabling).",
          enum=("Male", "Female", "Nonbinary", "Not Listed"), native="picklist"),
        f("Email", "email", "Email", "Email address.", size=80),
        f("Phone", "phone", "Business Phone", "Business phone.", size=40),
        f("MobilePhone", "phone", "Mobile Phone", "Mobile phone.", size=40),
        f("HomePhone", "phone", "Home Phone", "Home phone.", size=40),
        f("OtherPhone", "phone", "Other Phone", "Another phone number.", size=40),
        f("Fax", "phone", "Business Fax", "Fax number.", size=40),
        f("AssistantName", "string", "Assistant's Name", "Name of the assistant.", size=40),
        f("AssistantPhone", "phone", "Asst. Phone", "Assistant's phone.", size=40),
        *_sf_addr("Mailing", "Mailing"),
        *_sf_addr("Other", "Other"),
        f("AccountId", "reference", "Account ID", "The account (company or household) the contact belongs to.", ref="Account"),
        f("ReportsToId", "reference", "Reports To ID", "Contact this contact reports to.", ref="Contact"),
        f("LeadSource", "enum", "Lead Source", "Where the contact came from.", enum=("Web", "Phone Inquiry", "Partner Referral",
          "Purchased List", "Other"), native="picklist"),
        f("Description", "text", "Contact Description", "Free-text description.", size=32000, native="textarea"),
        f("HasOptedOutOfEmail", "bool", "Email Opt Out", "Contact does not want email."),
        f("HasOptedOutOfFax", "bool", "Fax Opt Out", "Contact does not want faxes."),
        f("DoNotCall", "bool", "Do Not Call", "Contact does not want phone calls."),
    ], key="Id")
    opp = e("Opportunity", "Opportunity", "A potential sale or pending deal.", [
        *_sf_audit(),
        f("Name", "string", "Name", "Opportunity name.", req=True, size=120),
        f("AccountId", "reference", "Account ID", "Account the opportunity is for.", ref="Account"),
        f("ContactId", "reference", "Contact ID", "Primary contact of the opportunity (API 46+).", ref="Contact"),
        f("StageName", "enum", "Stage", "Current sales stage.", req=True, enum=("Prospecting", "Qualification", "Needs Analysis",
          "Value Proposition", "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review",
          "Closed Won", "Closed Lost"), native="picklist"),
        f("Amount", "money", "Amount", "Estimated total sale amount.", native="currency"),
        f("CloseDate", "date", "Close Date", "Date the opportunity is expected to close.", req=True),
        f("Probability", "decimal", "Probability (%)", "Likelihood of closing.", native="percent"),
        f("Type", "enum", "Opportunity Type", "Type of opportunity.", enum=("Existing Business", "New Business"), native="picklist"),
        f("LeadSource", "enum", "Lead Source", "Source of the opportunity.", enum=("Web", "Phone Inquiry", "Partner Referral",
          "Purchased List", "Other"), native="picklist"),
        f("NextStep", "string", "Next Step", "Next step in closing.", size=255),
        f("Description", "text", "Description", "Free-text description.", size=32000, native="textarea"),
    ], key="Id")
    who_what = [
        f("WhoId", "reference", "Name ID", "Contact or lead the activity relates to.", ref="Contact"),
        f("WhatId", "reference", "Related To ID", "Account, opportunity or custom record the activity relates to.", ref="Account"),
    ]
    event = e("Event", "Event", "A calendar event (meeting, appointment).", [
        *_sf_audit(),
        f("Subject", "string", "Subject", "Subject line of the event.", size=255, native="combobox"),
        f("StartDateTime", "datetime", "Start Date Time", "When the event starts."),
        f("EndDateTime", "datetime", "End Date Time", "When the event ends."),
        f("DurationInMinutes", "int", "Duration", "Length of the event in minutes."),
        f("ActivityDate", "date", "Due Date Only", "Date part of the start; used for all-day events."),
        f("IsAllDayEvent", "bool", "All-Day Event", "Whether the event lasts all day."),
        f("Location", "string", "Location", "Where the event takes place.", size=255),
        f("ShowAs", "enum", "Show Time As", "Busy / free display.", enum=("Busy", "OutOfOffice", "Free"), native="picklist"),
        f("Type", "enum", "Type", "Event type.", enum=("Call", "Email", "Meeting", "Other"), native="picklist"),
        f("Description", "text", "Description", "Event details.", size=32000, native="textarea"),
        *who_what,
    ], key="Id")
    task = e("Task", "Task", "A to-do item or logged activity.", [
        *_sf_audit(),
        f("Subject", "string", "Subject", "Subject line of the task.", size=255, native="combobox"),
        f("ActivityDate", "date", "Due Date Only", "Due date of the task."),
        f("Status", "enum", "Status", "Task status.", req=True, enum=("Not Started", "In Progress", "Completed",
          "Waiting on someone else", "Deferred"), native="picklist"),
        f("Priority", "enum", "Priority", "Task priority.", req=True, enum=("High", "Normal", "Low"), native="picklist"),
        f("Type", "enum", "Type", "Task type.", enum=("Call", "Email", "Meeting", "Other"), native="picklist"),
        f("TaskSubtype", "enum", "Task Subtype", "Kind of task (Task, Email, Call, ...).", enum=("Task", "Email", "Call"), native="picklist"),
        f("CompletedDateTime", "datetime", "Completed Date Time", "When the task was completed.", ro=True),
        f("ReminderDateTime", "datetime", "Reminder Date/Time", "When to remind the owner."),
        f("IsReminderSet", "bool", "Reminder Set", "Whether a reminder is set."),
        f("Description", "text", "Comments", "Task details.", size=32000, native="textarea"),
        *who_what,
    ], key="Id")
    case = e("Case", "Case", "A customer issue or service request.", [
        *_sf_audit(),
        f("Subject", "string", "Subject", "Subject of the case.", size=255),
        f("Description", "text", "Description", "Description of the case.", size=32000, native="textarea"),
        f("Status", "enum", "Status", "Case status.", enum=("New", "Working", "Escalated", "Closed"), native="picklist"),
        f("Priority", "enum", "Priority", "Case priority.", enum=("High", "Medium", "Low"), native="picklist"),
        f("Origin", "enum", "Case Origin", "Channel the case came from.", enum=("Phone", "Email", "Web"), native="picklist"),
        f("Type", "enum", "Case Type", "Type of case.", enum=("Question", "Problem", "Feature Request"), native="picklist"),
        f("Reason", "enum", "Case Reason", "Reason for the case.", enum=("Installation", "Performance", "Other"), native="picklist"),
        f("ContactId", "reference", "Contact ID", "Contact who raised the case.", ref="Contact"),
        f("AccountId", "reference", "Account ID", "Account of the case.", ref="Account"),
        f("ClosedDate", "datetime", "Closed Date", "When the case closed.", ro=True),
    ], key="Id")
    user = e("User", "User", "A Salesforce user with a login.", [
        f("Id", "string", "User ID", "18-character user id.", key=True, unique=True, ro=True, native="id"),
        f("Username", "string", "Username", "Login name in email format; unique across all orgs.", req=True, size=80, unique=True),
        f("FirstName", "string", "First Name", "Given name.", size=40),
        f("LastName", "string", "Last Name", "Family name.", req=True, size=80),
        f("Alias", "string", "Alias", "Short name shown in lists.", req=True, size=8),
        f("Email", "email", "Email", "User's email address.", req=True, size=128),
        f("Title", "string", "Title", "Job title.", size=80),
        f("Department", "string", "Department", "Department.", size=80),
        f("Phone", "phone", "Phone", "Work phone.", size=40),
        f("MobilePhone", "phone", "Mobile", "Mobile phone.", size=40),
        f("EmployeeNumber", "string", "Employee Number", "Employee number.", size=20),
        f("FederationIdentifier", "string", "Federation ID", "Single sign-on identifier.", size=512),
        f("IsActive", "bool", "Active", "Whether the user can log in."),
        f("Street", "text", "Street", "Address street.", size=255, native="textarea"),
        f("City", "string", "City", "Address city.", size=40),
        f("State", "string", "State/Province", "Address state.", size=80),
        f("PostalCode", "string", "Zip/Postal Code", "Address postal code.", size=20),
    ], key="Id")
    note = e("Note", "Note", "Classic note attached to a record.", [
        *_sf_audit(),
        f("ParentId", "reference", "Parent ID", "Record the note is attached to (contact, account, ...).", req=True, ref="Contact"),
        f("Title", "string", "Title", "Note title.", req=True, size=80),
        f("Body", "text", "Body", "Note text.", size=32000, native="textarea"),
        f("IsPrivate", "bool", "Private", "Visible only to the owner and admins."),
    ], key="Id")
    cnote = e("ContentNote", "Note (Lightning)", "Enhanced note stored as a file; linked with ContentDocumentLink.", [
        f("Id", "string", "ID", "Note id.", key=True, unique=True, ro=True, native="id"),
        f("Title", "string", "Title", "Note title.", req=True, size=255),
        f("Content", "text", "Content", "Note body (base64 HTML).", native="base64"),
        f("OwnerId", "reference", "Owner ID", "User who owns the note.", ref="User"),
    ], key="Id")
    cver = e("ContentVersion", "Content Version", "A file version; creating one creates the file (ContentDocument).", [
        *_sf_audit(),
        f("Title", "string", "Title", "File title.", req=True, size=255),
        f("PathOnClient", "string", "Path On Client", "Original file name and path; sets the extension.", req=True, size=500),
        f("VersionData", "file", "Version Data", "File bytes (base64).", native="base64"),
        f("Description", "text", "Description", "File description.", size=1000, native="textarea"),
        f("FirstPublishLocationId", "reference", "First Publish Location ID", "Record the file is first linked to.", ref="Contact"),
    ], key="Id")
    cdl = e("ContentDocumentLink", "Content Document Link", "Links a file to a record.", [
        f("Id", "string", "ID", "Link id.", key=True, unique=True, ro=True, native="id"),
        f("ContentDocumentId", "reference", "Content Document ID", "The file.", req=True, ref="ContentDocument"),
        f("LinkedEntityId", "reference", "Linked Entity ID", "The record the file is shared with.", req=True, ref="Contact"),
        f("ShareType", "enum", "Share Type", "Permission granted (V viewer, C collaborator, I inferred).", enum=("V", "C", "I"), native="picklist"),
        f("Visibility", "enum", "Visibility", "Who can see the file.", enum=("AllUsers", "InternalUsers", "SharedUsers"), native="picklist"),
    ], key="Id")
    return Schema(system="salesforce", version="v59.0", entities=(
        account, contact, opp, event, task, case, user, note, cnote, cver, cdl))


# --------------------------------------------------------------------------- Dataverse
def _dv_common(table: str, pk: str) -> list[Field]:
    return [
        f(pk, "string", table.capitalize(), f"Unique identifier of the {table} (GUID).", key=True, unique=True, native="Uniqueidentifier"),
        f("ownerid", "reference", "Owner", "User or team that owns the row.", ref="systemuser", native="Owner"),
        f("createdon", "datetime", "Created On", "Creation time; system-set.", ro=True, native="DateTime"),
        f("overriddencreatedon", "datetime", "Record Created On", "Original creation date when migrated; create only.", native="DateTime"),
        f("modifiedon", "datetime", "Modified On", "Last change; system-set.", ro=True, native="DateTime"),
    ]


def _dv_addr(n: int) -> list[Field]:
    return [
        f(f"address{n}_line1", "string", f"Address {n}: Street 1", "First street line.", size=250),
        f(f"address{n}_line2", "string", f"Address {n}: Street 2", "Second street line.", size=250),
        f(f"address{n}_line3", "string", f"Address {n}: Street 3", "Third street line.", size=250),
        f(f"address{n}_city", "string", f"Address {n}: City", "City.", size=80),
        f(f"address{n}_stateorprovince", "string", f"Address {n}: State/Province", "State or province.", size=50),
        f(f"address{n}_postalcode", "string", f"Address {n}: ZIP/Postal Code", "ZIP or postal code.", size=20),
        f(f"address{n}_country", "string", f"Address {n}: Country/Region", "Country or region.", size=80),
        f(f"address{n}_county", "string", f"Address {n}: County", "County.", size=50),
    ]


def _dv_activity(table: str, pk: str) -> list[Field]:
    return [
        *_dv_common(table, pk),
        f("subject", "string", "Subject", "Short description of the activity.", req=True, size=200),
        f("description", "text", "Description", "Details of the activity.", size=2000, native="Memo"),
        f("regardingobjectid", "reference", "Regarding", "Record the activity is about (contact, account, ...).", ref="contact", native="Lookup"),
        f("scheduledstart", "datetime", "Start Time", "Scheduled start.", native="DateTime"),
        f("scheduledend", "datetime", "End Time" if table == "appointment" else "Due Date", "Scheduled end / due date.", native="DateTime"),
        f("actualend", "datetime", "Actual End", "When the activity actually ended.", native="DateTime"),
        f("prioritycode", "enum", "Priority", "Priority.", enum=("0 Low", "1 Normal", "2 High"), native="Picklist"),
        f("category", "string", "Category", "Free-text category.", size=250),
    ]


def dynamics() -> Schema:
    contact = e("contact", "Contact", "A person with whom a business unit has a relationship.", [
        *_dv_common("contact", "contactid"),
        f("salutation", "string", "Salutation", "Salutation for correspondence (Mr., Ms., Dr.).", size=100),
        f("firstname", "string", "First Name", "Contact's first name.", size=50),
        f("middlename", "string", "Middle Name", "Contact's middle name or initial.", size=50),
        f("lastname", "string", "Last Name", "Contact's last name.", req=True, size=50),
        f("suffix", "string", "Suffix", "Name suffix (Jr., Sr.).", size=10),
        f("nickname", "string", "Nickname", "Contact's nickname.", size=100),
        f("fullname", "string", "Full Name", "Computed from first and last name.", ro=True, size=160),
        f("jobtitle", "string", "Job Title", "Contact's job title.", size=100),
        f("birthdate", "date", "Birthday", "Contact's date of birth.", native="DateTime"),
        f("gendercode", "enum", "Gender", "Contact's gender.", enum=("1 Male", "2 Female"), native="Picklist"),
        f("familystatuscode", "enum", "Marital Status", "Contact's marital status.", enum=("1 Single", "2 Married", "3 Divorced", "4 Widowed"), native="Picklist"),
        f("spousesname", "string", "Spouse/Partner Name", "Name of the spouse or partner.", size=100),
        f("governmentid", "string", "Government", "Government identification number (e.g. social security number).", size=50),
        f("employeeid", "string", "Employee", "Employee or staff identification number.", size=50),
        f("emailaddress1", "email", "Email", "Primary email address.", size=100),
        f("emailaddress2", "email", "Email Address 2", "Secondary email address.", size=100),
        f("emailaddress3", "email", "Email Address 3", "Alternate email address.", size=100),
        f("telephone1", "phone", "Business Phone", "Main (business) phone number.", size=50),
        f("telephone2", "phone", "Home Phone", "Home phone number.", size=50),
        f("telephone3", "phone", "Telephone 3", "Third phone number.", size=50),
        f("mobilephone", "phone", "Mobile Phone", "Mobile phone number.", size=50),
        f("pager", "phone", "Pager", "Pager number.", size=50),
        f("fax", "phone", "Fax", "Fax number.", size=50),
        *_dv_addr(1),
        f("address1_telephone1", "phone", "Address 1: Phone", "Phone at the primary address.", size=50),
        *_dv_addr(2)[:1], *_dv_addr(2)[3:7],
        f("parentcustomerid", "reference", "Company Name", "Parent customer: an account or contact.", ref="account", native="Customer"),
        f("preferredsystemuserid", "reference", "Preferred User", "User the contact prefers to deal with.", ref="systemuser", native="Lookup"),
        f("preferredcontactmethodcode", "enum", "Preferred Method of Contact", "How the contact prefers to be reached.",
          enum=("1 Any", "2 Email", "3 Phone", "4 Fax", "5 Mail"), native="Picklist"),
        f("donotemail", "bool", "Do not allow Emails", "Contact does not want email."),
        f("donotphone", "bool", "Do not allow Phone Calls", "Contact does not want phone calls."),
        f("donotpostalmail", "bool", "Do not allow Mails", "Contact does not want postal mail."),
        f("donotbulkemail", "bool", "Do not allow Bulk Emails", "Contact does not want marketing email."),
        f("description", "text", "Description", "Additional information about the contact.", size=2000, native="Memo"),
        f("statecode", "enum", "Status", "Active or inactive.", enum=("0 Active", "1 Inactive"), native="State"),
        f("statuscode", "enum", "Status Reason", "Reason for the status.", enum=("1 Active", "2 Inactive"), native="Status"),
    ], key="contactid")
    account = e("account", "Account", "A business that represents a customer or potential customer.", [
        *_dv_common("account", "accountid"),
        f("name", "string", "Account Name", "Company or business name.", req=True, size=160),
        f("accountnumber", "string", "Account Number", "Id number or code for the account.", size=20),
        f("customertypecode", "enum", "Relationship Type", "Category of the relationship.", enum=("1 Competitor", "2 Consultant",
          "3 Customer", "4 Investor", "5 Partner", "6 Influencer", "7 Press", "8 Prospect", "9 Reseller", "10 Supplier", "11 Vendor", "12 Other"), native="Picklist"),
        f("telephone1", "phone", "Main Phone", "Main phone number.", size=50),
        f("fax", "phone", "Fax", "Fax number.", size=50),
        f("emailaddress1", "email", "Email", "Primary email address.", size=100),
        f("websiteurl", "url", "Website", "Website URL.", size=200),
        *_dv_addr(1),
        f("parentaccountid", "reference", "Parent Account", "Parent account.", ref="account", native="Lookup"),
        f("primarycontactid", "reference", "Primary Contact", "Primary contact of the account.", ref="contact", native="Lookup"),
        f("description", "text", "Description", "Additional information.", size=2000, native="Memo"),
        f("statecode", "enum", "Status", "Active or inactive.", enum=("0 Active", "1 Inactive"), native="State"),
    ], key="accountid")
    opp = e("opportunity", "Opportunity", "Potential revenue-generating event or sale.", [
        *_dv_common("opportunity", "opportunityid"),
        f("name", "string", "Topic", "Subject or descriptive name of the opportunity.", req=True, size=300),
        f("customerid", "reference", "Potential Customer", "Account or contact the opportunity is for.", ref="contact", native="Customer"),
        f("parentcontactid", "reference", "Contact", "Contact associated with the opportunity.", ref="contact", native="Lookup"),
        f("parentaccountid", "reference", "Account", "Account associated with the opportunity.", ref="account", native="Lookup"),
        f("estimatedvalue", "money", "Est. Revenue", "Estimated revenue.", native="Money"),
        f("actualvalue", "money", "Actual Revenue", "Actual revenue.", native="Money"),
        f("estimatedclosedate", "date", "Est. Close Date", "Expected close date.", native="DateTime"),
        f("actualclosedate", "date", "Actual Close Date", "Date the opportunity was won or lost.", native="DateTime"),
        f("closeprobability", "int", "Probability", "Likelihood of closing (%).", native="Integer"),
        f("salesstage", "enum", "Sales Stage", "Sales stage.", enum=("0 Qualify", "1 Develop", "2 Propose", "3 Close"), native="Picklist"),
        f("stepname", "string", "Pipeline Phase", "Current phase in the sales pipeline.", size=200),
        f("statecode", "enum", "Status", "Open, won or lost.", enum=("0 Open", "1 Won", "2 Lost"), native="State"),
        f("statuscode", "enum", "Status Reason", "Reason for the status.", enum=("1 In Progress", "2 On Hold", "3 Won", "4 Canceled", "5 Out-Sold"), native="Status"),
        f("description", "text", "Description", "Additional information.", size=2000, native="Memo"),
    ], key="opportunityid")
    appt = e("appointment", "Appointment", "Commitment for a time interval with start and end times.", [
        *_dv_activity("appointment", "activityid"),
        f("scheduleddurationminutes", "int", "Duration", "Scheduled duration in minutes.", native="Integer"),
        f("actualstart", "datetime", "Actual Start", "When the appointment actually started.", native="DateTime"),
        f("location", "string", "Location", "Where the appointment takes place.", size=200),
        f("isalldayevent", "bool", "All Day Event", "Whether the appointment lasts all day."),
        f("requiredattendees", "json", "Required Attendees", "Activity parties required to attend (party list).", native="PartyList"),
        f("organizer", "json", "Organizer", "Organizer of the appointment (party list).", native="PartyList"),
        f("statecode", "enum", "Activity Status", "Open, completed, canceled or scheduled.", enum=("0 Open", "1 Completed", "2 Canceled", "3 Scheduled"), native="State"),
        f("statuscode", "enum", "Status Reason", "Reason for the status.", enum=("1 Free", "2 Tentative", "3 Completed", "4 Canceled", "5 Busy", "6 Out of Office"), native="Status"),
    ], key="activityid")
    task = e("task", "Task", "Generic activity representing work to be done.", [
        *_dv_activity("task", "activityid"),
        f("percentcomplete", "int", "Percent Complete", "How much of the task is done.", native="Integer"),
        f("statecode", "enum", "Activity Status", "Open, completed or canceled.", enum=("0 Open", "1 Completed", "2 Canceled"), native="State"),
        f("statuscode", "enum", "Status Reason", "Reason for the status.", enum=("2 Not Started", "3 In Progress", "4 Waiting on someone else", "5 Completed", "6 Canceled", "7 Deferred"), native="Status"),
    ], key="activityid")
    note = e("annotation", "Note", "Note or file attachment on a record.", [
        *_dv_common("annotation", "annotationid"),
        f("subject", "string", "Title", "Title of the note.", size=500),
        f("notetext", "text", "Description", "Text of the note.", size=100000, native="Memo"),
        f("objectid", "reference", "Regarding", "Record the note is attached to.", ref="contact", native="Lookup"),
        f("isdocument", "bool", "Is Document", "Whether the note has a file attached."),
        f("filename", "string", "File Name", "Name of the attached file.", size=255),
        f("mimetype", "string", "Mime Type", "MIME type of the attached file.", size=256),
        f("documentbody", "file", "Document", "Attached file contents (base64).", native="String"),
        f("filesize", "int", "File Size (Bytes)", "Size of the attachment.", ro=True, native="Integer"),
    ], key="annotationid")
    user = e("systemuser", "User", "Person with access to the system; owner of records.", [
        f("systemuserid", "string", "User", "Unique identifier of the user.", key=True, unique=True, native="Uniqueidentifier"),
        f("domainname", "string", "User Name", "Sign-in name (UPN).", req=True, size=1024, unique=True),
        f("firstname", "string", "First Name", "First name of the user.", size=256),
        f("lastname", "string", "Last Name", "Last name of the user.", size=256),
        f("fullname", "string", "Full Name", "Computed full name.", ro=True, size=200),
        f("internalemailaddress", "email", "Primary Email", "Internal email address.", req=True, size=100),
        f("mobilephone", "phone", "Mobile Phone", "Mobile phone.", size=64),
        f("address1_telephone1", "phone", "Main Phone", "Main phone.", size=64),
        f("title", "string", "Title", "Title of the user.", size=128),
        f("jobtitle", "string", "Job Title", "Job title of the user.", size=100),
        f("employeeid", "string", "Employee", "Employee identifier of the user.", size=100),
        f("isdisabled", "bool", "Status", "Whether the user is disabled.", ro=True),
        f("businessunitid", "reference", "Business Unit", "Business unit of the user.", req=True, ref="businessunit", native="Lookup"),
    ], key="systemuserid")
    return Schema(system="dynamics", version="v9.2", entities=(contact, account, opp, appt, task, note, user))


# --------------------------------------------------------------------------- Odoo
def _od_id() -> list[Field]:
    return [f("id", "int", "ID", "Database id.", key=True, unique=True, ro=True, native="integer"),
            f("create_date", "datetime", "Created on", "Creation time; ignored on create/write.", ro=True, native="datetime")]


def odoo() -> Schema:
    partner = e("res.partner", "Contact", "A contact: person or company.", [
        *_od_id(),
        f("name", "string", "Name", "Full name of the contact or company.", native="char"),
        f("is_company", "bool", "Is a Company", "Whether the contact is a company.", native="boolean"),
        f("company_type", "enum", "Company Type", "Individual or company.", enum=("person", "company"), native="selection"),
        f("type", "enum", "Address Type", "Kind of contact/address.", enum=("contact", "invoice", "delivery", "other"), native="selection"),
        f("parent_id", "reference", "Related Company", "Parent company/contact; child contacts share its address.", ref="res.partner", native="many2one"),
        f("title", "reference", "Title", "Honorific (Mister, Madam, Doctor).", ref="res.partner.title", native="many2one"),
        f("function", "string", "Job Position", "Job position.", native="char"),
        f("email", "email", "Email", "Email address.", native="char"),
        f("phone", "phone", "Phone", "Phone number.", native="char"),
        f("mobile", "phone", "Mobile", "Mobile number.", native="char"),
        f("website", "url", "Website Link", "Website.", native="char"),
        f("street", "string", "Street", "Street line 1.", native="char"),
        f("street2", "string", "Street2", "Street line 2.", native="char"),
        f("city", "string", "City", "City.", native="char"),
        f("zip", "string", "Zip", "ZIP / postal code.", size=24, native="char"),
        f("state_id", "reference", "State", "State or province.", ref="res.country.state", native="many2one"),
        f("country_id", "reference", "Country", "Country.", ref="res.country", native="many2one"),
        f("ref", "string", "Reference", "Internal reference of the contact.", native="char"),
        f("vat", "string", "Tax ID", "Tax identification number.", native="char"),
        f("lang", "enum", "Language", "Language for documents and email.", enum=("en_US", "en_GB", "es_ES", "fr_FR"), native="selection"),
        f("tz", "enum", "Timezone", "Contact's time zone.", enum=("America/New_York", "Europe/London"), native="selection"),
        f("comment", "text", "Notes", "Internal notes (Html).", native="html"),
        f("user_id", "reference", "Salesperson", "Internal user in charge of the contact.", ref="res.users", native="many2one"),
        f("team_id", "reference", "Sales Team", "Sales team in charge of the contact.", ref="crm.team", native="many2one"),
        f("company_id", "reference", "Company", "Company the contact belongs to (multi-company).", ref="res.company", native="many2one"),
        f("category_id", "reference", "Tags", "Contact tags.", ref="res.partner.category", native="many2many"),
        f("industry_id", "reference", "Industry", "Industry.", ref="res.partner.industry", native="many2one"),
        f("active", "bool", "Active", "Archived contacts are hidden.", native="boolean"),
    ], key="id")
    lead = e("crm.lead", "Lead/Opportunity", "A lead or opportunity in the CRM pipeline.", [
        *_od_id(),
        f("name", "string", "Opportunity", "Title of the lead/opportunity.", req=True, native="char"),
        f("type", "enum", "Type", "Lead or opportunity.", req=True, enum=("lead", "opportunity"), native="selection"),
        f("partner_id", "reference", "Customer", "Customer contact.", ref="res.partner", native="many2one"),
        f("contact_name", "string", "Contact Name", "Name of the contact person.", native="char"),
        f("partner_name", "string", "Company Name", "Name of the customer's company.", native="char"),
        f("email_from", "email", "Email", "Customer email.", native="char"),
        f("phone", "phone", "Phone", "Customer phone.", native="char"),
        f("stage_id", "reference", "Stage", "Pipeline stage.", ref="crm.stage", native="many2one"),
        f("user_id", "reference", "Salesperson", "User responsible.", ref="res.users", native="many2one"),
        f("team_id", "reference", "Sales Team", "Sales team.", ref="crm.team", native="many2one"),
        f("company_id", "reference", "Company", "Company.", ref="res.company", native="many2one"),
        f("expected_revenue", "money", "Expected Revenue", "Expected revenue.", native="monetary"),
        f("probability", "decimal", "Probability", "Probability of success (%).", native="float"),
        f("date_deadline", "date", "Expected Closing", "Estimate of the date the opportunity closes.", native="date"),
        f("date_closed", "datetime", "Closed Date", "When won/lost; computed.", ro=True, native="datetime"),
        f("description", "text", "Notes", "Internal notes (Html).", native="html"),
        f("tag_ids", "reference", "Tags", "Tags.", ref="crm.tag", native="many2many"),
        f("priority", "enum", "Priority", "Star rating.", enum=("0", "1", "2", "3"), native="selection"),
        f("lost_reason_id", "reference", "Lost Reason", "Why the opportunity was lost.", ref="crm.lost.reason", native="many2one"),
        f("active", "bool", "Active", "Archived leads are hidden (lost).", native="boolean"),
    ], key="id")
    stage = e("crm.stage", "CRM Stages", "A stage of the CRM pipeline.", [
        *_od_id(),
        f("name", "string", "Stage Name", "Name of the stage.", req=True, native="char"),
        f("sequence", "int", "Sequence", "Order of the stage.", native="integer"),
        f("is_won", "bool", "Is Won Stage?", "Leads in this stage are won.", native="boolean"),
        f("fold", "bool", "Folded in Pipeline", "Folded in the kanban view.", native="boolean"),
        f("team_id", "reference", "Sales Team", "Team-specific stage.", ref="crm.team", native="many2one"),
        f("requirements", "text", "Requirements", "Internal requirements for the stage.", native="text"),
    ], key="id")
    team = e("crm.team", "Sales Team", "A sales team (also used per location).", [
        *_od_id(),
        f("name", "string", "Sales Team", "Team name.", req=True, native="char"),
        f("user_id", "reference", "Team Leader", "Leader of the team.", ref="res.users", native="many2one"),
        f("member_ids", "reference", "Salespersons", "Team members.", ref="res.users", native="one2many"),
        f("company_id", "reference", "Company", "Company of the team.", ref="res.company", native="many2one"),
        f("sequence", "int", "Sequence", "Display order.", native="integer"),
        f("active", "bool", "Active", "Archived teams are hidden.", native="boolean"),
    ], key="id")
    company = e("res.company", "Companies", "A company (legal entity) of the database.", [
        *_od_id(),
        f("name", "string", "Company Name", "Name of the company.", req=True, native="char"),
        f("email", "email", "Email", "Company email.", native="char"),
        f("phone", "phone", "Phone", "Company phone.", native="char"),
        f("street", "string", "Street", "Street line 1.", native="char"),
        f("street2", "string", "Street2", "Street line 2.", native="char"),
        f("city", "string", "City", "City.", native="char"),
        f("zip", "string", "Zip", "ZIP / postal code.", native="char"),
        f("state_id", "reference", "Fed. State", "State or province.", ref="res.country.state", native="many2one"),
        f("country_id", "reference", "Country", "Country.", ref="res.country", native="many2one"),
        f("vat", "string", "Tax ID", "Tax identification number.", native="char"),
        f("company_registry", "string", "Company ID", "Company registry number.", native="char"),
        f("website", "url", "Website Link", "Website.", native="char"),
        f("currency_id", "reference", "Currency", "Main currency.", req=True, ref="res.currency", native="many2one"),
        f("partner_id", "reference", "Partner", "Contact record of the company.", req=True, ref="res.partner", native="many2one"),
    ], key="id")
    users = e("res.users", "User", "An internal user with a login.", [
        *_od_id(),
        f("login", "string", "Login", "Login name (usually email); unique.", req=True, unique=True, native="char"),
        f("name", "string", "Name", "User's full name (from the partner).", native="char"),
        f("email", "email", "Email", "User's email.", native="char"),
        f("phone", "phone", "Phone", "User's phone (from the partner).", native="char"),
        f("mobile", "phone", "Mobile", "User's mobile (from the partner).", native="char"),
        f("partner_id", "reference", "Related Partner", "Contact record of the user.", req=True, ref="res.partner", native="many2one"),
        f("company_id", "reference", "Company", "Default company.", req=True, ref="res.company", native="many2one"),
        f("signature", "text", "Email Signature", "Signature (Html).", native="html"),
        f("active", "bool", "Active", "Archived users cannot log in.", native="boolean"),
    ], key="id")
    activity = e("mail.activity", "Activity", "A planned to-do on a record; deleted when marked done.", [
        *_od_id(),
        f("res_model_id", "reference", "Document Model", "Model of the record the activity is on.", req=True, ref="ir.model", native="many2one"),
        f("res_id", "reference", "Related Document ID", "Id of the record the activity is on (e.g. a res.partner).", req=True, ref="res.partner", native="many2one_reference"),
        f("activity_type_id", "reference", "Activity Type", "Email, Call, Meeting, To-Do, ...", ref="mail.activity.type", native="many2one"),
        f("summary", "string", "Summary", "Short summary.", native="char"),
        f("note", "text", "Note", "Details (Html).", native="html"),
        f("date_deadline", "date", "Due Date", "When the activity is due.", req=True, native="date"),
        f("user_id", "reference", "Assigned to", "User responsible for the activity.", req=True, ref="res.users", native="many2one"),
    ], key="id")
    event = e("calendar.event", "Calendar Event", "A meeting in the calendar.", [
        *_od_id(),
        f("name", "string", "Meeting Subject", "Subject of the meeting.", req=True, native="char"),
        f("start", "datetime", "Start", "Start date and time.", req=True, native="datetime"),
        f("stop", "datetime", "Stop", "End date and time.", req=True, native="datetime"),
        f("allday", "bool", "All Day", "Whether the event lasts all day.", native="boolean"),
        f("duration", "decimal", "Duration", "Duration in hours.", native="float"),
        f("location", "string", "Location", "Where the meeting takes place.", native="char"),
        f("description", "text", "Description", "Details (Html).", native="html"),
        f("partner_ids", "reference", "Attendees", "Contacts attending.", ref="res.partner", native="many2many"),
        f("user_id", "reference", "Organizer", "User organising the meeting.", ref="res.users", native="many2one"),
        f("res_model_id", "reference", "Document Model", "Model of the related record.", ref="ir.model", native="many2one"),
        f("res_id", "reference", "Document ID", "Id of the related record.", ref="res.partner", native="many2one_reference"),
        f("opportunity_id", "reference", "Opportunity", "Related CRM opportunity.", ref="crm.lead", native="many2one"),
        f("show_as", "enum", "Show as", "Busy or available.", enum=("busy", "free"), native="selection"),
        f("privacy", "enum", "Privacy", "Who can see the event.", enum=("public", "private", "confidential"), native="selection"),
    ], key="id")
    attach = e("ir.attachment", "Attachment", "A file attached to a record.", [
        *_od_id(),
        f("name", "string", "Name", "File name.", req=True, native="char"),
        f("description", "text", "Description", "Description of the file.", native="text"),
        f("datas", "file", "File Content (base64)", "File bytes.", native="binary"),
        f("type", "enum", "Type", "Binary file or URL.", req=True, enum=("url", "binary"), native="selection"),
        f("url", "url", "Url", "URL of a link attachment.", size=1024, native="char"),
        f("res_model", "string", "Resource Model", "Model the file is attached to.", native="char"),
        f("res_id", "reference", "Resource ID", "Record the file is attached to.", ref="res.partner", native="many2one_reference"),
        f("mimetype", "string", "Mime Type", "MIME type; guessed from the content.", ro=True, native="char"),
        f("company_id", "reference", "Company", "Company.", ref="res.company", native="many2one"),
        f("public", "bool", "Is public document", "Readable by anyone.", native="boolean"),
    ], key="id")
    message = e("mail.message", "Message", "A chatter message or logged note on a record.", [
        *_od_id(),
        f("body", "text", "Contents", "Message body (Html).", native="html"),
        f("subject", "string", "Subject", "Message subject.", native="char"),
        f("date", "datetime", "Date", "Message date; settable through message_post.", native="datetime"),
        f("model", "string", "Related Document Model", "Model of the record.", native="char"),
        f("res_id", "reference", "Related Document ID", "Id of the record.", ref="res.partner", native="many2one_reference"),
        f("message_type", "enum", "Type", "Kind of message.", req=True, enum=("email", "comment", "notification", "user_notification"), native="selection"),
        f("subtype_id", "reference", "Subtype", "Note or discussion.", ref="mail.message.subtype", native="many2one"),
        f("author_id", "reference", "Author", "Partner who wrote the message.", ref="res.partner", native="many2one"),
        f("attachment_ids", "reference", "Attachments", "Files attached to the message.", ref="ir.attachment", native="many2many"),
    ], key="id")
    return Schema(system="odoo", version="18.0", entities=(
        partner, lead, stage, team, company, users, activity, event, attach, message))


BUILDERS = {"twenty": twenty, "salesforce": salesforce, "dynamics": dynamics, "odoo": odoo}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for kind, build in BUILDERS.items():
        (OUT / f"{kind}.json").write_text(build().to_json() + "\n", encoding="utf-8")
        print(f"wrote {OUT / (kind + '.json')}")


if __name__ == "__main__":
    main()
