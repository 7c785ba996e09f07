"""Dentrix G-series source columns (real base tables, sources.md §1.3-1.4) and the gold map
per destination. One line per column:

    column ~ native type ~ description ~ samples (a|b) ~ twenty ~ salesforce ~ dynamics ~ odoo

Gold tokens (comma-separated for several equally right targets):
    ent/att      direct          R:ent/att   relation (lookup / parent / link)
    C[:host]     custom field (host = the standard object that would carry it, if any)
    S            skip (should not migrate as a field)
Descriptions are left empty where an introspected c-tree catalog would give nothing useful.
"""

DESTS = ("twenty", "salesforce", "dynamics", "odoo")

SPEC = r"""
@patient ~ Patient file: one row per person on the practice's books (patients, guarantors, non-patients)
patid ~ integer ~ Patient id (primary key) ~ 1042|2177|3310 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
famid ~ integer ~ Family id ~ 1040|2170 ~ C:person ~ R:Contact/AccountId ~ C:contact ~ C:res.partner
guarid ~ integer ~ Guarantor: patid of the responsible party (self for head of account) ~ 1040|2177 ~ C:person ~ R:Contact/AccountId ~ R:contact/parentcustomerid ~ R:res.partner/parent_id
lastname ~ char(22) ~ Last name ~ Okafor|Lindqvist|Brennan ~ person/name.lastName ~ Contact/LastName ~ contact/lastname ~ res.partner/name
firstname ~ char(17) ~ First name ~ Ada|Tomas|Priya ~ person/name.firstName ~ Contact/FirstName ~ contact/firstname ~ res.partner/name
mi ~ char(3) ~ ~ J|R ~ C:person ~ Contact/MiddleName ~ contact/middlename ~ res.partner/name
prefname ~ char(17) ~ Preferred name ~ Tom|Bea ~ C:person ~ C:Contact ~ contact/nickname ~ C:res.partner
title ~ char(5) ~ Title ~ Mr.|Mrs.|Dr. ~ C:person ~ Contact/Salutation ~ contact/salutation ~ R:res.partner/title
chartnum ~ char(21) ~ Chart number ~ OKAAD0001|LINTO0002 ~ C:person ~ C:Contact ~ C:contact ~ res.partner/ref
ssn ~ char(12) ~ Social security number ~ 900-12-3456 ~ S ~ S ~ S ~ S
driverslicense ~ char(20) ~ ~ D1234567 ~ S ~ S ~ S ~ S
birthdate ~ date ~ Birth date ~ 1984-03-12|2011-07-30 ~ C:person ~ Contact/Birthdate ~ contact/birthdate ~ C:res.partner
gender ~ smallint ~ Gender (1 male, 2 female) ~ 1|2 ~ C:person ~ Contact/GenderIdentity ~ contact/gendercode ~ C:res.partner
status ~ smallint ~ Patient status (1 patient, 2 non-patient, 3 inactive, 4 archived) ~ 1|2|3 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
fampos ~ smallint ~ Family position (1 single, 2 married, 3 child, 4 other) ~ 1|2|3 ~ C:person ~ C:Contact ~ contact/familystatuscode ~ C:res.partner
provid1 ~ char(5) ~ Primary provider ~ DDS1|DDS2 ~ C:person ~ R:Contact/OwnerId ~ R:contact/preferredsystemuserid,R:contact/ownerid ~ R:res.partner/user_id
addrid ~ integer ~ Address id ~ 88|91 ~ S ~ S ~ S ~ S
emailaddr ~ char(61) ~ E-mail address ~ ada.o@example.com|t.lind@example.net ~ person/emails.primaryEmail ~ Contact/Email ~ contact/emailaddress1 ~ res.partner/email
pager ~ char(20) ~ Pager ~ (555) 201-3344|555-867-0101 ~ person/phones.primaryPhoneNumber ~ Contact/MobilePhone ~ contact/mobilephone ~ res.partner/mobile
workphone ~ char(20) ~ Work phone ~ (555) 410-2200 ~ person/phones.additionalPhones ~ Contact/Phone ~ contact/telephone1 ~ C:res.partner
workext ~ char(6) ~ Work extension ~ 204 ~ person/phones.additionalPhones ~ Contact/Phone ~ contact/telephone1 ~ C:res.partner
otherphone ~ char(20) ~ Other phone ~ (555) 777-0142 ~ person/phones.additionalPhones ~ Contact/OtherPhone ~ contact/telephone3 ~ C:res.partner
fax ~ char(20) ~ ~ ~ S ~ Contact/Fax ~ contact/fax ~ S
empid ~ integer ~ Employer id ~ 12|0 ~ R:person/companyId ~ C:Contact ~ C:contact ~ C:res.partner
lastvisitdate ~ date ~ Last visit date ~ 2025-10-14 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
refid ~ integer ~ Referred by (referral id) ~ 7|0 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
priminsuredid ~ integer ~ Primary dental insured (coverage) id ~ 311|0 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
medalertmask1 ~ integer ~ Medical alert flags ~ 0|5|64 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
privacyflags ~ integer ~ Privacy flags (bit 1 no voice calls, bit 2 no SMS/e-mail) ~ 0|1|2 ~ C:person ~ Contact/DoNotCall,Contact/HasOptedOutOfEmail ~ contact/donotphone,contact/donotemail ~ C:res.partner
language ~ char(20) ~ Preferred language ~ English|Spanish ~ C:person ~ C:Contact ~ C:contact ~ res.partner/lang
automodifiedtimestamp ~ timestamp ~ ~ 2025-11-02 16:04:11 ~ S ~ S ~ S ~ S
@address ~ Addresses and home phones, shared by family members
street1 ~ char(32) ~ Street ~ 12 Elm St|400 Harbor Blvd ~ C:person ~ Contact/MailingStreet ~ contact/address1_line1 ~ res.partner/street
street2 ~ char(32) ~ Street 2 ~ Apt 4B ~ C:person ~ Contact/MailingStreet ~ contact/address1_line2 ~ res.partner/street2
city ~ char(27) ~ City ~ Fresno|Tacoma ~ person/city ~ Contact/MailingCity ~ contact/address1_city ~ res.partner/city
state ~ char(22) ~ State ~ CA|WA ~ C:person ~ Contact/MailingState ~ contact/address1_stateorprovince ~ R:res.partner/state_id
zipcode ~ char(16) ~ Zip code ~ 93701|98402-1130 ~ C:person ~ Contact/MailingPostalCode ~ contact/address1_postalcode ~ res.partner/zip
country ~ char(20) ~ ~ USA ~ C:person ~ Contact/MailingCountry ~ contact/address1_country ~ R:res.partner/country_id
phone ~ char(20) ~ Phone ~ (555) 233-9012 ~ person/phones.additionalPhones ~ Contact/HomePhone ~ contact/telephone2 ~ res.partner/phone
@employer ~ Employers of patients
empid ~ integer ~ Employer id ~ 12|15 ~ C:company ~ C:Account ~ C:account ~ C:res.partner
name ~ char(33) ~ Employer name ~ Acme Logistics|City of Fresno ~ company/name ~ Account/Name ~ account/name ~ res.partner/name
street1 ~ char(32) ~ ~ 1 Industrial Way ~ company/address.addressStreet1 ~ Account/BillingStreet ~ account/address1_line1 ~ res.partner/street
city ~ char(27) ~ ~ Fresno ~ company/address.addressCity ~ Account/BillingCity ~ account/address1_city ~ res.partner/city
phone ~ char(20) ~ ~ (555) 400-1000 ~ C:company ~ Account/Phone ~ account/telephone1 ~ res.partner/phone
@referral ~ Referral sources: referring doctors and other sources
refid ~ integer ~ Referral id ~ 7|9 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
lastname ~ char(22) ~ ~ Haddad|Yellow Pages ~ person/name.lastName,company/name ~ Contact/LastName ~ contact/lastname ~ res.partner/name
firstname ~ char(17) ~ ~ Rami ~ person/name.firstName ~ Contact/FirstName ~ contact/firstname ~ res.partner/name
email ~ char(61) ~ ~ r.haddad@example.org ~ person/emails.primaryEmail ~ Contact/Email ~ contact/emailaddress1 ~ res.partner/email
fax ~ char(20) ~ ~ (555) 610-3001 ~ S ~ Contact/Fax ~ contact/fax ~ S
nonpersonflag ~ bit ~ Source is not a person ~ 0|1 ~ S ~ S ~ S ~ res.partner/is_company
@rsc ~ Resources: providers (rsctype 1) and staff (rsctype 2)
rscid ~ char(5) ~ Resource id ~ DDS1|HYG1|FRNT1 ~ S ~ C:User ~ C:systemuser ~ C:res.users
rsctype ~ smallint ~ 1 provider, 2 staff ~ 1|2 ~ S ~ S ~ S ~ S
lastname ~ char(22) ~ ~ Moreau|Ibarra ~ workspaceMember/name.lastName ~ User/LastName ~ systemuser/lastname ~ res.users/name
firstname ~ char(17) ~ ~ Claire|Luis ~ workspaceMember/name.firstName ~ User/FirstName ~ systemuser/firstname ~ res.users/name
inactive ~ bit ~ ~ 0|1 ~ S ~ User/IsActive ~ S ~ res.users/active
@inscarrier ~ Insurance carriers: one row per carrier and employer group plan
insid ~ integer ~ Insurance plan id ~ 21|22 ~ C:company ~ C:Account ~ C:account ~ C:res.partner
insconame ~ char(33) ~ Insurance company name ~ Delta Dental of CA|MetLife|Cigna Dental ~ company/name ~ Account/Name ~ account/name ~ res.partner/name
groupnum ~ char(26) ~ Group number ~ 0045521-0001 ~ C ~ C ~ C ~ C
payerid ~ char(7) ~ Electronic payer id ~ 60054|CDCA1 ~ C:company ~ C:Account ~ C:account ~ C:res.partner
street1 ~ char(32) ~ ~ PO Box 997330 ~ company/address.addressStreet1 ~ Account/BillingStreet ~ account/address1_line1 ~ res.partner/street
city ~ char(27) ~ ~ Sacramento ~ company/address.addressCity ~ Account/BillingCity ~ account/address1_city ~ res.partner/city
state ~ char(22) ~ ~ CA ~ company/address.addressState ~ Account/BillingState ~ account/address1_stateorprovince ~ R:res.partner/state_id
zipcode ~ char(16) ~ ~ 95899-7330 ~ company/address.addressPostcode ~ Account/BillingPostalCode ~ account/address1_postalcode ~ res.partner/zip
phone ~ char(20) ~ ~ (800) 555-0190 ~ C:company ~ Account/Phone ~ account/telephone1 ~ res.partner/phone
@insured ~ Insured records: a subscriber's coverage under a plan
insplanid ~ integer ~ Insurance plan (inscarrier.insid) ~ 21 ~ C ~ C ~ C ~ C
idnum ~ char(20) ~ Subscriber id ~ XKD400112233 ~ C ~ C ~ C ~ C
@appt ~ Appointments
apptid ~ integer ~ Appointment id ~ 90112|90113 ~ C:task ~ C:Event ~ C:appointment ~ C:calendar.event
patid ~ integer ~ Patient (0 = new patient booked by name) ~ 1042|0 ~ R:taskTarget/personId ~ R:Event/WhoId ~ R:appointment/regardingobjectid ~ R:calendar.event/partner_ids,R:calendar.event/res_id,R:mail.activity/res_id
apptdate ~ date ~ Appointment date ~ 2025-12-03 ~ task/dueAt ~ Event/StartDateTime ~ appointment/scheduledstart ~ calendar.event/start,mail.activity/date_deadline
timehr ~ smallint ~ Start hour ~ 8|13 ~ task/dueAt ~ Event/StartDateTime ~ appointment/scheduledstart ~ calendar.event/start
timemin ~ smallint ~ Start minute ~ 0|30 ~ task/dueAt ~ Event/StartDateTime ~ appointment/scheduledstart ~ calendar.event/start
apptlen ~ smallint ~ Length ~ 60|90 ~ C:task ~ Event/DurationInMinutes,Event/EndDateTime ~ appointment/scheduleddurationminutes,appointment/scheduledend ~ calendar.event/duration,calendar.event/stop
opid ~ char(5) ~ Operatory ~ OP1|OP3 ~ C:task ~ Event/Location ~ appointment/location ~ calendar.event/location
provid ~ char(5) ~ Provider ~ DDS1|HYG2 ~ R:task/assigneeId ~ R:Event/OwnerId ~ R:appointment/ownerid ~ R:calendar.event/user_id,R:mail.activity/user_id
status ~ integer ~ Appointment status (-106 complete, else practice status) ~ -106|0|412 ~ C:task ~ C:Event ~ C:appointment ~ C:calendar.event
appttype ~ integer ~ Appointment type ~ 0|388 ~ C:task ~ C:Event ~ C:appointment ~ C:calendar.event
apptreason ~ char(62) ~ Reason ~ PER EX, PRO, 4BWX|CRN #19 PREP ~ task/title ~ Event/Subject ~ appointment/subject ~ calendar.event/name,mail.activity/summary
createdate ~ date ~ ~ 2025-11-20 ~ task/createdAt ~ Event/CreatedDate ~ appointment/overriddencreatedon ~ C:calendar.event
@fullproclog ~ Procedure log and ledger: procedures, charges, payments, adjustments
procid ~ integer ~ Procedure log id ~ 550231|550232 ~ C ~ C ~ C ~ C
patid ~ integer ~ Patient ~ 1042 ~ C ~ C ~ C ~ C
procdate ~ date ~ Procedure date ~ 2025-10-14 ~ C ~ C ~ C ~ C
proccodeid ~ integer ~ Procedure code id ~ 15|211 ~ C ~ C ~ C ~ C
proclogclass ~ smallint ~ ~ 0|1|2 ~ C ~ C ~ C ~ C
amt ~ money ~ Amount ~ 95.00|-40.00 ~ C ~ C ~ C ~ C
toothrangeend ~ smallint ~ Tooth ~ 19|3 ~ C ~ C ~ C ~ C
@proccode ~ Procedure codes (ADA/CDT and practice codes)
adacode ~ char(11) ~ ADA code ~ D0120|D1110|D2392 ~ C ~ C ~ C ~ C
descript ~ char(101) ~ Description ~ ~ S ~ S ~ S ~ S
@txcase ~ Treatment plan cases
txcaseid ~ integer ~ Case id ~ 77|78 ~ C:opportunity ~ C:Opportunity ~ C:opportunity ~ C:crm.lead
patid ~ integer ~ Patient ~ 1042 ~ R:opportunity/pointOfContactId ~ R:Opportunity/ContactId ~ R:opportunity/parentcontactid,R:opportunity/customerid ~ R:crm.lead/partner_id
status ~ smallint ~ Case status ~ 1|2|3 ~ opportunity/stage ~ Opportunity/StageName ~ opportunity/statuscode,opportunity/statecode ~ R:crm.lead/stage_id
descript ~ char(31) ~ Case description ~ Phase 1 perio|Crowns UR ~ opportunity/name ~ Opportunity/Name ~ opportunity/name ~ crm.lead/name
createdate ~ date ~ ~ 2025-06-30 ~ opportunity/createdAt ~ Opportunity/CreatedDate ~ opportunity/overriddencreatedon ~ C:crm.lead
@clinicalnote ~ Clinical (progress) notes
cnotesid ~ integer ~ Clinical note id ~ 3301|3302 ~ C:note ~ C:Note ~ C:annotation ~ C:mail.message
patid ~ integer ~ Patient ~ 1042 ~ R:noteTarget/personId ~ R:Note/ParentId ~ R:annotation/objectid ~ R:mail.message/res_id
provid ~ char(5) ~ Provider ~ DDS1 ~ C:note ~ R:Note/OwnerId ~ R:annotation/ownerid ~ R:mail.message/author_id
createdatetime ~ timestamp ~ ~ 2025-10-14 09:41:00 ~ note/createdAt ~ Note/CreatedDate ~ annotation/overriddencreatedon ~ mail.message/date
notetext ~ varchar(8000) ~ Note ~ Pt presents for recall. BWX taken. ~ note/bodyV2.markdown ~ Note/Body,ContentNote/Content ~ annotation/notetext ~ mail.message/body
@fullnotes ~ Notes of every kind, keyed by note type and owner id
notetype ~ smallint ~ ~ 1|3|49 ~ S ~ S ~ S ~ S
noteid ~ integer ~ ~ 1042|550231 ~ R:noteTarget/personId ~ R:Note/ParentId ~ R:annotation/objectid ~ R:mail.message/res_id
notedate ~ date ~ ~ 2024-02-11 ~ note/createdAt ~ Note/CreatedDate ~ annotation/overriddencreatedon ~ mail.message/date
notetext ~ varchar(8000) ~ ~ Prefers morning appts. ~ note/bodyV2.markdown ~ Note/Body,ContentNote/Content ~ annotation/notetext ~ mail.message/body
@recalltype ~ Recall (continuing care) types
name ~ char(14) ~ Recall type ~ PROPHY|BWX|PERIO ~ task/title ~ Task/Subject ~ task/subject ~ mail.activity/summary
qty ~ smallint ~ Interval ~ 6|12 ~ C ~ C ~ C ~ C
@recallpending ~ Pending recalls per patient
recallid ~ integer ~ ~ 1|2 ~ S ~ S ~ S ~ S
patid ~ integer ~ ~ 1042 ~ R:taskTarget/personId ~ R:Task/WhoId ~ R:task/regardingobjectid ~ R:mail.activity/res_id
duedate ~ date ~ Due date ~ 2026-04-14 ~ task/dueAt ~ Task/ActivityDate ~ task/scheduledend ~ mail.activity/date_deadline
provid ~ char(5) ~ ~ HYG1 ~ R:task/assigneeId ~ R:Task/OwnerId ~ R:task/ownerid ~ R:mail.activity/user_id
status ~ smallint ~ ~ 0|1 ~ task/status ~ Task/Status ~ task/statecode,task/statuscode ~ C:mail.activity
@hhlinkpat_item ~ Health history items linked to a patient (alerts, problems, medications)
patid ~ integer ~ ~ 1042 ~ S ~ S ~ S ~ S
hhitemid ~ integer ~ Health history item ~ 14|22 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
@hhitem ~ Health history item master
description ~ char(60) ~ ~ Penicillin allergy|Diabetes type 2|Latex allergy ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
@document ~ Document center: scanned and imported documents
docid ~ integer ~ Document id ~ 801|802 ~ C:attachment ~ C:ContentVersion ~ C:annotation ~ C:ir.attachment
descript ~ char(64) ~ Description ~ Consent form 2024|Insurance card front ~ attachment/name ~ ContentVersion/Title ~ annotation/subject ~ ir.attachment/name
createdate ~ date ~ ~ 2024-03-02 ~ attachment/createdAt ~ ContentVersion/CreatedDate ~ annotation/overriddencreatedon ~ C:ir.attachment
@docattach ~ Document links to patients, claims and other records
attachtotype ~ smallint ~ ~ 1|2 ~ S ~ S ~ S ~ S
attachtoentityid ~ integer ~ ~ 1042 ~ R:attachment/personId ~ R:ContentVersion/FirstPublishLocationId ~ R:annotation/objectid ~ R:ir.attachment/res_id
"""

