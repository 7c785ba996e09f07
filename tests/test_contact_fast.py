"""The phone and e-mail fast paths give exactly what phonenumbers and email_validator give (results, codes, messages)."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from typing import Any

import email_validator
import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from faker import Faker

from mapper.schema import Field
from mapper.spec import TransformStep
from mapper.transforms import REGISTRY, Chain, TransformContext, TransformError
from mapper.transforms._contact import _NANP_TEXT, _nanp_regions, _plain_email, _read_phone
from mapper.transforms._core import is_empty, target_label

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR")
REGIONS = ("US", "CA", "GB", "DE")
PHONES = ("phone_e164", "phone_national", "phone_country", "phone_calling_code")
HINT = "Fix it in the source, or skip the field for this record."


def _reference_phones(value: Any, ctx: TransformContext, region: str | None = None) -> dict[str, Any]:
    """Today's _parse_phone and the four phone transforms, straight on phonenumbers."""
    if is_empty(value):
        return dict.fromkeys(PHONES)
    text = str(value).strip()
    try:
        number = phonenumbers.parse(text, (region or ctx.region).upper())
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        message = f"{target_label(ctx)} is not a valid phone number for region {(region or ctx.region).upper()}."
        return dict.fromkeys(PHONES, ("invalid_phone", message, HINT))
    return {
        "phone_e164": phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        "phone_national": phonenumbers.national_significant_number(number),
        "phone_country": phonenumbers.region_code_for_number(number),
        "phone_calling_code": f"+{number.country_code}",
    }


def _reference_email(value: Any, ctx: TransformContext) -> Any:
    """Today's email_normalise, straight on email_validator."""
    if is_empty(value):
        return None
    try:
        result = validate_email(str(value).strip(), check_deliverability=False)
    except EmailNotValidError:
        return ("invalid_email", f"{target_label(ctx)} is not a valid e-mail address.", HINT)
    return str(result.normalized)


def _outcome(name: str, value: Any, ctx: TransformContext, **args: Any) -> Any:
    try:
        return REGISTRY[name](value, ctx, **args)
    except TransformError as exc:
        return (exc.code, exc.message, exc.hint)


def _assert_phones(values: list[Any], regions: tuple[str, ...] = REGIONS) -> None:
    mismatches = []
    for region in regions:
        ctx = TransformContext(region=region)
        for value in values:
            expected = _reference_phones(value, ctx)
            for name in PHONES:
                got = _outcome(name, value, ctx)
                if got != expected[name]:
                    mismatches.append((region, name, value, got, expected[name]))
    assert not mismatches, mismatches[:20]


def _assert_emails(values: list[Any]) -> None:
    ctx = TransformContext()
    mismatches = [(v, got, want) for v in values
                  if (got := _outcome("email_normalise", v, ctx)) != (want := _reference_email(v, ctx))]
    assert not mismatches, mismatches[:20]


def _faker(locale: str, seed: int) -> Faker:
    fake = Faker(locale)
    fake.seed_instance(seed)
    return fake


# Phones

def _nanp_shapes(rng: random.Random, count: int) -> Iterator[str]:
    """Every separator, prefix and extension shape _NANP_TEXT takes, and near misses, over random digits."""
    prefixes = ("", "1", "1 ", "1-", "1.", "+1", "+1 ", "+1-", "+1.", "001-", "011 ", "0", "+", "+2 ", "11", "+1  ", "(1) ")
    extensions = ("", "x1", "x123", "x0598", " x12", "x 12", " x 12", "X77", "ext123", "ext.12", " ext. 12", "EXT 9",
                  "Ext.123456789", "x123456789", "x1234567890", " #12", ";ext=12", "x", " ext", ",12", "x12#", "/x12")
    for _ in range(count):
        area = rng.choice((f"{rng.randrange(200, 1000)}", f"{rng.randrange(0, 200):03d}", rng.choice(("212", "416", "876", "555"))))
        exchange = rng.choice((f"{rng.randrange(0, 1000):03d}", "555", "201", "010"))
        line = rng.choice((f"{rng.randrange(0, 10000):04d}", "0100", "0199"))
        sep1, sep2 = rng.choice(("", " ", "-", ".", "  ", "/", "\u00a0")), rng.choice(("", " ", "-", ".", "--", "_"))
        head = rng.choice((f"({area}){rng.choice(('', ' ', '-', '.'))}", f"{area}{sep1}", f"({area}", f"{area})"))
        tail = rng.choice((f"{exchange}{sep2}{line}", f"{exchange}{sep2}{line[:3]}", f"{exchange}{sep2}{line}9"))
        yield rng.choice(prefixes) + head + tail + rng.choice(extensions)


