"""The 统一社会信用代码's check character (GB 32100-2015) catches a mistyped code."""

from __future__ import annotations

import pytest

from cases.credit_code import ALPHABET, CodeProblem, check_character, normalise, problem

# Codes of real, listed companies, as their licences print them.
REAL = ["91440300708461136T", "914403001922038216", "91110000600037341L", "91350100M000100Y43"]


@pytest.mark.parametrize("code", REAL)
def test_the_codes_on_real_licences_pass(code: str) -> None:
    assert problem(code) is None


def test_every_single_wrong_character_is_caught() -> None:
    code = REAL[0]
    for position in range(len(code)):
        for char in ALPHABET:
            if char != code[position]:
                typo = code[:position] + char + code[position + 1 :]
                assert problem(typo) is CodeProblem.CHECK_DIGIT, typo


def test_two_swapped_neighbours_are_caught() -> None:
    code = REAL[1]
    for position in range(len(code) - 1):
        a, b = code[position], code[position + 1]
        if a != b:
            swapped = code[:position] + b + a + code[position + 2 :]
            assert problem(swapped) is CodeProblem.CHECK_DIGIT, swapped


def test_the_wrong_length_and_letters_outside_the_alphabet_are_named() -> None:
    assert problem("9144030070846113") is CodeProblem.LENGTH
    assert problem("91440300708461136TX") is CodeProblem.LENGTH
    assert problem("9144030070846113OT") is CodeProblem.CHARACTER  # O, not 0
    assert problem("91440300708461136I") is CodeProblem.CHARACTER


def test_spaces_dashes_and_small_letters_people_type_are_normalised() -> None:
    assert normalise(" 9144 0300-7084 6113 6t ") == REAL[0]


def test_the_check_character_can_be_zero() -> None:
    body = next(
        prefix
        for prefix in (f"91110000{n:09d}" for n in range(200))
        if check_character(prefix) == "0"
    )
    assert problem(body + "0") is None
