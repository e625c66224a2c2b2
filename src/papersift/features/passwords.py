"""The password policy, after NIST SP 800-63B (section 5.1.1.2, memorized secrets).

* At least ``MIN_LENGTH`` (8) characters and at most ``MAX_LENGTH`` (1024), counted as Unicode
  characters after NFKC normalisation; spaces and every printable character are allowed.
* No composition rules (no required digits, capitals or symbols) and no expiry.
* Refused when it is a commonly used or breached password, a single repeated character, a
  straight run (``12345678``, ``abcdefgh``, ``87654321``), or made of this service's name or the
  account's own email address or name.

The list of common and breached passwords is the 30,000-entry ``passwords`` frequency list that
the ``zxcvbn`` package (zxcvbn-python, MIT licence) ships: the most frequent passwords of Xato's
corpus of ten million passwords leaked in breaches. It is read from the installed package, so the
check works offline; it is compared case-insensitively.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from papersift.errors import InvalidInputError

MIN_LENGTH = 8
MAX_LENGTH = 1024
SERVICE_WORDS = ("papersift",)
_RUNS = (
    "0123456789",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The list of common and breached passwords (lower case)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def normalise(password: str) -> str:
    """The password as the policy reads it (NFKC: compatibility characters folded)."""
    return unicodedata.normalize("NFKC", password)


def problem(password: str, *, email: str = "", display_name: str = "") -> str | None:
    """Why ``password`` is refused (a sentence for the person choosing it), or None."""
    password = normalise(password)
    if len(password) < MIN_LENGTH:
        return f"choose a password of at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"choose a password of at most {MAX_LENGTH} characters"
    folded = password.lower()
    bare = "".join(folded.split())
    if folded in common_passwords() or bare in common_passwords():
        return (
            "this password is on a list of common and breached passwords, so it is easy to "
            "guess; choose another, e.g. a phrase of a few unrelated words"
        )
    if not bare or len(set(bare)) == 1:
        return "this password is one character repeated; choose a longer phrase of your own"
    if _straight_run(bare):
        return (
            "this password is a run of consecutive characters; choose one that is harder to guess"
        )
    context = list(SERVICE_WORDS)
    local = email.lower().partition("@")[0]
    if len(local) >= 3:
        context += [local, email.lower()]
    if len(display_name.strip()) >= 3:
        context.append("".join(display_name.lower().split()))
    if any(bare == word or _only_word_and_digits(bare, word) for word in context):
        return (
            "this password is made of your name, email address or the site's name; choose another"
        )
    return None


def check(password: str, *, email: str = "", display_name: str = "") -> None:
    """Raise InvalidInputError (saying why) unless ``password`` passes the policy."""
    found = problem(password, email=email, display_name=display_name)
    if found is not None:
        raise InvalidInputError(found)


def _straight_run(text: str) -> bool:
    for run in _RUNS:
        for sequence in (run, run[::-1]):
            if text in sequence or text in sequence * (len(text) // len(sequence) + 2):
                return True
    return False


def _only_word_and_digits(password: str, word: str) -> bool:
    """``password`` is ``word`` with only digits or punctuation around it (papersift2026!)."""
    if word not in password:
        return False
    rest = password.replace(word, "", 1)
    return all(not c.isalpha() for c in rest) and len(rest) <= 6
