import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from touchpoint.core.identifiers import (
    USCC_ALPHABET,
    normalise_phone,
    uscc_check_character,
    validate_credit_code,
    validate_landline,
    validate_mobile,
)


def make_code(body: str) -> str:
    return body + uscc_check_character(body)


def test_a_code_with_its_check_character_is_valid():
    validate_credit_code(make_code("91310000MA1FL0000"))


def test_lower_case_is_accepted_because_it_is_normalised():
    validate_credit_code(make_code("91310000MA1FL0000").lower())


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("9131000", "uscc_length"),
        ("91310000MA1FL0000IO", "uscc_length"),
        ("91310000MA1FL000I0", "uscc_characters"),
    ],
)
def test_malformed_codes_are_refused_with_a_specific_reason(code, error):
    with pytest.raises(ValidationError) as caught:
        validate_credit_code(code)
    assert caught.value.code == error


BODIES = st.builds(
    lambda head, region, rest: head + region + rest,
    st.text(alphabet=USCC_ALPHABET, min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)


@given(BODIES, st.sampled_from(USCC_ALPHABET))
def test_any_wrong_check_character_is_caught_and_the_right_one_passes(body, last):
    if last == uscc_check_character(body):
        validate_credit_code(body + last)
    else:
        with pytest.raises(ValidationError) as caught:
            validate_credit_code(body + last)
        assert caught.value.code == "uscc_checksum"


@pytest.mark.parametrize("number", ["13812345678", "+86 138 1234 5678", "19912345678", "0086 15012345678"])
def test_mainland_mobiles_are_accepted(number):
    validate_mobile(number)


@pytest.mark.parametrize("number", ["12812345678", "1381234567", "138123456789", "abc", "021-68881234"])
def test_non_mobiles_are_refused(number):
    with pytest.raises(ValidationError):
        validate_mobile(number)


@pytest.mark.parametrize("number", ["021-68881234", "010-88881234-801", "0755-2345678", "400-820-8820", "02168881234"])
def test_landlines_with_area_codes_are_accepted(number):
    validate_landline(number)


@pytest.mark.parametrize("number", ["68881234", "021-1234", "13812345678", "021-0888123"])
def test_landlines_without_area_code_or_of_wrong_length_are_refused(number):
    with pytest.raises(ValidationError):
        validate_landline(number)


def test_phone_normalisation_strips_country_code_and_spaces():
    assert normalise_phone(" +86 (138) 1234 5678 ") == "13812345678"