def _fast_shapes(rng: random.Random, count: int) -> Iterator[str]:
    """Texts in _NANP_TEXT's grammar: every prefix, bracket, separator and extension form over random digits."""
    for _ in range(count):
        area = f"{rng.randrange(200, 1000)}" if rng.random() < 0.8 else rng.choice(("212", "416", "876", "809", "264"))
        exchange, line = f"{rng.randrange(1000):03d}", f"{rng.randrange(10000):04d}"
        prefix = rng.choice(("", "1", "+1", "001"))
        prefix += rng.choice(("", " ", ".", "-")) if prefix else ""
        head = f"({area}){rng.choice(('', ' ', '-'))}" if rng.random() < 0.3 else area + rng.choice(("", " ", ".", "-"))
        ext = "" if rng.random() < 0.5 else (rng.choice(("", " ")) + rng.choice(("x", "X", "ext", "EXT", "Ext.", "eXt."))
                                             + rng.choice(("", " ")) + str(rng.randrange(10 ** rng.randrange(1, 10))))
        yield prefix + head + exchange + rng.choice(("", " ", ".", "-")) + line + ext


def _regions_examples() -> list[str]:
    """Example numbers of every +1 region and type, in each format, with neighbours by last digit."""
    out = []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1]:
        for kind in range(12):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            for fmt in range(4):
                text = phonenumbers.format_number(number, fmt)
                out += [text, text[:-1] + str((int(text[-1]) + 3) % 10)]
    return out


def test_every_nanp_region_takes_the_fast_path() -> None:
    assert _nanp_regions() == frozenset(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1])


@pytest.mark.parametrize("text", ["(312) 201-3344", "312-201-3344", "312.201.3344", "3122013344", "+1 312 201 3344",
                                  "1-312-201-3344", "+1-780-563-6083x7783", "(591)341-7776", "206.269.0743x9150",
                                  "001-459-329-2244x696"])
def test_common_shapes_take_the_fast_path(text: str) -> None:
    assert _NANP_TEXT.fullmatch(text) is not None


@pytest.mark.parametrize("locale", LOCALES)
def test_faker_phones_match_phonenumbers(locale: str) -> None:
    fake = _faker(locale, 20261123)
    _assert_phones([fake.phone_number() for _ in range(1500)])


def test_nanp_shapes_match_phonenumbers() -> None:
    _assert_phones(list(_nanp_shapes(random.Random(7), 3000)) + list(_fast_shapes(random.Random(8), 3000)),
                   ("US", "CA", "GB", "JM"))


def test_every_nanp_region_matches_phonenumbers() -> None:
    values = _regions_examples() + list(_nanp_shapes(random.Random(11), 100)) + list(_fast_shapes(random.Random(12), 200))
    _assert_phones(values, tuple(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1]))


def test_every_area_code_matches_phonenumbers() -> None:
    rng = random.Random(3)
    values = [f"{area:03d}-{rng.choice(('201', '555', '010', f'{rng.randrange(1000):03d}'))}-{rng.randrange(10000):04d}"
              for area in range(1000) for _ in range(3)]
    _assert_phones(values + ["1" + v for v in values] + ["001 " + v for v in values[::3]], ("US", "CA"))


