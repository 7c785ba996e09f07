"""What bridgework knows about the Dentrix G-series tables (reference/sources.md §1).

One catalogue serves two readers: the demo generator builds its SQLite tables from it, and
the Dentrix source enriches the live database catalogue with it (labels, keys, references,
which empty values mean "missing"). Confidence tags from the reference are kept in the
descriptions where a meaning is assumed.

Column types are the Dentrix storage kinds: `int`, `code` (small integer code list), `bit`,
`char` (fixed width, space padded, '' = missing), `text` (long note text), `date`, `datetime`
and `money`. Every Dentrix column is NOT NULL, so "missing" arrives as '' or 0.

Multi-site (assumed, Dentrix Enterprise style): G-series is single-office, so a practice with
several sites gets a `clinic` table and a `clinicid` column on patient, appt and fullproclog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mapper.schema import FieldType

ColumnKind = Literal["int", "code", "bit", "char", "text", "date", "datetime", "money"]


@dataclass(frozen=True, slots=True)
class Column:
    """One Dentrix column and what its values mean."""

    name: str
    kind: ColumnKind
    width: int | None = None
    label: str = ""
    description: str = ""
    reference: str | None = None
    semantic: FieldType | None = None
    zero_is_missing: bool = False
    codes: tuple[str, ...] = ()

    @property
    def field_type(self) -> FieldType:
        """The normalised bridgework type of this column."""
        if self.semantic:
            return self.semantic
        if self.reference:
            return "reference"
        return _FIELD_TYPES[self.kind]

    @property
    def sql_type(self) -> str:
        """The column type used in the demo's SQLite tables."""
        return _SQL_TYPES[self.kind] + (f"({self.width})" if self.kind == "char" and self.width else "")


_FIELD_TYPES: dict[str, FieldType] = {
    "int": "int", "code": "enum", "bit": "bool", "char": "string", "text": "text",
    "date": "date", "datetime": "datetime", "money": "money",
}
_SQL_TYPES = {
    "int": "INTEGER", "code": "INTEGER", "bit": "INTEGER", "char": "CHAR", "text": "TEXT",
    "date": "DATE", "datetime": "DATETIME", "money": "MONEY",
}


