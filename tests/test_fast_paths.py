"""The fast paths of ``congkhai check`` give exactly what the plain ones give: ``fold``
through a translation table against its plain definition."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.values import fold


def plain_fold(text: str) -> str:
    """``fold`` as it was first written: NFKD of the lowercased text, marks dropped."""
    text = unicodedata.normalize("NFKD", text.lower().replace("đ", "d").replace("Đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c))


_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
VIETNAMESE = sorted(
    {unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES}
    | {c.upper() for v in _VOWELS for t in _TONES for c in unicodedata.normalize("NFC", v + t)}
    | set("đĐbcdghklmnpqrstvxBCDGHKLMNPQRSTVX")
)


def test_fold_of_every_vietnamese_letter_and_syllable():
    assert len(VIETNAMESE) == 2 * 12 * 6 + 34
    for letter in VIETNAMESE:
        for text in (letter, letter + "nh", "Ng" + letter, unicodedata.normalize("NFD", letter)):
            assert fold(text) == plain_fold(text), text
    sample = "Đường dây nóng tiếp nhận phản ánh, kiến nghị: Trưởng Ban Quản lý — KT. Phó Trưởng ban"
    assert (
        fold(sample)
        == plain_fold(sample)
        == "duong day nong tiep nhan phan anh, kien nghi: truong ban quan ly — kt. pho truong ban"
    )


def test_fold_of_every_code_point_below_0x3400_and_around_marks():
    for code in range(0x3400):
        char = chr(code)
        for text in (char, "aΣ" + char, char + "\u0301", "\u0323" + char):
            assert fold(text) == plain_fold(text), hex(code)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(VIETNAMESE + list(" .,-Σσς\u0301\u0323\u00a0ﬁ①ǅ"))) | st.text())
def test_fold_of_random_text(text):
    assert fold(text) == plain_fold(text)
