from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papersift.errors import InvalidInputError
from papersift.features.tokens import make_token, read_token

SECRET = b"k" * 32
PURPOSE = "unsubscribe"
TOKEN_CHARS = st.sampled_from("v1.0123456789-_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def test_round_trip_and_url_safety() -> None:
    for user_id in (0, 1, 42, 2**63 - 1):
        token = make_token(SECRET, PURPOSE, user_id)
        assert token.startswith("v1.")
        assert all(c.isalnum() or c in "._-" for c in token)
        assert read_token(SECRET, PURPOSE, token) == user_id


def test_tokens_depend_on_secret_purpose_and_user() -> None:
    token = make_token(SECRET, PURPOSE, 7)
    assert token != make_token(SECRET, PURPOSE, 8)
    with pytest.raises(InvalidInputError):
        read_token(b"other secret", PURPOSE, token)
    with pytest.raises(InvalidInputError):
        read_token(SECRET, "delete-account", token)


def test_changing_the_user_id_or_any_character_is_rejected() -> None:
    token = make_token(SECRET, PURPOSE, 7)
    signature = token.rsplit(".", 1)[1]
    with pytest.raises(InvalidInputError):
        read_token(SECRET, PURPOSE, f"v1.8.{signature}")
    with pytest.raises(InvalidInputError):
        read_token(SECRET, PURPOSE, f"v1.07.{signature}")  # same number, other spelling
    for index, char in enumerate(token):
        for replacement in {"A", "B", "0", "_"} - {char}:
            tampered = token[:index] + replacement + token[index + 1 :]
            with pytest.raises(InvalidInputError):
                read_token(SECRET, PURPOSE, tampered)


@pytest.mark.parametrize(
    "garbage", ["", "v1", "v1..", "v2.7.abc", "v1.7", "v1.-7.x", "💥", "v1.7.\n", "x" * 10_000]
)
def test_garbage_is_rejected(garbage: str) -> None:
    with pytest.raises(InvalidInputError):
        read_token(SECRET, PURPOSE, garbage)


def test_trailing_newline_is_rejected() -> None:
    with pytest.raises(InvalidInputError):
        read_token(SECRET, PURPOSE, make_token(SECRET, PURPOSE, 3) + "\n")


def test_previous_secrets_still_accepted_after_rotation() -> None:
    old = make_token(b"old secret", PURPOSE, 5)
    assert read_token(SECRET, PURPOSE, old, previous_secrets=[b"old secret"]) == 5
    with pytest.raises(InvalidInputError):
        read_token(SECRET, PURPOSE, old)


def test_bad_arguments_are_programming_errors() -> None:
    with pytest.raises(ValueError):
        make_token(b"", PURPOSE, 1)
    with pytest.raises(ValueError):
        make_token(SECRET, "", 1)
    with pytest.raises(ValueError):
        make_token(SECRET, PURPOSE, -1)
    with pytest.raises(ValueError):
        make_token(SECRET, PURPOSE, 2**63)


def _accepted_only_if_genuine(candidate: str) -> None:
    try:
        user_id = read_token(SECRET, PURPOSE, candidate)
    except InvalidInputError:
        return
    assert candidate == make_token(SECRET, PURPOSE, user_id)


@given(st.text())
def test_any_string_is_rejected_or_is_a_token_we_made(candidate: str) -> None:
    _accepted_only_if_genuine(candidate)


@given(st.text(TOKEN_CHARS, max_size=70))
def test_any_token_shaped_string_is_rejected_or_genuine(candidate: str) -> None:
    _accepted_only_if_genuine(candidate)


@given(st.integers(0, 2**63 - 1), st.integers(0, 200), st.text(TOKEN_CHARS, max_size=3))
def test_any_edit_of_a_genuine_token_is_rejected_or_genuine(
    user_id: int, position: int, insert: str
) -> None:
    token = make_token(SECRET, PURPOSE, user_id)
    position %= len(token) + 1
    for candidate in (
        token[:position] + insert + token[position:],
        token[:position] + insert + token[position + len(insert) :],
        token[:position] + token[position + 1 :],
    ):
        _accepted_only_if_genuine(candidate)