@dataclass(frozen=True, slots=True)
class Table:
    """One Dentrix table: its key, meaning and columns."""

    name: str
    key: tuple[str, ...]
    label: str
    description: str
    columns: tuple[Column, ...]
    multi_site: bool = False

    def column(self, name: str) -> Column | None:
        """The catalogue column called `name`, or None when the catalogue does not know it."""
        return _COLUMN_INDEX[self.name].get(name)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in declaration order."""
        return tuple(c.name for c in self.columns)


def _c(name: str, kind: ColumnKind, width: int | None = None, label: str = "", description: str = "", **kw: object) -> Column:
    if kw.get("reference") and kind == "int":
        kw.setdefault("zero_is_missing", True)
    return Column(name, kind, width, label, description, **kw)  # type: ignore[arg-type]


MODIFIED = _c("automodifiedtimestamp", "datetime", label="Last modified", description="Set by Dentrix on every change; the delta watermark.")
CLINIC = _c("clinicid", "int", label="Clinic", description="Site of the record (Dentrix Enterprise style; assumed).", reference="clinic")
PROVIDER_ID = 5  # provider/operatory/staff ids are short practice-chosen strings


def _prov(name: str, label: str) -> Column:
    return _c(name, "char", PROVIDER_ID, label, "Practice-chosen provider id (rsc.rscid).", reference="rsc")


TABLES: tuple[Table, ...] = (
    Table("clinic", ("clinicid",), "Clinic", "One site of a multi-location practice (Enterprise style; assumed).", (
        _c("clinicid", "int", label="Clinic id"),
        _c("clinicname", "char", 41, "Clinic name"),
        _c("abbrev", "char", 11, "Short name"),
        _c("street1", "char", 32, "Street"),
        _c("city", "char", 27, "City"),
        _c("state", "char", 22, "State"),
        _c("zipcode", "char", 16, "ZIP code"),
        _c("phone", "char", 21, "Phone", semantic="phone"),
        MODIFIED,
    ), multi_site=True),
    Table("address", ("addrid",), "Address", "Family address; shared by the members of a household, with the home phone.", (
        _c("addrid", "int", label="Address id"),
        _c("street1", "char", 32, "Street line 1"),
        _c("street2", "char", 32, "Street line 2"),
        _c("city", "char", 27, "City"),
        _c("state", "char", 22, "State"),
        _c("zipcode", "char", 16, "ZIP code"),
        _c("country", "char", 21, "Country"),
        _c("phone", "char", 21, "Home phone", "The household's home phone (Dentrix keeps it on the address).", semantic="phone"),
        _c("phoneext", "char", 6, "Home phone extension"),
        _c("ptrcount", "int", label="Members sharing", description="How many patients point at this address."),
        MODIFIED,
    )),
    Table("employer", ("empid",), "Employer", "Employer of a patient or of an insurance group plan.", (
        _c("empid", "int", label="Employer id"),
        _c("emptype", "code", label="Employer type"),
        _c("name", "char", 33, "Employer name"),
        _c("street1", "char", 32, "Street"),
        _c("city", "char", 27, "City"),
        _c("state", "char", 22, "State"),
        _c("zipcode", "char", 16, "ZIP code"),
        _c("phone", "char", 21, "Phone", semantic="phone"),
        MODIFIED,
    )),
    Table("referral", ("refid",), "Referral source", "Referring doctor or other referral source.", (
        _c("refid", "int", label="Referral id"),
        _c("reftype", "code", label="Referral type", description="Meaning of the codes not known (A)."),
        _c("lastname", "char", 22, "Last name / organisation"),
        _c("firstname", "char", 17, "First name"),
        _c("specialtyid", "int", label="Specialty", reference="fulldef"),
        _c("email", "char", 61, "Email", semantic="email"),
        _c("fax", "char", 21, "Fax", semantic="phone"),
        _c("nonpersonflag", "bit", label="Not a person", description="1 when the source is an organisation or campaign."),
        MODIFIED,
    )),
    Table("fulldef", ("defid",), "Definition", "Practice-defined code lists: deftype 2 medical alerts, 6 payment types, 9 adjustment types, 25 provider specialties; 20/21 appointment statuses/types (A).", (
        _c("defid", "int", label="Definition id"),
        _c("deftype", "code", label="List", description="Which list the entry belongs to."),
        _c("descript", "char", 31, "Description", "Adjustment types start with + (debit) or - (credit) by convention."),
        MODIFIED,
    )),
    Table("rsc", ("rscid",), "Provider / staff", "Providers (rsctype 1) and staff (rsctype 2).", (
        _c("rscid", "char", PROVIDER_ID, "Provider id", "Short practice-chosen code, e.g. DDS1."),
        _c("rsctype", "code", label="Type", description="1 provider, 2 staff.", codes=("1", "2")),
        _c("lastname", "char", 22, "Last name"),
        _c("firstname", "char", 17, "First name"),
        _c("title", "char", 11, "Title"),
        _c("idnum", "char", 21, "NPI / id number"),
        _c("specialty", "int", label="Specialty", reference="fulldef", description="fulldef deftype 25 (on provider_view in Dentrix)."),
        _c("emailaddr", "char", 61, "Email", "Provider email (column assumed, A).", semantic="email"),
        _c("feesched", "int", label="Fee schedule"),
        _c("inactive", "bit", label="Inactive"),
        MODIFIED,
    )),
    Table("operatory", ("opid",), "Operatory", "Treatment room / chair (operatory_view).", (
        _c("opid", "char", PROVIDER_ID, "Operatory id"),
        _c("title", "char", 11, "Title"),
        CLINIC,
        MODIFIED,
    )),
    Table("patient", ("patid",), "Patient", "A person on the practice's books: patients, non-patients (responsible parties) and inactive rows.", (
        _c("patid", "int", label="Patient id"),
        _c("patguid", "char", 37, "Patient GUID", semantic="string"),
        _c("famid", "int", label="Family id", description="Groups the members of one family."),
        _c("guarid", "int", label="Guarantor", description="Patient id of the guarantor; self for the head of account.", reference="patient"),
        _c("isguar", "bit", label="Is guarantor"),
        _c("isheadofhouse", "bit", label="Head of household"),
        _c("isinssubcriber", "bit", label="Is insurance subscriber"),
        _c("lastname", "char", 22, "Last name"),
        _c("firstname", "char", 17, "First name"),
        _c("mi", "char", 3, "Middle initial"),
        _c("prefname", "char", 17, "Preferred name"),
        _c("salutation", "char", 11, "Salutation"),
        _c("title", "char", 11, "Title"),
        _c("chartnum", "char", 21, "Chart number"),
        _c("ssn", "char", 12, "Social security number", "PHI: skip unless the practice names a use."),
        _c("driverslicense", "char", 21, "Driver's licence"),
        _c("birthdate", "date", label="Date of birth"),
        _c("gender", "code", label="Gender", description="1 male, 2 female, other unknown.", codes=("0", "1", "2")),
        _c("status", "code", label="Status", description="1 patient (active), 2 non-patient, 3 inactive, 4 archived (A).", codes=("1", "2", "3", "4")),
        _c("fampos", "code", label="Family position", description="1 single, 2 married, 3 child, 4 other.", codes=("1", "2", "3", "4")),
        _prov("provid1", "Primary provider"),
        _prov("provid2", "Secondary provider"),
        _c("addrid", "int", label="Address", description="Shared family address and home phone.", reference="address"),
        _c("emailaddr", "char", 61, "Email", semantic="email"),
        _c("pager", "char", 21, "Mobile phone", "Dentrix keeps the mobile number in the pager column.", semantic="phone"),
        _c("workphone", "char", 21, "Work phone", semantic="phone"),
        _c("workext", "char", 6, "Work phone extension"),
        _c("otherphone", "char", 21, "Other phone", semantic="phone"),
        _c("empid", "int", label="Employer", reference="employer"),
        _c("firstvisitdate", "date", label="First visit"),
        _c("lastvisitdate", "date", label="Last visit"),
        _c("lastmissedappt", "date", label="Last missed appointment"),
        _c("missedappt", "int", label="Missed appointments"),
        _c("consentdate", "date", label="Consent date"),
        _c("refid", "int", label="Referred by", reference="referral"),
        _c("priminsuredid", "int", label="Primary coverage", reference="insured"),
        _c("secinsuredid", "int", label="Secondary coverage", reference="insured"),
        _c("priminsrel", "code", label="Primary subscriber relationship", description="Codes assumed: 1 self, 2 spouse, 3 child, 4 other (R)."),
        _c("secinsrel", "code", label="Secondary subscriber relationship"),
        _c("feesched", "int", label="Fee schedule"),
        _c("premed", "bit", label="Premedication required"),
        _c("privacyflags", "int", label="Privacy flags", description="Bit 1 no voice calls; bit 2 no SMS/e-mail (R)."),
        _c("language", "code", label="Language", description="Code list not known (R)."),
        CLINIC,
        MODIFIED,
    )),
    Table("inscarrier", ("insid",), "Insurance plan", "One row per insurance carrier + employer group plan.", (
        _c("insid", "int", label="Plan id"),
        _c("insconame", "char", 33, "Carrier name"),
        _c("groupname", "char", 33, "Group name"),
        _c("groupnum", "char", 26, "Group number"),
        _c("payerid", "char", 7, "Payer id"),
        _c("street1", "char", 32, "Street"),
        _c("city", "char", 27, "City"),
        _c("state", "char", 22, "State"),
        _c("zipcode", "char", 16, "ZIP code"),
        _c("phone", "char", 21, "Phone", semantic="phone"),
        _c("empid", "int", label="Employer", reference="employer"),
        _c("maxcovperson", "money", label="Annual maximum per person"),
        _c("maxcovfam", "money", label="Annual maximum per family"),
        _c("renewmon", "int", label="Renewal month"),
        _c("feesched", "int", label="Fee schedule"),
        _c("instype", "code", label="Insurance type"),
        MODIFIED,
    )),
    Table("insured", ("insuredid",), "Coverage / subscriber", "A subscriber's enrolment in one plan; patients point at it as primary or secondary coverage.", (
        _c("insuredid", "int", label="Coverage id"),
        _c("insplanid", "int", label="Plan", reference="inscarrier"),
        _c("inspartyid", "int", label="Subscriber", description="The subscriber's patient id.", reference="patient"),
        _c("idnum", "char", 21, "Subscriber id"),
        _c("idnum2", "char", 21, "Second subscriber id"),
        _c("sigonfile", "bit", label="Signature on file"),
        MODIFIED,
    )),
    Table("proccode", ("proccodeid",), "Procedure code", "Procedure codes: ADA CDT (D####) plus the practice's own codes.", (
        _c("proccodeid", "int", label="Procedure code id"),
        _c("adacode", "char", 11, "ADA code", "CDT code D#### or a practice-defined code."),
        _c("abbrevdescript", "char", 11, "Abbreviation"),
        _c("descript", "char", 101, "Description", "The practice's own wording."),
        _c("category", "code", label="Category"),
        _c("treatmentarea", "code", label="Treatment area"),
        _c("autorecall", "bit", label="Sets recall"),
        MODIFIED,
    )),
    Table("txcase", ("txcaseid",), "Treatment plan case", "A treatment plan case grouping planned procedures.", (
        _c("txcaseid", "int", label="Case id"),
        _c("patid", "int", label="Patient", reference="patient"),
        _c("priority", "int", label="Priority"),
        _c("status", "code", label="Status", description="Code values not known (A)."),
        _c("descript", "char", 31, "Description"),
        _c("createdate", "date", label="Created"),
        _c("isdefault", "bit", label="Default case"),
        MODIFIED,
    )),
    Table("appt", ("apptid",), "Appointment", "Booked visits; patid 0 = a new patient booked by name only.", (
        _c("apptid", "int", label="Appointment id"),
        _c("patid", "int", label="Patient", description="0 = new patient booked by name only (see patname).", reference="patient"),
        _c("patname", "char", 42, "Booked name", "Name of a not-yet-registered patient (patid 0)."),
        _c("phone", "char", 21, "Booked phone", semantic="phone"),
        _c("newpataddrid", "int", label="New patient address", reference="address"),
        _c("apptdate", "date", label="Date"),
        _c("timehr", "int", label="Start hour"),
        _c("timemin", "int", label="Start minute"),
        _c("apptlen", "int", label="Length (minutes)", description="Unit assumed minutes (R)."),
        _c("opid", "char", PROVIDER_ID, "Operatory", reference="operatory"),
        _prov("provid", "Provider"),
        _c("addlprov", "char", PROVIDER_ID, "Additional provider", reference="rsc"),
        _c("staffid", "char", PROVIDER_ID, "Staff", reference="rsc"),
        _c("status", "code", label="Status", description="0 none, -106 complete, else a practice status defid."),
        _c("appttype", "int", label="Type", reference="fulldef"),
        _c("apptreason", "char", 62, "Reason", "Free text."),
        *(col for i in range(1, 21) for col in (
            _c(f"codeid{i}", "int", label=f"Procedure {i}", description="procid when codetype is 1, else proccodeid."),
            _c(f"codetype{i}", "code", label=f"Procedure {i} kind", description="1 = codeid is a fullproclog procid."),
        )),
        _c("amt", "money", label="Scheduled production"),
        _c("brokendate", "date", label="Broken on"),
        _c("apptbrokenclass", "code", label="Broken class", description="Assumed: 1 cancelled, 2 no-show (A)."),
        _c("createdate", "datetime", label="Created"),
        _c("createdbyuserid", "int", label="Created by"),
        _c("modifieddate", "datetime", label="Modified"),
        CLINIC,
        MODIFIED,
    )),
    Table("appthist", ("appthistid",), "Appointment history", "One audit copy per appointment change; deleted appointments survive only here.", (
        _c("appthistid", "int", label="History id"),
        _c("parentapptid", "int", label="Appointment", description="The appointment this copy belongs to (may no longer exist).", reference="appt"),
        _c("patid", "int", label="Patient", reference="patient"),
        _c("apptdate", "date", label="Appointment date"),
        _c("modifieddate", "date", label="Changed on"),
        _c("modifiedtime", "int", label="Changed at", description="Integer time, encoding unknown (A)."),
        _c("status", "char", 21, "Status (text)"),
        _c("appttype", "char", 21, "Type (text)"),
        _c("deletedflag", "bit", label="Deleted"),
        _c("createflag", "bit", label="Created"),
        _c("note", "char", 61, "Note"),
        MODIFIED,
    )),
    Table("fullproclog", ("procid",), "Procedure log / ledger", "Both the procedure log and the ledger: proclogclass 0 procedure, 1 payment, 2 adjustment.", (
        _c("procid", "int", label="Entry id"),
        _c("patid", "int", label="Patient", reference="patient"),
        _c("guarid", "int", label="Guarantor", reference="patient"),
        _c("procdate", "date", label="Service date"),
        _c("createdate", "date", label="Posted"),
        _c("completiondate", "date", label="Completed"),
        _c("proccodeid", "int", label="Procedure code", description="Unreliable on payment/adjustment rows.", reference="proccode"),
        _c("chartstatus", "code", label="Chart status", description="105 completed charge, 90 payment/adjustment, 101 treatment planned (A)."),
        _c("proclogclass", "code", label="Entry class", description="0 procedure (A), 1 payment, 2 adjustment.", codes=("0", "1", "2")),
        _c("proclogorder", "int", label="Payment/adjustment type", description="fulldef deftype 6 or 9 on money rows.", reference="fulldef"),
        _c("amt", "money", label="Amount", description="Dollars; payments negative, charges positive."),
        _c("amtpriminspaid", "money", label="Primary insurance paid"),
        _c("amtsecinspaid", "money", label="Secondary insurance paid"),
        _prov("provid", "Provider"),
        _c("toothrangestart", "int", label="Tooth (from)", description="Universal numbering 1-32; 0 = none.", zero_is_missing=True),
        _c("toothrangeend", "int", label="Tooth", description="Universal numbering 1-32; 0 = none.", zero_is_missing=True),
        _c("surfm", "bit", label="Mesial"),
        _c("surfo", "bit", label="Occlusal"),
        _c("surfd", "bit", label="Distal"),
        _c("surfl", "bit", label="Lingual"),
        _c("surff", "bit", label="Facial/buccal"),
        _c("surf5", "bit", label="Fifth surface"),
        _c("surfacestring", "char", 11, "Surfaces"),
        _c("claimid", "int", label="Claim", zero_is_missing=True),
        _c("txcaseid", "int", label="Treatment plan case", reference="txcase"),
        _c("checknum", "char", 16, "Check number"),
        _c("history", "bit", label="Moved to history", description="Set at month-end close."),
        _c("donotbillinsflag", "bit", label="Do not bill insurance"),
        CLINIC,
        MODIFIED,
    )),
    Table("clinicalnote", ("cnotesid",), "Clinical note", "Progress and exam notes.", (
        _c("cnotesid", "int", label="Note id"),
        _c("patid", "int", label="Patient", reference="patient"),
        _prov("provid", "Author"),
        _c("createdatetime", "datetime", label="Created"),
        _c("entrydatetime", "datetime", label="Entered"),
        _c("signatureid", "int", label="Signature"),
        _c("lockeddate", "date", label="Locked on"),
        _c("notetext", "text", label="Note"),
        MODIFIED,
    )),
    Table("fullnotes", ("notetype", "noteid"), "Note", "Polymorphic notes (<= 8 KB): notetype 1 ledger note (noteid = procid), 3 patient note (noteid = patid), 116 new-patient appointment note.", (
        _c("notetype", "code", label="Note type", description="1 ledger, 3 patient, 49 contact log, 116 new-patient appointment."),
        _c("noteid", "int", label="Owner id", description="procid, patid or apptid depending on notetype."),
        _c("notedate", "date", label="Note date"),
        _c("notetext", "text", label="Note", description="Truncated at 8 KB by Dentrix."),
        MODIFIED,
    )),
    Table("recalltype", ("recallid",), "Recall type", "Continuing-care types and intervals.", (
        _c("recallid", "int", label="Recall type id"),
        _c("patid", "int", label="Patient", description="0 = practice-wide type.", reference="patient"),
        _c("name", "char", 14, "Name"),
        _c("descript", "char", 31, "Description"),
        _c("unit", "code", label="Interval unit", description="Assumed: 1 days, 2 weeks, 3 months (A)."),
        _c("qty", "int", label="Interval"),
        _prov("provid", "Provider"),
        MODIFIED,
    )),
    Table("recallpending", ("patid", "recallid"), "Recall due", "A patient's next due recall per type.", (
        _c("recallid", "int", label="Recall type", reference="recalltype"),
        _c("patid", "int", label="Patient", reference="patient"),
        _c("guarid", "int", label="Guarantor", reference="patient"),
        _c("apptid", "int", label="Booked appointment", reference="appt"),
        _c("setdate", "date", label="Set on"),
        _c("duedate", "date", label="Due"),
        _c("priordate", "date", label="Previous recall"),
        _prov("provid", "Provider"),
        _c("status", "code", label="Status", description="Code values not known (A)."),
        MODIFIED,
    )),
    Table("hhitem", ("hhitemid",), "Health history item", "G7 health-history master: problems, allergies, medications.", (
        _c("hhitemid", "int", label="Item id"),
        _c("description", "char", 61, "Description"),
        _c("hhtype", "code", label="Kind", description="1 problem, 2 allergy/alert, 3 medication (R)."),
        _c("status", "code", label="Status"),
        MODIFIED,
    )),
    Table("hhlinkpat_item", ("patid", "hhitemid"), "Patient health history", "A health-history item recorded for a patient (medical alerts).", (
        _c("patid", "int", label="Patient", reference="patient"),
        _c("hhitemid", "int", label="Item", reference="hhitem"),
        _c("status", "code", label="Status"),
        _c("reporteddate", "date", label="Reported"),
        _c("startdate", "date", label="Start"),
        _c("enddate", "date", label="End"),
        _c("note", "char", 61, "Note"),
        _c("popup", "bit", label="Pop-up alert"),
        _c("critical", "bit", label="Critical"),
        MODIFIED,
    )),
    Table("document", ("docid",), "Document", "Scanned or attached document (file bytes live outside the database).", (
        _c("docid", "int", label="Document id"),
        _c("doctypeid", "int", label="Document type"),
        _c("descript", "char", 61, "Description"),
        _c("pages", "int", label="Pages"),
        _c("createdate", "date", label="Created"),
        _c("docfmt", "char", 11, "Format"),
        MODIFIED,
    )),
    Table("docattach", ("docid", "attachtotype", "attachtoentityid"), "Document attachment", "Links a document to its owner (attachtotype 1 = patient, assumed).", (
        _c("docid", "int", label="Document", reference="document"),
        _c("attachtotype", "code", label="Owner kind", description="1 patient (A)."),
        _c("attachtoentityid", "int", label="Owner id"),
        MODIFIED,
    )),
    Table("aging", ("guarid",), "Aging", "Account balance per guarantor, by age of the debt.", (
        _c("guarid", "int", label="Guarantor", reference="patient"),
        _c("aging0to30", "money", label="0-30 days"),
        _c("aging31to60", "money", label="31-60 days"),
        _c("aging61to90", "money", label="61-90 days"),
        _c("aging91plus", "money", label="91+ days"),
        _c("lastpaydate", "date", label="Last payment"),
        _c("lastpayamt", "money", label="Last payment amount"),
        _c("billingtype", "int", label="Billing type"),
        MODIFIED,
    )),
)

TABLE_INDEX: dict[str, Table] = {t.name: t for t in TABLES}
_COLUMN_INDEX: dict[str, dict[str, Column]] = {t.name: {c.name: c for c in t.columns} for t in TABLES}
REQUIRED_TABLES = ("patient", "address", "appt", "fullproclog")
"""Tables whose absence means the database is not a Dentrix one."""


def site_columns(table: Table, sites: int) -> tuple[Column, ...]:
    """The columns `table` has in a practice with `sites` sites (clinicid only when several)."""
    if sites > 1:
        return table.columns
    return tuple(c for c in table.columns if c.name != "clinicid")


def create_table_sql(table: Table, sites: int) -> str:
    """CREATE TABLE for the demo's SQLite file: NOT NULL everywhere, as in Dentrix."""
    cols = [f"{c.name} {c.sql_type} NOT NULL" for c in site_columns(table, sites)]
    cols.append(f"PRIMARY KEY ({', '.join(table.key)})")
    return f"CREATE TABLE {table.name} ({', '.join(cols)})"
