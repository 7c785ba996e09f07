"""Dentrix Ascend source fields (public REST API objects, sources.md §3; names from a client that
parses Ascend JSON, R) and the gold map per destination.
Same line format as _specs_dentrix.py: column ~ type ~ description ~ samples ~ twenty ~ salesforce ~ dynamics ~ odoo
"""

DESTS = ("twenty", "salesforce", "dynamics", "odoo")

SPEC = r"""
@Patient ~ Patient (/v1/patients)
id ~ integer ~ ~ 5002341|5002342 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
firstName ~ string ~ ~ Maya|Dev|Lucia ~ person/name.firstName ~ Contact/FirstName ~ contact/firstname ~ res.partner/name
middleName ~ string ~ ~ K ~ C:person ~ Contact/MiddleName ~ contact/middlename ~ res.partner/name
lastName ~ string ~ ~ Thornton|Raman|Ortiz ~ person/name.lastName ~ Contact/LastName ~ contact/lastname ~ res.partner/name
preferredName ~ string ~ ~ Lu ~ C:person ~ C:Contact ~ contact/nickname ~ C:res.partner
nameSuffix ~ string ~ ~ Jr.|III ~ C:person ~ Contact/Suffix ~ contact/suffix ~ res.partner/name
title ~ string ~ ~ Mr.|Ms.|Dr. ~ C:person ~ Contact/Salutation ~ contact/salutation ~ R:res.partner/title
dateOfBirth ~ date ~ ~ 1990-08-21|2014-01-09 ~ C:person ~ Contact/Birthdate ~ contact/birthdate ~ C:res.partner
gender ~ string ~ ~ MALE|FEMALE ~ C:person ~ Contact/GenderIdentity ~ contact/gendercode ~ C:res.partner
chartNumber ~ string ~ ~ THOMA000012 ~ C:person ~ C:Contact ~ C:contact ~ res.partner/ref
status ~ string ~ ~ New|Active|Non Patient ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
primaryProviderId ~ integer ~ ~ 2201 ~ C:person ~ R:Contact/OwnerId ~ R:contact/preferredsystemuserid,R:contact/ownerid ~ R:res.partner/user_id
preferredLocation ~ object ~ ~ {"id": 31} ~ C:person ~ C:Contact ~ C:contact ~ R:res.partner/team_id,R:res.partner/company_id
patientAddress ~ object ~ ~ {"address1": "88 Oak Ave", "city": "Boise"} ~ person/city ~ Contact/MailingStreet,Contact/MailingCity,Contact/MailingState,Contact/MailingPostalCode ~ contact/address1_line1,contact/address1_city,contact/address1_stateorprovince,contact/address1_postalcode ~ res.partner/street,res.partner/city,res.partner/zip
phones ~ array ~ ~ [{"type": "MOBILE", "number": "2085550142"}] ~ person/phones.primaryPhoneNumber,person/phones.additionalPhones ~ Contact/MobilePhone,Contact/HomePhone,Contact/Phone ~ contact/mobilephone,contact/telephone2,contact/telephone1 ~ res.partner/mobile,res.partner/phone
primaryEmail ~ string ~ ~ maya.t@example.com ~ person/emails.primaryEmail ~ Contact/Email ~ contact/emailaddress1 ~ res.partner/email
emails ~ array ~ ~ ["maya.work@example.org"] ~ person/emails.additionalEmails ~ S ~ contact/emailaddress2 ~ S
contactMethod ~ string ~ ~ TEXT|EMAIL|PHONE ~ C:person ~ C:Contact ~ contact/preferredcontactmethodcode ~ C:res.partner
languageType ~ string ~ ~ ENGLISH|SPANISH ~ C:person ~ C:Contact ~ C:contact ~ res.partner/lang
guarantoredPatients ~ array ~ ~ [5002342] ~ C:person ~ R:Contact/AccountId ~ R:contact/parentcustomerid ~ R:res.partner/parent_id
isSelfGuarantored ~ boolean ~ ~ true|false ~ S ~ S ~ S ~ S
patientInsurancePlans ~ array ~ ~ ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
patientMedicalAlerts ~ array ~ ~ ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
firstVisitDate ~ date ~ ~ 2018-06-11 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
lastVisitDate ~ date ~ ~ 2025-10-02 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
totalMissedAppointments ~ integer ~ ~ 0|2 ~ S ~ S ~ S ~ S
created ~ date-time ~ ~ 2018-06-01T15:00:00Z ~ person/createdAt ~ Contact/CreatedDate ~ contact/overriddencreatedon ~ C:res.partner
externalID ~ string ~ ~ DTX-1042 ~ S ~ S ~ S ~ S
@Appointment ~ Appointment (/v1/appointments)
id ~ integer ~ ~ 81000231 ~ C:task ~ C:Event ~ C:appointment ~ C:calendar.event
created ~ date-time ~ ~ 2025-11-02T10:00:00Z ~ task/createdAt ~ Event/CreatedDate ~ appointment/overriddencreatedon ~ C:calendar.event
start ~ date-time ~ ~ 2025-12-03T15:00:00Z ~ task/dueAt ~ Event/StartDateTime ~ appointment/scheduledstart ~ calendar.event/start,mail.activity/date_deadline
endDateTime ~ date-time ~ ~ 2025-12-03T16:00:00Z ~ C:task ~ Event/EndDateTime ~ appointment/scheduledend ~ calendar.event/stop
duration ~ integer ~ ~ 60 ~ C:task ~ Event/DurationInMinutes ~ appointment/scheduleddurationminutes ~ calendar.event/duration
status ~ string ~ ~ UNCONFIRMED|CONFIRMED ~ C:task ~ C:Event ~ C:appointment ~ C:calendar.event
provider ~ object ~ ~ {"id": 2201} ~ R:task/assigneeId ~ R:Event/OwnerId ~ R:appointment/ownerid ~ R:calendar.event/user_id,R:mail.activity/user_id
operatory ~ object ~ ~ {"id": 4, "name": "OP 2"} ~ C:task ~ Event/Location ~ appointment/location ~ calendar.event/location
patient ~ object ~ ~ {"id": 5002341} ~ R:taskTarget/personId ~ R:Event/WhoId ~ R:appointment/regardingobjectid ~ R:calendar.event/partner_ids,R:calendar.event/res_id,R:mail.activity/res_id
reason ~ string ~ ~ Recall|Crown seat #30 ~ task/title ~ Event/Subject ~ appointment/subject ~ calendar.event/name,mail.activity/summary
note ~ string ~ ~ Prefers afternoons ~ task/bodyV2.markdown ~ Event/Description ~ appointment/description ~ calendar.event/description,mail.activity/note
confirmed ~ boolean ~ ~ true|false ~ C:task ~ C:Event ~ C:appointment ~ C:calendar.event
productionAmount ~ number ~ ~ 1240.00 ~ C:task ~ C:Event ~ C:appointment ~ C:calendar.event
cancelledOn ~ date-time ~ ~ ~ C:task ~ C:Event ~ C:appointment ~ C:calendar.event
@Provider ~ Provider (dentists and hygienists)
id ~ integer ~ ~ 2201|2205 ~ S ~ C:User ~ C:systemuser ~ C:res.users
provId ~ string ~ ~ DDS1|HYG2 ~ S ~ C:User ~ C:systemuser ~ C:res.users
shortName ~ string ~ ~ DrT ~ S ~ User/Alias ~ S ~ S
firstName ~ string ~ ~ Irene|Kofi ~ workspaceMember/name.firstName ~ User/FirstName ~ systemuser/firstname ~ res.users/name
lastName ~ string ~ ~ Tran|Mensah ~ workspaceMember/name.lastName ~ User/LastName ~ systemuser/lastname ~ res.users/name
npi ~ string ~ ~ 1234567893 ~ S ~ C:User ~ C:systemuser ~ C:res.users
active ~ boolean ~ ~ true ~ S ~ User/IsActive ~ S ~ res.users/active
@LedgerTransaction ~ Ledger transaction (/v1/transactions): charges, payments, adjustments
id ~ integer ~ ~ 77001234 ~ C ~ C ~ C ~ C
type ~ string ~ ~ CHARGE|PAYMENT|ADJUSTMENT ~ C ~ C ~ C ~ C
amount ~ number ~ ~ 110.00|-50.00 ~ C ~ C ~ C ~ C
balance ~ number ~ ~ 60.00 ~ S ~ S ~ S ~ S
voided ~ boolean ~ ~ false ~ C ~ C ~ C ~ C
@ProcedureCode ~ Procedure code (CDT and practice codes)
adaCode ~ string ~ ~ D0120|D1110|D2740 ~ C ~ C ~ C ~ C
description ~ string ~ ~ ~ S ~ S ~ S ~ S
"""