@pytest.mark.parametrize("value", [
    "555-0100", "555-555-0100", "123-456-7890", "011 44 20 7946 0018", "01144 20 7946 0018", "0113 496 0018",
    "1-312-201-3344", "13122013344", "1 (312) 201-3344", "11-312-201-3344", "1312201334", "312201334", "31220133445",
    "(312) 201-3344 x123", "312-201-3344 ext. 7", "312-201-3344x1234567890", "312-201-3344 #5", "312-201-3344 (home)",
    "1-800-FLOWERS", "1-800-356-9377", "(312) ２０１-3344", "３１２２０１３３４４", "+1 312 201 3344", "+13122013344",
    "+44 20 7946 0018", "+33 1 42 68 53 00", "+49 30 901820", "+1 (876) 555 0100", "+1 876 927 1234", "(416) 555-0199",
    "tel:+1-312-201-3344", "+1-312-201-3344;phone-context=+1", "312 201 3344;isub=12", "312/201/3344 / x12",
    "", "   ", None, 3122013344, 13122013344, 3122013344.0, "\t(312)\u00a0201-3344\n", "++1 312 201 3344", "+１ 312 201 3344",
    "001 (312) 201-3344", "0013122013344", "00 1 312 201 3344", "+001 312 201 3344", "0001-312-201-3344", "001-201-3344",
    "1.312.201.3344", "1 312 201 3344 x 12", "(312)-201-3344", "(312 201-3344", "312) 201-3344", "001-459-329-2244x696",
])
def test_adversarial_phones_match_phonenumbers(value: Any) -> None:
    _assert_phones([value], ("US", "CA", "GB", "DE", "JM", "ZZ", "us"))


def test_region_argument_and_target_name_match_phonenumbers() -> None:
    ctx = TransformContext(region="GB", target=Field(name="mobile"))
    for value in ["(312) 201-3344", "555-555-0100", "020 7946 0018", "+1 312 201 3344"]:
        for region in ("us", "CA", "GB", None):
            expected = _reference_phones(value, ctx, region)
            for name in PHONES:
                assert _outcome(name, value, ctx, region=region) == expected[name], (name, value, region)


def test_fast_numbers_equal_parsed_numbers() -> None:
    texts = list(_fast_shapes(random.Random(5), 4000))
    assert all(_NANP_TEXT.fullmatch(t) for t in texts)
    texts += ["(312) 201-3344", "+1-780-563-6083x7783", "206.269.0743x9150", "1 312 201 3344 ext. 12", "001-459-329-2244x696"]
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1]:
        for text in texts[:: 1 if region in ("US", "CA") else 25]:
            assert _read_phone(text, region) == phonenumbers.parse(text, region), (text, region)


# E-mails

def _faker_emails(locale: str, seed: int, count: int) -> list[str]:
    fake = _faker(locale, seed)
    makers = (fake.email, fake.free_email, fake.company_email, fake.ascii_email, fake.safe_email,
              lambda: f"{fake.user_name()}@{fake.domain_name(2)}", lambda: f"{fake.first_name()}.{fake.last_name()}@{fake.domain_name()}")
    return [makers[i % len(makers)]() for i in range(count)]


def _mutations(rng: random.Random, emails: list[str], count: int) -> Iterator[str]:
    """Valid addresses with characters inserted, replaced or re-cased at random."""
    pieces = [*".-_+@\"'()<>[]\\,; \t!#$%&*/=?^`{|}~", "..", "--", "xn--", "é", "ß", "İ", "K", "\u200b", "\u0301",
              "＠", "．", "1", "-.", ".-", "ab--", "a" * 64]
    for _ in range(count):
        text = rng.choice(emails)
        for _ in range(rng.randrange(1, 3)):
            at = rng.randrange(len(text) + 1)
            roll = rng.random()
            if roll < 0.5:
                text = text[:at] + rng.choice(pieces) + text[at:]
            elif roll < 0.7:
                text = text[:at] + text[at + 1:]
            else:
                text = "".join(c.upper() if rng.random() < 0.3 else c for c in text)
        yield text


def _lengths() -> list[str]:
    label63, label64 = "a" * 63, "b" * 64
    out = [f"x@{label63}.com", f"x@{label64}.com", f"{'l' * 64}@x.com", f"{'l' * 65}@x.com", f"{'l' * 300}@x.com"]
    for total in (253, 254, 255, 256):
        domain = ".".join([label63] * 3) + ".com"
        local = "u" * (total - len(domain) - 1)
        out += [f"{local}@{domain}", f"{local[:-1]}@{domain[:-3]}COM"]
    out.append("x@" + ".".join(["a"] * 127) + ".com")
    return out


@pytest.mark.parametrize("locale", LOCALES)
def test_faker_emails_match_email_validator(locale: str) -> None:
    _assert_emails(_faker_emails(locale, 20261123, 2000))


def test_mutated_emails_match_email_validator() -> None:
    emails = [e for locale in LOCALES for e in _faker_emails(locale, 5, 200)]
    _assert_emails(list(_mutations(random.Random(17), emails, 8000)))


