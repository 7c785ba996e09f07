"""Phone and e-mail transforms (phonenumbers, email-validator; never a network lookup).

Common shapes take a fast path that gives exactly the libraries' results (tests/test_contact_fast.py
checks the parity); anything else goes through phonenumbers.parse and email_validator.validate_email.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import email_validator
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from phonenumbers.phonemetadata import PhoneMetadata, PhoneNumberDesc

from mapper.transforms._core import TransformContext, TransformError, is_empty, target_label, transform

_NANP_TEXT = re.compile(
    r"(?:(001)[ .-]?|\+?1[ .-]?)?(?:\(([2-9][0-9]{2})\)[ -]?|([2-9][0-9]{2})[ .-]?)([0-9]{3})[ .-]?([0-9]{4})"
    r"(?: ?(?:[xX]|[eE][xX][tT]\.?) ?([0-9]{1,9}))?"
)
"""A North American number phonenumbers.parse reads as +1 and its ten digits (after '001': two leading zeros)."""
_NANP_PREFIX_FOR_PARSING = re.compile(r"1|\((?:\[[0-9-]+\]|[0-9])\\d\{6\}\)\$\|1")
"""National prefixes that never match _NANP_TEXT's digits: '1', or seven local digits and '1'."""

_EMAIL = re.compile(
    r"([A-Za-z0-9_!#$%&'*+/=?^`{|}~-]+(?:\.[A-Za-z0-9_!#$%&'*+/=?^`{|}~-]+)*)"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63})"
)
"""A plain ASCII dot-atom address on a letters-TLD host name that validate_email accepts as it stands."""
_EMAIL_MAX, _LOCAL_MAX = 254, 64


@dataclass(frozen=True, slots=True)
class _Claim:
    """One region of calling code 1 as region_code_for_number and is_valid_number see a number of one length."""

    region: str
    leading: re.Pattern[str] | None
    general: re.Pattern[str] | None
    types: re.Pattern[str] | None

    def valid(self, nsn: str) -> bool:
        """_number_type_helper(nsn, metadata) != UNKNOWN."""
        return (self.general is not None and self.types is not None and self.general.fullmatch(nsn) is not None
                and self.types.fullmatch(nsn) is not None)


@dataclass(frozen=True, slots=True)
class _Leading:
    """Consecutive regions with leading digits: the first whose leading digits match claims the number."""

    pattern: re.Pattern[str]
    claims: dict[str, _Claim]


def _region_of(nsn: str) -> str | None:
    """region_code_for_number of a valid +1 national significant number; None when is_valid_number is false."""
    for step in _nanp_steps(len(nsn)):
        if isinstance(step, _Claim):
            if step.valid(nsn):
                return step.region
            continue
        match = step.pattern.match(nsn)
        if match is not None:
            claim = step.claims[match.lastgroup or ""]
            return claim.region if claim.valid(nsn) else None
    return None


def _steps(claims: list[_Claim]) -> tuple[_Claim | _Leading, ...]:
    steps: list[_Claim | _Leading] = []
    run: list[_Claim] = []
    for claim in [*claims, None]:
        if claim is not None and claim.leading is not None:
            run.append(claim)
            continue
        if run:
            pattern = "|".join(f"(?P<_{i}>{c.leading.pattern})" for i, c in enumerate(run) if c.leading is not None)
            steps.append(_Leading(re.compile(pattern), {f"_{i}": c for i, c in enumerate(run)}))
            run = []
        if claim is not None:
            steps.append(claim)
    return tuple(steps)


def _pattern(desc: PhoneNumberDesc | None, length: int) -> str | None:
    """_is_number_matching_desc for a number of `length` digits, as the pattern left to match (None: never matches)."""
    if desc is None or not desc.national_number_pattern:
        return None
    if desc.possible_length and length not in desc.possible_length:
        return None
    return desc.national_number_pattern


def _claim(region: str, meta: PhoneMetadata, length: int) -> _Claim:
    descs = [meta.premium_rate, meta.toll_free, meta.shared_cost, meta.voip, meta.personal_number, meta.pager,
             meta.uan, meta.voicemail, meta.fixed_line]
    if not meta.same_mobile_and_fixed_line_pattern:
        descs.append(meta.mobile)
    types = [p for p in (_pattern(d, length) for d in descs) if p is not None]
    general = _pattern(meta.general_desc, length) if meta.country_code == 1 else None
    return _Claim(region, re.compile(meta.leading_digits) if meta.leading_digits is not None else None,
                  re.compile(general) if general is not None else None,
                  re.compile("|".join(f"(?:{p})" for p in types)) if types else None)


def _parses_plainly(meta: PhoneMetadata | None) -> bool:
    """Whether parse() with this region reads _NANP_TEXT's digits as they are (no IDD, national prefix or trunk)."""
    if meta is None or meta.general_desc is None or not meta.general_desc.possible_length:
        return False
    general = meta.general_desc
    return (meta.country_code == 1 and meta.international_prefix == "011"
            and _NANP_PREFIX_FOR_PARSING.fullmatch(meta.national_prefix_for_parsing or "") is not None
            and max(general.possible_length) < 11 and 11 not in general.possible_length_local_only)


