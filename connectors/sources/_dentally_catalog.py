"""What bridgework knows about Dentally's REST resources (reference/sources.md §4.2–4.3).

One declaration per resource: its fields with normalised types, labels and the reference
text as description, and how the API lists it (delta parameter, required date window).
Both the DentallySource and the Dentally emulator read these declarations.

Decisions where the reference leaves room:
- `patients.account_id` -> accounts: the account is the payer link (an account belongs to
  one patient, `accounts.patient_id`, and a family's invoices go to it).
- `patients.family_id` is a grouping key shared by a family's members; Dentally has no
  families resource, so it is an int, not a reference.
- GUID ids (sites, practice, invoice items, `practitioner_site_id`, `uuid`) are strings.
- `recalls` fields beyond id/patient/timestamps, accounts' planned values and payment-plan
  durations are not in the reference's captured lists (A): named as the demo practice has them.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapper.schema import FieldType


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One API field: name, normalised type, label, description, referenced resource."""

    name: str
    type: FieldType = "string"
    description: str = ""
    reference: str | None = None
    enum_values: tuple[str, ...] = ()
    label: str = ""

    @property
    def display(self) -> str:
        """The label, or the name made readable."""
        return self.label or self.name.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    """One Dentally resource (`/v1/<name>`)."""

    name: str
    singular: str
    label: str
    description: str
    fields: tuple[FieldSpec, ...]
    key_type: FieldType = "int"
    delta: bool = False
    window: bool = False
    single: bool = False

    def field(self, name: str) -> FieldSpec | None:
        """The declared field called `name`, if any."""
        return next((f for f in self.fields if f.name == name), None)


def _f(name: str, type: FieldType = "string", description: str = "", reference: str | None = None, **kw: object) -> FieldSpec:
    return FieldSpec(name, type, description, reference, **kw)  # type: ignore[arg-type]


def _stamps() -> tuple[FieldSpec, ...]:
    return (
        _f("created_at", "datetime", "When the record was created (ISO-8601 UTC)."),
        _f("updated_at", "datetime", "When the record last changed; the delta watermark."),
    )


APPOINTMENT_STATES: tuple[str, ...] = (
    "Pending", "Confirmed", "Arrived", "In surgery", "Completed", "Cancelled", "Did not attend",
)

_ADDRESS = (
    _f("address_line_1", description="First address line."),
    _f("address_line_2", description="Second address line."),
    _f("address_line_3", description="Third address line."),
    _f("town", description="Town or city."),
    _f("county", description="County or region."),
    _f("postcode", description="Postal code."),
)

