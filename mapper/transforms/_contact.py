"""Phone and e-mail transforms (phonenumbers, email-validator; never a network lookup)."""

from __future__ import annotations

from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from mapper.transforms._core import TransformContext, TransformError, is_empty, target_label, transform


def _parse_phone(value: Any, ctx: TransformContext, region: str | None) -> phonenumbers.PhoneNumber | None:
    if is_empty(value):
        return None
    text = str(value).strip()
    try:
        number = phonenumbers.parse(text, (region or ctx.region).upper())
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise TransformError(
            "invalid_phone",
            f"{target_label(ctx)} is not a valid phone number for region {(region or ctx.region).upper()}.",
            hint="Fix it in the source, or skip the field for this record.",
        )
    return number


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
    return None if number is None else phonenumbers.region_code_for_number(number)


@transform()
def phone_calling_code(value: Any, ctx: TransformContext, /, *, region: str | None = None) -> Any:
    """The calling code with its plus (Twenty phones.primaryPhoneCallingCode: "+1")."""
    number = _parse_phone(value, ctx, region)
    return None if number is None else f"+{number.country_code}"


@transform()
def email_normalise(value: Any, ctx: TransformContext, /) -> Any:
    """A syntactically valid e-mail, domain lower-cased (no DNS lookup)."""
    if is_empty(value):
        return None
    try:
        result = validate_email(str(value).strip(), check_deliverability=False)
    except EmailNotValidError:
        raise TransformError(
            "invalid_email",
            f"{target_label(ctx)} is not a valid e-mail address.",
            hint="Fix it in the source, or skip the field for this record.",
        ) from None
    return str(result.normalized)
