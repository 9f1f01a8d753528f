"""Validation of Chinese identifiers: the unified social credit code and phone numbers."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the last is a check character.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Area code 0xx or 0xxx, a 7–8 digit number, an optional extension; or a 400/800 service number.
LANDLINE = re.compile(r"^(0\d{2,3}-?[2-9]\d{6,7}(-\d{1,6})?|[48]00-?\d{3}-?\d{4})$")


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * weight for ch, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalise_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    code = normalise_credit_code(value)
    if len(code) != 18:
        raise ValidationError(_("A unified social credit code has 18 characters."), code="uscc_length")
    if not USCC_SHAPE.match(code):
        raise ValidationError(
            _("A unified social credit code uses digits and capital letters other than I, O, S, V and Z."),
            code="uscc_characters",
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong; please check for a typo."),
            code="uscc_checksum",
        )


def normalise_phone(value: str) -> str:
    return re.sub(r"[\s()（）]", "", (value or "").strip()).removeprefix("+86").removeprefix("0086")


def validate_mobile(value: str) -> None:
    if not MOBILE.match(normalise_phone(value)):
        raise ValidationError(
            _("Enter an 11-digit mainland mobile number starting with 13–19, e.g. 13812345678."),
            code="mobile",
        )


def validate_landline(value: str) -> None:
    if not LANDLINE.match(normalise_phone(value)):
        raise ValidationError(
            _("Enter a landline with its area code, e.g. 021-68881234 or 010-88881234-801."),
            code="landline",
        )