RESOURCES: tuple[ResourceSpec, ...] = (
    ResourceSpec(
        "practice", "practice", "Practice", "The practice account itself (singular resource).",
        (
            _f("id", "string", "Practice id (GUID)."),
            _f("name", description="Practice name."),
            _f("opening_hours", "json", "Opening hours per weekday ({open, close})."),
            _f("custom_patient_field_label_1", description="Label of the practice's first custom patient field."),
            _f("custom_patient_field_label_2", description="Label of the practice's second custom patient field."),
            *_stamps(),
        ),
        key_type="string",
        single=True,
    ),
    ResourceSpec(
        "sites", "site", "Sites", "Locations of the practice; multi-site lives inside one account.",
        (
            _f("id", "string", "Site id (GUID)."),
            _f("name", description="Site name."),
            _f("nickname", description="Short name of the site."),
            _f("opening_hours", "json", "Opening hours per weekday."),
            *_ADDRESS,
            _f("phone_number", "phone", "Site phone number."),
            *_stamps(),
        ),
        key_type="string",
    ),
    ResourceSpec(
        "users", "user", "Users", "Staff who log in to Dentally (dentists, nurses, reception).",
        (
            _f("id", "int", "User id."),
            _f("title", description="Title (Dr, Mrs, ...)."),
            _f("first_name", description="First name."),
            _f("middle_name", description="Middle name."),
            _f("last_name", description="Last name."),
            _f("email", "email", "Login email address."),
            _f("mobile_phone", "phone", "Mobile phone number."),
            _f("role", description="Role, free text (Dentist, Nurse, ...)."),
            _f("site_id", "reference", "Home site.", "sites"),
            _f("allowed_sites", "json", "Sites the user may work at."),
            _f("last_login", "datetime", "Last login time."),
            *_stamps(),
        ),
    ),
    ResourceSpec(
        "practitioners", "practitioner", "Practitioners",
        "Dentists, hygienists and therapists; the name is on the nested user.",
        (
            _f("id", "int", "Practitioner id."),
            _f("active", "bool", "Whether the practitioner still works at the practice."),
            _f("site_id", "reference", "Site the practitioner works at.", "sites"),
            _f("user", "json", "The staff user (names, email, role); the practitioner has no name of its own."),
            _f("specialisms", "json", "Specialisms."),
            _f("uda_target", "decimal", "NHS units of dental activity target."),
            _f("uoa_target", "decimal", "NHS units of orthodontic activity target."),
            *_stamps(),
        ),
    ),
    ResourceSpec(
        "patients", "patient", "Patients", "People on the practice's books, active or archived.",
        (
            _f("id", "int", "Patient id."),
            _f("uuid", "string", "Patient GUID."),
            _f("account_id", "reference", "The account that pays for this patient (payer link).", "accounts"),
            _f("family_id", "int", "Family grouping key shared by the family's members."),
            _f("active", "bool", "Active patient (false = archived, see archived_reason)."),
            _f("title", description="Title (Mr, Mrs, Miss, Dr, ...)."),
            _f("first_name", description="First name."),
            _f("middle_name", description="Middle name."),
            _f("last_name", description="Last name (surname)."),
            _f("preferred_name", description="Name the patient prefers to be called."),
            _f("date_of_birth", "date", "Date of birth."),
            _f("gender", "bool", "Gender as a boolean (meaning unconfirmed)."),
            _f("ethnicity", description="Ethnicity code."),
            _f("nhs_number", description="NHS number (UK)."),
            _f("ni_number", description="National insurance number (UK)."),
            _f("pps_number", description="PPS number (Ireland)."),
            _f("email_address", "email", "Email address."),
            _f("home_phone", "phone", "Home phone number."),
            _f("mobile_phone", "phone", "Mobile phone number."),
            _f("work_phone", "phone", "Work phone number."),
            _f("home_phone_country", description="Country of the home phone number."),
            _f("mobile_phone_country", description="Country of the mobile phone number."),
            _f("work_phone_country", description="Country of the work phone number."),
            _f("preferred_phone_number", description="Which phone number the patient prefers."),
            *_ADDRESS,
            _f("site_id", "reference", "Site the patient belongs to.", "sites"),
            _f("dentist_id", "reference", "The patient's dentist.", "practitioners"),
            _f("hygienist_id", "reference", "The patient's hygienist.", "practitioners"),
            _f("dentist_recall_date", "date", "Next dentist recall due date."),
            _f("dentist_recall_interval", "int", "Dentist recall interval in months."),
            _f("hygienist_recall_date", "date", "Next hygienist recall due date."),
            _f("hygienist_recall_interval", "int", "Hygienist recall interval in months."),
            _f("recall_method", description="How recalls are sent (letter, email, SMS)."),
            _f("payment_plan_id", "reference", "The patient's payment plan (NHS, private, membership).", "payment_plans"),
            _f("acquisition_source_id", "int", "How the patient found the practice (acquisition source id)."),
            _f("doctor_id", "int", "The patient's doctor (GP) id."),
            _f("use_email", "bool", "Consent to contact by email."),
            _f("use_sms", "bool", "Consent to contact by SMS."),
            _f("marketing", "bool", "Consent to marketing."),
            _f("medical_alert", "bool", "Has a medical alert."),
            _f("medical_alert_text", "text", "Medical alert details."),
            _f("special_needs", "text", "Special needs."),
            _f("emergency_contact_name", description="Emergency contact name."),
            _f("emergency_contact_phone", "phone", "Emergency contact phone number."),
            _f("emergency_contact_relationship", description="Emergency contact's relationship to the patient."),
            _f("archived_reason", description="Why the patient was archived."),
            _f("legacy_id", description="Id in the practice's previous system."),
            _f("custom_fields", "json", "Practice-defined custom patient fields."),
            _f("metadata", "json", "Integrator metadata (up to 3 key/value pairs)."),
            *_stamps(),
        ),
        delta=True,
    ),
    ResourceSpec(
        "appointments", "appointment", "Appointments",
        "Booked visits; an appointment without a patient is a diary block.",
        (
            _f("id", "int", "Appointment id."),
            _f("uuid", "string", "Appointment GUID."),
            _f("patient_id", "reference", "The patient (empty for a diary block).", "patients"),
            _f("practitioner_id", "reference", "The practitioner seeing the patient.", "practitioners"),
            _f("practitioner_site_id", "string", "Practitioner-at-site link (GUID); there is no plain site_id."),
            _f("room_id", "int", "Surgery room id."),
            _f("start_time", "datetime", "Start time."),
            _f("finish_time", "datetime", "Finish time."),
            _f("duration", "int", "Length in minutes."),
            _f("reason", description="Reason, practice free text and shorthand."),
            _f("state", "enum", "Appointment state.", enum_values=APPOINTMENT_STATES),
            _f("pending_at", "datetime", "When the appointment became pending."),
            _f("confirmed_at", "datetime", "When the appointment was confirmed."),
            _f("arrived_at", "datetime", "When the patient arrived."),
            _f("in_surgery_at", "datetime", "When the patient went into surgery."),
            _f("completed_at", "datetime", "When the appointment was completed."),
            _f("cancelled_at", "datetime", "When the appointment was cancelled."),
            _f("did_not_attend_at", "datetime", "When the patient was marked as not attending."),
            _f("appointment_cancellation_reason_id", "reference", "Why it was cancelled.", "appointment_cancellation_reasons"),
            _f("treatment_description", "text", "Treatment planned for the visit."),
            _f("notes", "text", "Free-text notes (often clinical)."),
            _f("metadata", "json", "Integrator metadata (up to 3 key/value pairs)."),
            *_stamps(),
        ),
        window=True,
    ),
    ResourceSpec(
        "appointment_cancellation_reasons", "appointment_cancellation_reason", "Appointment cancellation reasons",
        "The practice's list of reasons an appointment was cancelled.",
        (
            _f("id", "int", "Reason id."),
            _f("reason", description="Reason text."),
            _f("reason_type", description="Kind of reason."),
            _f("archived", "bool", "No longer offered."),
            *_stamps(),
        ),
    ),
    ResourceSpec(
        "treatments", "treatment", "Treatments",
        "Practice-defined treatments (not CDT): the procedure catalogue.",
        (
            _f("id", "int", "Treatment id."),
            _f("nomenclature", description="Treatment name used by the practice."),
            _f("patient_nomenclature", description="Treatment name shown to patients."),
            _f("treatment_category_id", "int", "Treatment category id."),
            _f("nhs_treatment_cat", description="NHS treatment category."),
            _f("uda_band", description="NHS band (UDA)."),
            _f("code", description="Practice code of the treatment."),
            *_stamps(),
        ),
    ),
    ResourceSpec(
        "treatment_plans", "treatment_plan", "Treatment plans",
        "A patient's course of treatment; 10+ per patient is normal. No accepted/closed field.",
        (
            _f("id", "int", "Treatment plan id."),
            _f("patient_id", "reference", "The patient.", "patients"),
            _f("practitioner_id", "reference", "The treating practitioner.", "practitioners"),
            _f("payment_plan_id", "reference", "Payment plan the course is charged under.", "payment_plans"),
            _f("nickname", description="Name of the course of treatment."),
            _f("start_date", "date", "Start date."),
            _f("end_date", "date", "End date."),
            _f("completed", "bool", "Course completed."),
            _f("completed_at", "datetime", "When the course was completed."),
            _f("nhs_uda_value", "decimal", "NHS units of dental activity."),
            _f("private_treatment_value", "money", "Value of the private treatment."),
            _f("import_id", description="Id from an import."),
            *_stamps(),
        ),
        delta=True,
    ),
    ResourceSpec(
        "treatment_plan_items", "treatment_plan_item", "Treatment plan items",
        "One planned or performed procedure in a treatment plan.",
        (
            _f("id", "int", "Item id."),
            _f("treatment_plan_id", "reference", "The treatment plan.", "treatment_plans"),
            _f("treatment_id", "reference", "The treatment (procedure code).", "treatments"),
            _f("patient_id", "reference", "The patient.", "patients"),
            _f("practitioner_id", "reference", "The practitioner.", "practitioners"),
            _f("invoice_id", "reference", "The invoice that charged it.", "invoices"),
            _f("treatment_appointment_id", "int", "Link to the appointment it is booked in."),
            _f("nomenclature", description="Treatment name."),
            _f("price", "money", "Price."),
            _f("charged", "bool", "Charged to the patient."),
            _f("completed", "bool", "Performed."),
            _f("completed_at", "datetime", "When it was performed."),
            _f("region", description="Mouth region."),
            _f("teeth", "json", "Teeth (UK/FDI notation)."),
            _f("surfaces", description="Tooth surfaces."),
            _f("uda_band", description="NHS band."),
            _f("notes", "text", "Clinical notes."),
            _f("custom_fields", "json", "Practice-defined custom fields."),
            *_stamps(),
        ),
        delta=True,
    ),
    ResourceSpec(
        "accounts", "account", "Accounts", "A patient's financial account (balance); payer of invoices.",
        (
            _f("id", "int", "Account id."),
            _f("patient_id", "reference", "The patient who owns the account (the payer).", "patients"),
            _f("current_balance", "money", "Current balance."),
            _f("opening_balance", "money", "Opening balance."),
            _f("planned_nhs_value", "money", "Value of planned NHS treatment."),
            _f("planned_private_value", "money", "Value of planned private treatment."),
            *_stamps(),
        ),
        delta=True,
    ),
    ResourceSpec(
        "invoices", "invoice", "Invoices", "Charges to a patient's account; no practitioner on the header.",
        (
            _f("id", "int", "Invoice id."),
            _f("patient_id", "reference", "The patient treated.", "patients"),
            _f("account_id", "reference", "The account invoiced (may be another patient's).", "accounts"),
            _f("site_id", "reference", "The site.", "sites"),
            _f("dated_on", "date", "Invoice date."),
            _f("due_on", "date", "Due date."),
            _f("amount", "money", "Invoice total."),
            _f("amount_outstanding", "money", "Amount still to pay."),
            _f("paid", "bool", "Paid in full."),
            _f("nhs_amount", "money", "NHS part of the amount."),
            _f("invoice_items", "json", "The invoice's items."),
            *_stamps(),
        ),
        delta=True,
    ),
    ResourceSpec(
        "invoice_items", "invoice_item", "Invoice items", "Lines of an invoice; discounts are negative items.",
        (
            _f("id", "string", "Invoice item id (GUID)."),
            _f("invoice_id", "reference", "The invoice.", "invoices"),
            _f("name", description="Line description."),
            _f("item_price", "money", "Unit price."),
            _f("total_price", "money", "Line total (negative for discounts)."),
            _f("quantity", "int", "Quantity."),
            _f("nhs_charge", "bool", "NHS charge."),
            _f("practitioner_id", "reference", "Practitioner (empty on import rows).", "practitioners"),
            _f("treatment_plan_item_id", "reference", "The procedure charged.", "treatment_plan_items"),
            *_stamps(),
        ),
        key_type="string",
        delta=True,
    ),
    ResourceSpec(
        "payments", "payment", "Payments", "Money received; allocations to invoices in explanations.",
        (
            _f("id", "int", "Payment id."),
            _f("patient_id", "reference", "The patient who paid.", "patients"),
            _f("site_id", "reference", "The site.", "sites"),
            _f("dated_on", "date", "Payment date."),
            _f("amount", "money", "Amount paid."),
            _f("method", description="Payment method (cash, card, ...)."),
            _f("deleted", "bool", "Soft-deleted payment."),
            _f("explanations", "json", "Allocations of the payment to invoices."),
            *_stamps(),
        ),
        delta=True,
    ),
    ResourceSpec(
        "payment_plans", "payment_plan", "Payment plans", "NHS, private and membership (Denplan-style) plans.",
        (
            _f("id", "int", "Payment plan id."),
            _f("name", description="Plan name."),
            _f("active", "bool", "Still offered."),
            _f("dentist_recall_interval", "int", "Dentist recall interval in months."),
            _f("hygienist_recall_interval", "int", "Hygienist recall interval in months."),
            _f("dentist_appointment_duration", "int", "Length of a dentist check-up in minutes."),
            _f("hygienist_appointment_duration", "int", "Length of a hygienist visit in minutes."),
            _f("recall_method", description="How recalls are sent."),
            _f("site_id", "reference", "The site.", "sites"),
            _f("monthly_memberhsip_fee", "money", "Monthly membership fee (the API's spelling)."),
            *_stamps(),
        ),
    ),
    ResourceSpec(
        "recalls", "recall", "Recalls", "Recall reminder workflow rows (field list not documented; assumed).",
        (
            _f("id", "int", "Recall id."),
            _f("patient_id", "reference", "The patient recalled.", "patients"),
            _f("recall_type", description="Dentist or hygienist recall."),
            _f("due_date", "date", "When the recall is due."),
            _f("status", description="Where the recall stands in the reminder workflow."),
            _f("appointment_id", "reference", "The appointment booked from the recall.", "appointments"),
            *_stamps(),
        ),
        delta=True,
    ),
)

BY_NAME: dict[str, ResourceSpec] = {r.name: r for r in RESOURCES}
TYPES: dict[str, dict[str, FieldType]] = {r.name: {f.name: f.type for f in r.fields} for r in RESOURCES}
"""Resource -> field -> declared type, for per-value lookups."""


def guess_type(name: str) -> FieldType:
    """The normalised type of a field the reference does not list, from its name."""
    if name.endswith("_at"):
        return "datetime"
    if name.endswith(("_on", "_date")):
        return "date"
    if name.endswith("_phone") or name == "phone_number":
        return "phone"
    if name in {"email", "email_address"}:
        return "email"
    if name.endswith("_id"):
        return "int"
    return "string"
