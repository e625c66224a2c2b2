"""The password policy (NIST SP 800-63B): length, no composition rules, common and breached
passwords, trivial runs and the account's own words refused, each with a reason."""

from __future__ import annotations

import pytest

from papersift.errors import InvalidInputError
from papersift.features import passwords


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password", "common and breached"),
        ("12345678", "common and breached"),
        ("PASSWORD", "common and breached"),
        ("iloveyou", "common and breached"),
        ("        ", "one character repeated"),
        ("zzzzzzzzzzzz", "one character repeated"),
        ("abcdefghijk", "consecutive"),
        ("98765432109", "consecutive"),
        ("qwertyuiop", "common and breached"),
        ("tsrqponmlkj", "consecutive"),
        ("short", "at least 8 characters"),
        ("x" * 1025, "at most 1024 characters"),
        ("papersift2026!", "your name, email address or the site's name"),
        ("ada.lovelace", "your name, email address or the site's name"),
        ("adalovelace1", "your name, email address or the site's name"),
    ],
)
def test_refused_passwords_say_why(password: str, reason: str) -> None:
    found = passwords.problem(
        password, email="ada.lovelace@example.org", display_name="Ada Lovelace"
    )
    assert found is not None and reason in found
    with pytest.raises(InvalidInputError, match=reason):
        passwords.check(password, email="ada.lovelace@example.org", display_name="Ada Lovelace")


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # no composition rules: lower case and spaces are fine
        "tr0ub4dor&3x",
        "the slow grey heron waits by the cold river for the morning fish",  # 64 characters
        "ünïcödé pässwörd ✓",
        "y" * 7 + "z" * 1017,  # 1024 characters
    ],
)
def test_good_passwords_pass(password: str) -> None:
    assert passwords.problem(password, email="ada@example.org", display_name="Ada") is None


def test_the_list_is_the_shipped_one_and_works_offline() -> None:
    common = passwords.common_passwords()
    assert len(common) > 25_000
    assert {"password", "12345678", "qwerty", "letmein"} <= common