def test_common_addresses_take_the_fast_path() -> None:
    for text in ["jane.doe@gmail.com", "J.O'Neil+dental@Mail.Example.CO.UK", "a_b-c@sub-domain.example.org"]:
        assert _plain_email(text) == str(validate_email(text, check_deliverability=False).normalized)


@pytest.mark.parametrize("value", [
    "Jane.Doe@Example.COM", " Jane.Doe@Example.COM ", "jane@EXAMPLE.com", "Postmaster@Example.com", "INFO@x.com",
    "Info.Desk@x.com", "abuse@X.ORG", "www@x.io", "jane@example.com.", "jane.@example.com", ".jane@example.com",
    "ja..ne@example.com", "jane@example..com", "jane@.example.com", "jane@-example.com", "jane@example-.com",
    "jane@ex--ample.com", "jane@xn--bcher-kva.ch", "jane@XN--BCHER-KVA.ch", "jane@xn--zz.com", "jane@bücher.ch",
    "jane@BÜCHER.ch", "jöhn@example.com", "用户@例子.广告", "\"jane doe\"@example.com", "\"jane\"@example.com",
    "x@foo.test", "x@foo.TEST", "x@localhost", "x@a.local", "x@example.invalid", "x@onion", "x@a.onion",
    "x@1.in-addr.arpa", "x@test.com", "x@local.example.com", "x@example.test.com", "x@example", "x@example.123",
    "x@example.c0m", "x@example.co1", "x@1.2.3.4", "x@[1.2.3.4]", "x@[IPv6:::1]", "Jane <jane@example.com>",
    "jane@example.com>", "<jane@example.com>", "jane@@example.com", "jane@exa mple.com", "jane @example.com",
    "jane", "@example.com", "jane@", "", "   ", None, 12, "a@b.c", "a@b.cd", "a@b.co", "a@b-c.de", "a@b_c.de",
    "a!#$%&'*+/=?^_`{|}~-@example.com", "a(b)@example.com", "a,b@example.com", "a;b@example.com", "a\\b@example.com",
    "a@ab--cd.com", "a@a-b--c.com", "a@x.a--b.com", "a@xn--.com", "a\u200b@example.com", "a@exa\u200bmple.com",
    "a\u0301@example.com", "jane＠example.com", "jane@example．com", "jane@ｅxample.com", "a@K.com", "a@İ.com",
    "jane@example.com\n", "jane\n@example.com", "jane@exam\nple.com", "ja\tne@example.com",
])
def test_adversarial_emails_match_email_validator(value: Any) -> None:
    _assert_emails([value])


def test_email_lengths_match_email_validator() -> None:
    _assert_emails(_lengths())


def test_library_settings_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    values = ["x@foo.test", "x@example.com", "x@mail.example.com", f"{'l' * 65}@x.com", "x@sub.corp.lan", "x@a.lan"]
    for name, setting in [("TEST_ENVIRONMENT", True), ("STRICT", True), ("GLOBALLY_DELIVERABLE", False),
                          ("SPECIAL_USE_DOMAIN_NAMES", [*email_validator.SPECIAL_USE_DOMAIN_NAMES, "example.com", "lan"])]:
        with monkeypatch.context() as patch:
            patch.setattr(email_validator, name, setting)
            _assert_emails(values)


def test_ascii_domains_lower_like_uts46() -> None:
    import idna

    allowed = string.ascii_letters + string.digits + "-."
    assert idna.uts46_remap(allowed, std3_rules=False, transitional=False) == allowed.lower()


# The chain, as the executor runs it

def test_chain_matches_reference_past_the_memo_trial() -> None:
    fake = _faker("en_US", 99)
    phones = [fake.phone_number() for _ in range(1500)]
    emails = [fake.email() for _ in range(1500)]
    ctx = TransformContext()
    for name, values in (("phone_e164", phones), ("email_normalise", emails)):
        chain = Chain([TransformStep(name="trim"), TransformStep(name=name)])
        for value in values:
            trimmed = REGISTRY["trim"](value, ctx)
            want = _reference_phones(trimmed, ctx)[name] if name != "email_normalise" else _reference_email(trimmed, ctx)
            try:
                got: Any = chain(value)[0]
            except TransformError as exc:
                got = (exc.code, exc.message, exc.hint)
            assert got == want, (name, value)
