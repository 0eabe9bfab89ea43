import pytest

from core.errors import InvalidRequest
from core.phones import normalize_phone


@pytest.mark.parametrize(
    "raw", ["0912345678", "0912 345 678", "0912.345.678", "+84912345678", "84912345678"]
)
def test_a_vietnamese_mobile_number_is_kept_as_ten_digits_from_zero(raw):
    assert normalize_phone(raw) == "0912345678"


@pytest.mark.parametrize("raw", ["", "12345", "0912abc678", "091234567890123", "<script>"])
def test_anything_else_is_refused_naming_the_field(raw):
    with pytest.raises(InvalidRequest) as exc:
        normalize_phone(raw, field="contact_phone")
    assert exc.value.details["field"] == "contact_phone"
