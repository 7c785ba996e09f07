"""The demo practice's vocabulary: procedures and fees, names, phone areas, note words, code lists.

Procedure descriptions are the practice's own short wording, never ADA descriptors (the CDT
descriptor text is copyrighted; reference/dental-domain.md §3).
"""

from __future__ import annotations

FAMILY_SIZES = ((1, 0.65), (2, 0.17), (3, 0.10), (4, 0.06), (5, 0.02))  # mean ~1.63

# (code, practice abbreviation, practice wording, fee in cents, weight, kind) kind: recall/restorative/other
PROCEDURES: tuple[tuple[str, str, str, int, int, str], ...] = (
    ("D0120", "PerEx", "Recall exam", 5500, 30, "recall"),
    ("D0150", "CompEx", "New patient exam", 9500, 6, "other"),
    ("D0140", "LimEx", "Emergency exam", 7000, 4, "other"),
    ("D0274", "4BW", "Four bitewings", 7500, 14, "recall"),
    ("D0210", "FMX", "Full mouth x-rays", 14000, 4, "other"),
    ("D0220", "PA", "First PA", 3000, 6, "other"),
    ("D0330", "Pano", "Panoramic", 11000, 4, "other"),
    ("D1110", "Pro", "Adult cleaning", 10500, 26, "recall"),
    ("D1120", "ChPro", "Child cleaning", 7500, 8, "recall"),
    ("D1206", "FlVarn", "Fluoride varnish", 4000, 8, "recall"),
    ("D1351", "Seal", "Sealant", 5500, 4, "other"),
    ("D2140", "Am1", "Amalgam 1 surf", 14500, 4, "restorative"),
    ("D2150", "Am2", "Amalgam 2 surf", 18000, 3, "restorative"),
    ("D2330", "C1A", "Composite 1 surf ant", 17000, 4, "restorative"),
    ("D2391", "C1P", "Composite 1 surf post", 19000, 6, "restorative"),
    ("D2392", "C2P", "Composite 2 surf post", 24000, 5, "restorative"),
    ("D2740", "CrPorc", "Porcelain crown", 125000, 3, "restorative"),
    ("D2950", "CoreBU", "Core buildup", 26000, 2, "restorative"),
    ("D3330", "RCT-M", "Root canal molar", 110000, 1, "restorative"),
    ("D4341", "SRP4", "Scaling root planing 4+", 26000, 2, "other"),
    ("D4910", "PerMnt", "Perio maintenance", 14500, 5, "recall"),
    ("D7140", "Ext", "Simple extraction", 17500, 3, "restorative"),
    ("D7210", "SurgEx", "Surgical extraction", 32000, 1, "restorative"),
    ("D9110", "Palli", "Palliative treatment", 12000, 2, "other"),
)
NON_ADA_CODES = (("NC001", "NoChg", "No charge visit", 0), ("BLEACH", "Bleach", "Take-home whitening", 35000), ("99901", "Misc", "Miscellaneous", 2500))
INVALID_CODES = (("D012", "PerEx?", "Recall exam (old)", 5500), ("DO274", "4BW?", "Bitewings (old)", 7500), ("D11100", "Pro?", "Cleaning (old)", 10500))

NICKNAMES = {
    "John": "Jon", "Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Katherine": "Kate", "Michael": "Mike",
    "James": "Jim", "Steven": "Steve", "Jennifer": "Jen", "Thomas": "Tom", "Christopher": "Chris", "Margaret": "Peggy",
    "Joseph": "Joe", "Daniel": "Dan", "Susan": "Sue", "Patricia": "Pat", "Anthony": "Tony", "Matthew": "Matt",
    "Rebecca": "Becky", "Richard": "Rick", "David": "Dave", "Samantha": "Sam", "Alexander": "Alex", "Nicholas": "Nick",
}
CP1252_FIRST = ("José", "Zoë", "Renée", "Chloé", "Françoise", "Jürgen", "Agnès", "Björn", "Inés", "Noël", "Léa", "Søren")
CP1252_LAST = ("Muñoz", "Müller", "O’Brien", "Núñez", "Gómez", "Brontë", "D’Angelo", "Peña", "Fernández", "Schön", "Ibáñez", "Lefèvre")
MAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "aol.com", "icloud.com", "hotmail.com", "comcast.net")
REASONS = ("Recall", "6mo recall", "Pro/BW", "NP exam", "Tooth pain", "Crown prep", "Crown seat", "Fillings", "Perio maint", "Ext", "Consult", "Emergency")
NOTE_WORDS = (
    "patient", "reports", "no", "pain", "sensitivity", "upper", "lower", "left", "right", "molar", "premolar", "gingiva",
    "healthy", "bleeding", "on", "probing", "calculus", "light", "moderate", "heavy", "OHI", "given", "reviewed", "med",
    "hx", "BP", "within", "normal", "limits", "anesthetic", "lido", "epi", "placed", "rubber", "dam", "composite",
    "shade", "A2", "occlusion", "checked", "adjusted", "rtc", "6", "months", "recommend", "crown", "#3", "#14", "#19", "#30",
)

FEMALE_NICKNAMES = {"Elizabeth", "Katherine", "Jennifer", "Margaret", "Susan", "Patricia", "Rebecca", "Samantha"}
HEALTH_ITEMS = (
    ("Penicillin allergy", 2), ("Latex allergy", 2), ("Codeine allergy", 2), ("Diabetes", 1), ("High blood pressure", 1),
    ("Heart murmur", 1), ("Asthma", 1), ("Pregnant", 1), ("Artificial joint", 1), ("Warfarin", 3), ("Metformin", 3),
    ("Lisinopril", 3), ("Bisphosphonates", 3), ("Smoker", 1), ("Anxious patient", 1),
)
PAYMENT_TYPES = ("Cash", "Check", "Credit card", "Debit card")
AREA_CODES = ("503", "206", "415", "312", "617", "303")
UK_AREAS = ("020 7946", "0161 496", "0113 496", "0117 496", "0131 496", "029 2018")


def procedure_fee(code: int) -> int:
    """Fee in cents of a procedure index (negative indices: invalid / non-ADA codes)."""
    return procedure_row(code)[3]


def procedure_row(code: int) -> tuple[str, str, str, int]:
    """(code, abbreviation, wording, fee) of a procedure index."""
    if code >= 0:
        return PROCEDURES[code][:4]
    if code <= -100:
        return NON_ADA_CODES[-100 - code]
    return INVALID_CODES[-1 - code]


def all_procedure_indices() -> list[int]:
    """Every procedure index in proccode order: ADA codes, then non-ADA, then invalid."""
    return list(range(len(PROCEDURES))) + [-100 - i for i in range(len(NON_ADA_CODES))] + [-1 - i for i in range(len(INVALID_CODES))]


def provider_roster(sites: int) -> list[list[tuple[str, int, str]]]:
    """Per site: (id, kind 1 dentist / 2 hygienist, role) for 2 dentists and 2 hygienists."""
    roster = []
    for s in range(sites):
        base = s * 2
        roster.append([(f"DDS{base + 1}", 1, "Dentist"), (f"DDS{base + 2}", 1, "Dentist"), (f"HYG{base + 1}", 2, "Hygienist"), (f"HYG{base + 2}", 2, "Hygienist")])
    return roster
