"""HS code normalisation: one function decides what a code is, or says clearly why it is not.

HS codes are digit strings: 2 (chapter), 4 (heading) or 6 (subheading) digits.
Chapters 01-09 start with a zero, which spreadsheets and integer columns drop
(BACI's HS17 file stores ``10121`` for ``010121``). So a 5-digit value is a
6-digit code that lost its leading zero, and a 3-digit value a 4-digit one. No
cultural code starts with a zero, which is why ``"49011"`` is *not* books:
it is ``049011``, a code in chapter 04.

>>> normalize_hs("4901.10"), normalize_hs(490110), normalize_hs(" 9701 "), normalize_hs("10121")
('490110', '490110', '9701', '010121')
>>> normalize_hs("49011")
'049011'
>>> normalize_hs("4901101000")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
cultrade.errors.SourceFormatError: HS code '4901101000' has 10 digits. Fix: pass 4 or 6 digits; ...
"""

from __future__ import annotations

import math
import re

from cultrade.errors import SourceFormatError

_SEPARATORS = re.compile(r"[\s.\-]")


def normalize_hs(value: object) -> str:
    """A 4- or 6-digit HS code as a string, restoring a lost leading zero.

    Raises :class:`~cultrade.errors.SourceFormatError` for anything else
    (letters, empty, floats with decimals, 1-2 or 7+ digits).
    """
    if isinstance(value, bool):
        raise SourceFormatError(f"HS code {value!r} is not a code", hint="pass a 4- or 6-digit HS code")
    if isinstance(value, float):
        if math.isnan(value) or not value.is_integer():
            raise SourceFormatError(f"HS code {value!r} is not a whole number", hint="pass a 4- or 6-digit HS code")
        value = int(value)
    text = _SEPARATORS.sub("", str(value))
    if not text.isdigit() or not text.isascii():
        raise SourceFormatError(f"HS code {value!r} is not made of digits", hint="pass a 4- or 6-digit HS code")
    if len(text) in (3, 5):
        text = "0" + text
    if len(text) not in (4, 6):
        raise SourceFormatError(
            f"HS code {value!r} has {len(text)} digits",
            hint="pass 4 or 6 digits; for an 8-10 digit tariff line pass its first 6 digits",
        )
    return text


def normalize_hs6(value: object) -> str:
    """Like :func:`normalize_hs` but only 6-digit subheadings are accepted.

    >>> normalize_hs6(950450)
    '950450'
    """
    code = normalize_hs(value)
    if len(code) != 6:
        raise SourceFormatError(f"HS code {value!r} is a heading, not a 6-digit subheading",
                                hint="pass a 6-digit HS code")
    return code


__all__ = ["normalize_hs", "normalize_hs6"]