def _metadata() -> dict[str, PhoneMetadata | None]:
    return {r: PhoneMetadata.metadata_for_region(r.upper(), None) for r in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1]}


@lru_cache(maxsize=32)
def _nanp_steps(length: int) -> tuple[_Claim | _Leading, ...]:
    return _steps([_claim(r, m, length) for r, m in _metadata().items() if m is not None])


@cache
def _nanp_regions() -> frozenset[str]:
    """The regions whose numbers in _NANP_TEXT's shapes skip phonenumbers.parse."""
    if not _parses_plainly(PhoneMetadata.metadata_for_region(phonenumbers.region_code_for_country_code(1))):
        return frozenset()
    return frozenset(r.upper() for r, m in _metadata().items() if _parses_plainly(m))


def _read_phone(text: str, code: str) -> phonenumbers.PhoneNumber | None:
    """phonenumbers.parse(text, code); None where it raises."""
    match = _NANP_TEXT.fullmatch(text) if code in _nanp_regions() else None
    if match is None:
        try:
            return phonenumbers.parse(text, code)
        except phonenumbers.NumberParseException:
            return None
    idd, area, other_area, exchange, line, extension = match.groups()
    digits = f"{idd or ''}{area or other_area}{exchange}{line}"
    return phonenumbers.PhoneNumber(country_code=1, national_number=int(digits), extension=extension,
                                    italian_leading_zero=bool(idd) or None, number_of_leading_zeros=2 if idd else None)


def _parse_phone(value: Any, ctx: TransformContext, region: str | None) -> phonenumbers.PhoneNumber | None:
    if is_empty(value):
        return None
    code = (region or ctx.region).upper()
    number = _read_phone(str(value).strip(), code)
    if number is not None and _is_valid(number):
        return number
    raise TransformError(
        "invalid_phone",
        f"{target_label(ctx)} is not a valid phone number for region {code}.",
        hint="Fix it in the source, or skip the field for this record.",
    )


def _is_valid(number: phonenumbers.PhoneNumber) -> bool:
    """phonenumbers.is_valid_number (+1 numbers through metadata compiled once)."""
    if number.country_code != 1:
        return phonenumbers.is_valid_number(number)
    return _region_of(phonenumbers.national_significant_number(number)) is not None


@transform()
def phone_e164(value: Any, ctx: TransformContext, /, *, region: str | None = None) -> Any:
    """A phone number in E.164 (+15551234567); region from the argument or the context."""
    number = _parse_phone(value, ctx, region)
    return None if number is None else phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@transform()
def phone_national(value: Any, ctx: TransformContext, /, *, region: str | None = None) -> Any:
    """The national significant number (Twenty phones.primaryPhoneNumber: "5551234567")."""
    number = _parse_phone(value, ctx, region)
    return None if number is None else phonenumbers.national_significant_number(number)


@transform()
def phone_country(value: Any, ctx: TransformContext, /, *, region: str | None = None) -> Any:
    """The ISO country of the number (Twenty phones.primaryPhoneCountryCode: "US")."""
    number = _parse_phone(value, ctx, region)
    if number is None:
        return None
    if number.country_code != 1:
        return phonenumbers.region_code_for_number(number)
    return _region_of(phonenumbers.national_significant_number(number))


@transform()
def phone_calling_code(value: Any, ctx: TransformContext, /, *, region: str | None = None) -> Any:
    """The calling code with its plus (Twenty phones.primaryPhoneCallingCode: "+1")."""
    number = _parse_phone(value, ctx, region)
    return None if number is None else f"+{number.country_code}"


def _plain_email(text: str) -> str | None:
    """validate_email(text).normalized for a plain ASCII address on an ordinary host; None for anything else."""
    if len(text) > _EMAIL_MAX:
        return None
    match = _EMAIL.fullmatch(text)
    if match is None:
        return None
    local, domain = match.groups()
    if len(local) > _LOCAL_MAX or "--" in domain:
        return None
    domain = domain.lower()
    special = email_validator.SPECIAL_USE_DOMAIN_NAMES
    rest = domain
    while True:
        if rest in special:
            return None
        dot = rest.find(".")
        if dot < 0:
            break
        rest = rest[dot + 1:]
    if local.lower() in CASE_INSENSITIVE_MAILBOX_NAMES:
        local = local.lower()
    return f"{local}@{domain}"


@transform()
def email_normalise(value: Any, ctx: TransformContext, /) -> Any:
    """A syntactically valid e-mail, domain lower-cased (no DNS lookup)."""
    if is_empty(value):
        return None
    text = str(value).strip()
    plain = _plain_email(text)
    if plain is not None:
        return plain
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise TransformError(
            "invalid_email",
            f"{target_label(ctx)} is not a valid e-mail address.",
            hint="Fix it in the source, or skip the field for this record.",
        ) from None
    return str(result.normalized)
