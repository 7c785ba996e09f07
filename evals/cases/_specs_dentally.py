"""Dentally source fields (REST /v1 resources, sources.md §4.2) and the gold map per destination.
Same line format as _specs_dentrix.py: column ~ type ~ description ~ samples ~ twenty ~ salesforce ~ dynamics ~ odoo
"""

DESTS = ("twenty", "salesforce", "dynamics", "odoo")

SPEC = r"""
@patients ~ /v1/patients: patients of the practice (all sites)
id ~ integer ~ Patient id ~ 48213|51007 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
account_id ~ integer ~ Account (payer) the patient's invoices go to ~ 48210|51007 ~ C:person ~ R:Contact/AccountId ~ R:contact/parentcustomerid ~ R:res.partner/parent_id
family_id ~ integer ~ Family ~ 9021|0 ~ C:person ~ R:Contact/AccountId ~ C:contact ~ C:res.partner
active ~ boolean ~ ~ true|false ~ C:person ~ C:Contact ~ contact/statecode ~ res.partner/active
title ~ string ~ ~ Mr|Mrs|Miss|Dr ~ C:person ~ Contact/Salutation ~ contact/salutation ~ R:res.partner/title
first_name ~ string ~ ~ Olivia|Callum|Aisha ~ person/name.firstName ~ Contact/FirstName ~ contact/firstname ~ res.partner/name
middle_name ~ string ~ ~ Jane ~ C:person ~ Contact/MiddleName ~ contact/middlename ~ res.partner/name
last_name ~ string ~ ~ Hughes|McAllister|Begum ~ person/name.lastName ~ Contact/LastName ~ contact/lastname ~ res.partner/name
preferred_name ~ string ~ ~ Liv ~ C:person ~ C:Contact ~ contact/nickname ~ C:res.partner
date_of_birth ~ date ~ ~ 1979-11-02|2015-04-18 ~ C:person ~ Contact/Birthdate ~ contact/birthdate ~ C:res.partner
gender ~ boolean ~ ~ true|false ~ C:person ~ Contact/GenderIdentity ~ contact/gendercode ~ C:res.partner
ethnicity ~ string ~ ~ ~ S ~ S ~ S ~ S
nhs_number ~ string ~ ~ 943 476 5919 ~ S ~ S ~ S ~ S
ni_number ~ string ~ ~ QQ 12 34 56 C ~ S ~ S ~ S ~ S
email_address ~ string ~ ~ olivia.h@example.co.uk ~ person/emails.primaryEmail ~ Contact/Email ~ contact/emailaddress1 ~ res.partner/email
home_phone ~ string ~ ~ 0113 496 0123 ~ person/phones.additionalPhones ~ Contact/HomePhone ~ contact/telephone2 ~ res.partner/phone
mobile_phone ~ string ~ ~ 07700 900123 ~ person/phones.primaryPhoneNumber ~ Contact/MobilePhone ~ contact/mobilephone ~ res.partner/mobile
work_phone ~ string ~ ~ 0113 496 0999 ~ person/phones.additionalPhones ~ Contact/Phone ~ contact/telephone1 ~ C:res.partner
mobile_phone_country ~ string ~ ~ GB|IE ~ person/phones.primaryPhoneCountryCode ~ S ~ S ~ S
address_line_1 ~ string ~ ~ 14 Kirkgate ~ C:person ~ Contact/MailingStreet ~ contact/address1_line1 ~ res.partner/street
address_line_2 ~ string ~ ~ Flat 2 ~ C:person ~ Contact/MailingStreet ~ contact/address1_line2 ~ res.partner/street2
address_line_3 ~ string ~ ~ Headingley ~ C:person ~ Contact/MailingStreet ~ contact/address1_line3 ~ res.partner/street2
town ~ string ~ ~ Leeds|York ~ person/city ~ Contact/MailingCity ~ contact/address1_city ~ res.partner/city
county ~ string ~ ~ West Yorkshire ~ C:person ~ Contact/MailingState ~ contact/address1_county ~ C:res.partner
postcode ~ string ~ ~ LS6 3AA ~ C:person ~ Contact/MailingPostalCode ~ contact/address1_postalcode ~ res.partner/zip
site_id ~ string ~ ~ 5f1c6a9e-2d4b-4f7a-a1b2-0c9d8e7f6a5b ~ C:person ~ C:Contact ~ C:contact ~ R:res.partner/team_id,R:res.partner/company_id
dentist_id ~ integer ~ ~ 112|118 ~ C:person ~ R:Contact/OwnerId ~ R:contact/preferredsystemuserid,R:contact/ownerid ~ R:res.partner/user_id
dentist_recall_date ~ date ~ ~ 2026-03-01 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
dentist_recall_interval ~ integer ~ ~ 6|12 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
payment_plan_id ~ integer ~ ~ 3|7 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
acquisition_source_id ~ integer ~ ~ 2|5 ~ C:person ~ Contact/LeadSource ~ C:contact ~ C:res.partner
use_email ~ boolean ~ ~ true|false ~ C:person ~ Contact/HasOptedOutOfEmail ~ contact/donotemail ~ C:res.partner
marketing ~ boolean ~ ~ true|false ~ C:person ~ C:Contact ~ contact/donotbulkemail ~ C:res.partner
medical_alert ~ boolean ~ ~ true|false ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
medical_alert_text ~ string ~ ~ Penicillin allergy; on warfarin ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
archived_reason ~ string ~ ~ Moved away ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
legacy_id ~ string ~ ~ SOE-22871 ~ S ~ S ~ S ~ S
created_at ~ datetime ~ ~ 2016-02-09T10:12:00Z ~ person/createdAt ~ Contact/CreatedDate ~ contact/overriddencreatedon ~ C:res.partner
@practitioners ~ /v1/practitioners: dentists, hygienists, therapists (name lives on the nested user)
id ~ integer ~ ~ 112|131 ~ S ~ C:User ~ C:systemuser ~ C:res.users
active ~ boolean ~ ~ true ~ S ~ User/IsActive ~ S ~ res.users/active
specialisms ~ array ~ ~ Orthodontics ~ S ~ C:User ~ C:systemuser ~ C:res.users
@users ~ /v1/users: staff accounts
id ~ integer ~ ~ 40|41 ~ S ~ S ~ S ~ S
first_name ~ string ~ ~ Fiona|Rhys ~ workspaceMember/name.firstName ~ User/FirstName ~ systemuser/firstname ~ res.users/name
last_name ~ string ~ ~ Doyle|Evans ~ workspaceMember/name.lastName ~ User/LastName ~ systemuser/lastname ~ res.users/name
email ~ string ~ ~ f.doyle@example-dental.co.uk ~ workspaceMember/userEmail ~ User/Email,User/Username ~ systemuser/internalemailaddress,systemuser/domainname ~ res.users/email,res.users/login
mobile_phone ~ string ~ ~ 07700 900456 ~ S ~ User/MobilePhone ~ systemuser/mobilephone ~ res.users/mobile
role ~ string ~ ~ Dentist|Nurse|Receptionist ~ S ~ User/Title ~ systemuser/jobtitle ~ C:res.users
@sites ~ /v1/sites: locations inside the practice account
id ~ string ~ ~ 5f1c6a9e-2d4b-4f7a-a1b2-0c9d8e7f6a5b ~ S ~ S ~ S ~ C:crm.team
name ~ string ~ ~ Headingley|Harrogate ~ C ~ C ~ C ~ crm.team/name,res.company/name
@appointments ~ /v1/appointments: booked visits (patient_id null = diary block)
id ~ integer ~ ~ 700311|700312 ~ C:task ~ C:Event ~ C:appointment ~ C:calendar.event
patient_id ~ integer ~ ~ 48213 ~ R:taskTarget/personId ~ R:Event/WhoId ~ R:appointment/regardingobjectid ~ R:calendar.event/partner_ids,R:calendar.event/res_id,R:mail.activity/res_id
practitioner_id ~ integer ~ ~ 112 ~ R:task/assigneeId ~ R:Event/OwnerId ~ R:appointment/ownerid ~ R:calendar.event/user_id,R:mail.activity/user_id
room_id ~ integer ~ ~ 3|4 ~ C:task ~ Event/Location ~ appointment/location ~ calendar.event/location
start_time ~ datetime ~ ~ 2025-12-03T09:00:00Z ~ task/dueAt ~ Event/StartDateTime ~ appointment/scheduledstart ~ calendar.event/start,mail.activity/date_deadline
finish_time ~ datetime ~ ~ 2025-12-03T09:30:00Z ~ C:task ~ Event/EndDateTime ~ appointment/scheduledend ~ calendar.event/stop
duration ~ integer ~ ~ 30|60 ~ C:task ~ Event/DurationInMinutes ~ appointment/scheduleddurationminutes ~ calendar.event/duration
reason ~ string ~ ~ Exam|HEX|3 12 Hyg ~ task/title ~ Event/Subject ~ appointment/subject ~ calendar.event/name,mail.activity/summary
state ~ string ~ ~ Pending|Confirmed|Completed|Did not attend ~ C:task ~ C:Event ~ C:appointment ~ C:calendar.event
cancelled_at ~ datetime ~ ~ 2025-11-28T12:00:00Z ~ C:task ~ C:Event ~ C:appointment ~ C:calendar.event
appointment_cancellation_reason_id ~ integer ~ ~ 2 ~ C:task ~ C:Event ~ C:appointment ~ C:calendar.event
treatment_description ~ string ~ ~ Scale and polish ~ task/bodyV2.markdown ~ Event/Description ~ appointment/description ~ calendar.event/description
notes ~ string ~ ~ Pt anxious, topical applied. ~ note/bodyV2.markdown ~ Note/Body,ContentNote/Content ~ annotation/notetext ~ mail.message/body
created_at ~ datetime ~ ~ 2025-10-01T14:20:00Z ~ task/createdAt ~ Event/CreatedDate ~ appointment/overriddencreatedon ~ C:calendar.event
@treatment_plans ~ /v1/treatment_plans: courses of treatment
id ~ integer ~ ~ 88001|88002 ~ C:opportunity ~ C:Opportunity ~ C:opportunity ~ C:crm.lead
patient_id ~ integer ~ ~ 48213 ~ R:opportunity/pointOfContactId ~ R:Opportunity/ContactId ~ R:opportunity/parentcontactid,R:opportunity/customerid ~ R:crm.lead/partner_id
practitioner_id ~ integer ~ ~ 112 ~ C:opportunity ~ R:Opportunity/OwnerId ~ R:opportunity/ownerid ~ R:crm.lead/user_id
nickname ~ string ~ ~ Course 3|Implant UL6 ~ opportunity/name ~ Opportunity/Name ~ opportunity/name ~ crm.lead/name
end_date ~ date ~ ~ 2025-12-15 ~ opportunity/closeDate ~ Opportunity/CloseDate ~ opportunity/estimatedclosedate,opportunity/actualclosedate ~ crm.lead/date_deadline
completed ~ boolean ~ ~ true|false ~ opportunity/stage ~ Opportunity/StageName ~ opportunity/statecode ~ R:crm.lead/stage_id
completed_at ~ datetime ~ ~ 2025-12-15T11:00:00Z ~ C:opportunity ~ C:Opportunity ~ opportunity/actualclosedate ~ C:crm.lead
private_treatment_value ~ string ~ ~ 450.0|1895.00 ~ opportunity/amount.amountMicros ~ Opportunity/Amount ~ opportunity/estimatedvalue ~ crm.lead/expected_revenue
nhs_uda_value ~ string ~ ~ 3.0 ~ C:opportunity ~ C:Opportunity ~ C:opportunity ~ C:crm.lead
created_at ~ datetime ~ ~ 2025-09-01T10:00:00Z ~ opportunity/createdAt ~ Opportunity/CreatedDate ~ opportunity/overriddencreatedon ~ C:crm.lead
@treatment_plan_items ~ /v1/treatment_plan_items: planned and completed treatments
id ~ integer ~ ~ 1200451 ~ C ~ C ~ C ~ C
treatment_plan_id ~ integer ~ ~ 88001 ~ C ~ C ~ C ~ C
nomenclature ~ string ~ ~ Composite filling|Scale and polish ~ C ~ C ~ C ~ C
price ~ string ~ ~ 95.0|-10.0 ~ C ~ C ~ C ~ C
invoice_id ~ integer ~ ~ 610022 ~ S ~ S ~ S ~ S
@invoices ~ /v1/invoices
id ~ integer ~ ~ 610022 ~ C ~ C ~ C ~ C
dated_on ~ date ~ ~ 2025-12-03 ~ C ~ C ~ C ~ C
amount ~ string ~ ~ 76.0|250.00 ~ C ~ C ~ C ~ C
@payments ~ /v1/payments
id ~ integer ~ ~ 990031 ~ C ~ C ~ C ~ C
amount ~ string ~ ~ 76.0 ~ C ~ C ~ C ~ C
deleted ~ boolean ~ ~ false ~ S ~ S ~ S ~ S
@accounts ~ /v1/accounts: patient accounts and balances
id ~ integer ~ ~ 48210 ~ S ~ S ~ S ~ S
patient_id ~ integer ~ ~ 48210 ~ S ~ S ~ S ~ S
current_balance ~ string ~ ~ -76.0|0.0 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
@recalls ~ /v1/recalls: recall reminder workflow rows (field list not captured)
id ~ integer ~ ~ 30012 ~ S ~ S ~ S ~ S
patient_id ~ integer ~ ~ 48213 ~ S ~ S ~ S ~ S
@payment_plans ~ /v1/payment_plans: NHS, private and membership plans
id ~ integer ~ ~ 3|7 ~ S ~ S ~ S ~ S
name ~ string ~ ~ NHS|Private|Denplan Essentials ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
monthly_memberhsip_fee ~ string ~ ~ 16.50 ~ C:person ~ C:Contact ~ C:contact ~ C:res.partner
"""
