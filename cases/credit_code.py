"""The 统一社会信用代码 (unified social credit code) of GB 32100-2015, and its check digit.

Eighteen characters from a 31-character alphabet (the digits and the capitals without I, O, Z,
S and V, which are too easily misread): the registering authority, the kind of body, the six
digits of the registering office's region, the nine of the body's organisation code and, last,
a check character. The check character makes a mistyped code (one wrong character, two swapped
ones) fail, so a dossier never names a merchant by a code that cannot exist.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH: Final = 18
# Position i weighs 3**i mod 31 (GB 32100-2015, 4.2).
_WEIGHTS: Final = tuple(pow(3, i, len(ALPHABET)) for i in range(LENGTH - 1))
_VALUE: Final = {char: value for value, char in enumerate(ALPHABET)}


class CodeProblem(StrEnum):
    """Why a code is refused (cli.merchant_legal_bad_code names each)."""

    LENGTH = "length"
    CHARACTER = "character"
    CHECK_DIGIT = "check_digit"


def normalise(text: str) -> str:
    """The code as it is stored: spaces and dashes people type between groups dropped, capitals."""
    return "".join(text.split()).replace("-", "").upper()


def check_character(body: str) -> str:
    """The 18th character for the first 17 (already checked to be in the alphabet)."""
    total = sum(_VALUE[char] * weight for char, weight in zip(body, _WEIGHTS, strict=True))
    return ALPHABET[(len(ALPHABET) - total % len(ALPHABET)) % len(ALPHABET)]


def problem(code: str) -> CodeProblem | None:
    """What is wrong with a normalised code, or None for a valid one."""
    if len(code) != LENGTH:
        return CodeProblem.LENGTH
    if any(char not in _VALUE for char in code):
        return CodeProblem.CHARACTER
    if check_character(code[:-1]) != code[-1]:
        return CodeProblem.CHECK_DIGIT
    return None