# Dentrix Enterprise (multi-location, SQL Server): the G-series layout plus a clinic dimension.
# Table/column names for the clinic parts are assumed (sources.md §2: tables not verified).
ENTERPRISE_EXTRA = r"""
@clinic ~ Clinics (locations) of the organisation
clinicid ~ integer ~ Clinic id ~ 1|2|7 ~ C:res.company
clinicname ~ varchar(50) ~ Clinic name ~ Northside Dental|Harbor Family Dentistry ~ res.company/name,crm.team/name
street1 ~ varchar(50) ~ ~ 220 Main St ~ res.company/street
city ~ varchar(50) ~ ~ Tacoma ~ res.company/city
zipcode ~ varchar(16) ~ ~ 98402 ~ res.company/zip
phone ~ varchar(20) ~ ~ (555) 300-4000 ~ res.company/phone
"""
# (table, column, after_column, line) inserted into the G layout for the Enterprise case
ENTERPRISE_CLINIC_COLUMNS = {
    "patient": "clinic ~ integer ~ Home clinic ~ 1|2 ~ R:res.partner/company_id,R:res.partner/team_id",
    "appt": "clinic ~ integer ~ Clinic ~ 1|7 ~ C:calendar.event",
    "fullproclog": "clinic ~ integer ~ Clinic ~ 1|2 ~ C",
    "rsc": "clinic ~ integer ~ Default clinic ~ 1 ~ R:res.users/company_id",
    "txcase": "clinic ~ integer ~ ~ 2 ~ R:crm.lead/company_id,R:crm.lead/team_id",
}
