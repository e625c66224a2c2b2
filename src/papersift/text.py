"""Text normalisation: one form for search and matching, a lightly cleaned one for display.

Papers keep their original text (LaTeX, hard line breaks); indexes and matchers call
``normalise_for_search`` and ``fold_name`` themselves.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Accent commands written with a symbol (\"o, \'{e}) and with a letter (\c{c}, \v s),
# mapped to the combining mark they put on the next letter.
_SYMBOL_ACCENTS = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303",
    "=": "\u0304", ".": "\u0307",
}  # fmt: skip
_LETTER_ACCENTS = {
    "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331", "t": "\u0361",
}  # fmt: skip
_LETTERS = {
    "aa": "å", "AA": "Å", "o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ",
    "OE": "Œ", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð", "th": "þ",
    "TH": "Þ", "ng": "ŋ", "NG": "Ŋ", "dj": "đ", "DJ": "Đ",
}  # fmt: skip
_FONT_COMMANDS = frozenset(
    {
        "text", "textbf", "textit", "textrm", "textsc", "textsf", "texttt", "textup", "textsl",
        "emph", "mbox", "bf", "it", "em", "rm", "sc", "sf", "tt", "sl", "mathrm", "mathbf",
        "mathit", "mathsf", "mathtt", "mathcal", "mathbb", "mathfrak", "boldsymbol", "underline",
    }
)  # fmt: skip
_ESCAPES = {"&": "&", "%": "%", "$": "$", "#": "#", "_": "_", "{": "", "}": ""}

_TARGET = r"(?:[A-Za-z]|\\[ij](?![A-Za-z]))"  # the letter an accent goes on
# One left-to-right pass over every backslash construct and every brace, so no replacement can
# create a construct that a second pass would see (normalising twice == normalising once).
_LATEX = re.compile(
    rf"""
      \\(?P<sym>["'`^~=.])\s*(?:\{{\s*(?P<sym_in>{_TARGET})\s*\}}|(?P<sym_on>{_TARGET}))?
    | \\(?P<let>[cvuHkrdbt])(?![A-Za-z])
      (?:\s*\{{\s*(?P<let_in>{_TARGET})\s*\}}|\s+(?P<let_on>{_TARGET}))?
    | \\(?P<word>[A-Za-z]+)(?P<word_end>\{{\}}|\s*)
    | \\(?P<escape>[&%$\#_{{}}])
    | \\(?P<space>[,;:!\\]|\s)  # \\ (line break), "\ " and the math spaces \, \; \: \!
    | \\-
    | [{{}}]
    """,
    re.VERBOSE,
)
_PUNCTUATION = re.compile(r"---|--|``|''")
_PUNCTUATION_MAP = {"---": "—", "--": "–", "``": "“", "''": "”"}
_LATEX_MARKERS = ("\\", "{", "}", "--", "``", "''")
# Letters that NFKD does not decompose but that people type without the stroke.
_FOLD_EXTRA = str.maketrans(
    {"ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe",
     "Œ": "oe", "đ": "d", "Đ": "d", "ı": "i", "ȷ": "j", "ð": "d", "þ": "th"}
)  # fmt: skip
_RUNS_OF_SPACES = re.compile(r"[ \t\f\v]+")


def normalise_for_search(s: str) -> str:
    """Text for indexing and matching: LaTeX accents and escapes as Unicode, one line, tidy spaces.

    ``\\"o``, ``{\\"o}``, ``\\c{c}``, ``\\ss``, ``\\&``, ``--``, ``````…``''`` become their
    characters, grouping braces go (``{BERT}`` -> ``BERT``), line breaks and runs of whitespace
    become single spaces. Unknown commands and math (``$\\alpha$``) are kept as written. Never
    raises; normalising the result again changes nothing.
    """
    # Substring tests run at memchr speed, far faster than one regex with alternatives.
    if any(marker in s for marker in _LATEX_MARKERS):
        s = _PUNCTUATION.sub(_punctuation, _LATEX.sub(_latex, s))
    return " ".join(s.split())


MATH = re.compile(r"(\$\$.+?\$\$|\$[^$]+?\$|\\\(.+?\\\)|\\\[.+?\\\])", re.DOTALL)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n(?=[ \t]+\S)")


def readable(s: str) -> str:
    """Text for reading on a page: LaTeX accents, escapes and dashes as characters, one line.

    Maths (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``) is kept exactly as written, for
    KaTeX to render; everything around it is normalised like ``normalise_for_search``.
    """
    pieces: list[str] = []
    for index, part in enumerate(MATH.split(s)):
        if index % 2:  # maths
            pieces.append(" ".join(part.split()))
            continue
        core = normalise_for_search(part)
        before = " " if part[:1].isspace() else ""
        after = " " if part[-1:].isspace() and core else ""
        pieces.append(f"{before}{core}{after}" if core else before)
    return " ".join("".join(pieces).split())


def math_spans(s: str) -> list[tuple[int, int]]:
    """(start, end) of every maths segment in ``s`` (text that must not be cut or marked up)."""
    return [match.span() for match in MATH.finditer(s)]


def cut_outside_math(s: str, position: int) -> int:
    """``position``, moved back to the start of the maths segment it falls inside, if any."""
    for start, end in math_spans(s):
        if start < position < end:
            return start
    return position


def paragraphs(s: str) -> list[str]:
    """``readable`` paragraphs: arXiv abstracts mark them by a blank line or an indented line."""
    return [readable(block) for block in _PARAGRAPH_BREAK.split(s) if block.strip()]


def normalise_display(s: str) -> str:
    """Light cleanup for display: unified newlines, single spaces, no surrounding whitespace.

    Line breaks and LaTeX are kept; the display layer decides what to do with them.
    """
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    return _RUNS_OF_SPACES.sub(" ", s).strip()


def fold_accents(s: str) -> str:
    """``normalise_for_search`` without accents (combining marks dropped)."""
    normal = normalise_for_search(s)
    if normal.isascii():
        return normal  # nothing to decompose: most titles and names, at a fraction of the cost
    decomposed = unicodedata.normalize("NFKD", normal)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1 << 16)  # matching compares the same author names over and over
def fold_name(s: str) -> str:
    """A key for matching author names: no LaTeX, no accents, lowercase, single spaces."""
    return " ".join(fold_accents(s).translate(_FOLD_EXTRA).casefold().split())


def _latex(match: re.Match[str]) -> str:
    groups = match.groupdict()
    if groups["sym"] is not None:
        return _accent(_SYMBOL_ACCENTS[groups["sym"]], groups["sym_in"] or groups["sym_on"])
    if groups["let"] is not None:
        return _accent(_LETTER_ACCENTS[groups["let"]], groups["let_in"] or groups["let_on"])
    if groups["word"] is not None:
        followed_by_group = match.string.startswith("{", match.end())
        return _command(groups["word"], groups["word_end"], followed_by_group)
    if groups["escape"] is not None:
        return _ESCAPES[groups["escape"]]
    if groups["space"] is not None:
        return " "
    return ""  # \- (optional hyphen) and grouping braces


def _accent(mark: str, target: str | None) -> str:
    """The target letter with the accent on it; an accent with nothing to go on is dropped."""
    if target is None:
        return ""
    letter = {"\\i": "i", "\\j": "j"}.get(target, target)
    return unicodedata.normalize("NFC", letter + mark)


def _command(word: str, end: str, followed_by_group: bool) -> str:
    """A letter command (\\o, \\ss) as its letter, a font command dropped, others kept.

    Like LaTeX, a command swallows the spaces after it; a kept command is followed by one space
    when something followed it, so ``\\frac{a}{b}`` does not become ``\\fracab``.
    """
    if word in _LETTERS:
        return _LETTERS[word]
    if word in _FONT_COMMANDS:
        return ""
    return f"\\{word} " if (end and end != "{}") or followed_by_group else f"\\{word}"


def _punctuation(match: re.Match[str]) -> str:
    return _PUNCTUATION_MAP[match.group(0)]


# Plain text: maths made readable too -------------------------------------------------------------

_MATH_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "ell": "ℓ",
    "infty": "∞", "partial": "∂", "nabla": "∇", "sum": "∑", "prod": "∏", "int": "∫",
    "cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "leq": "≤", "le": "≤",
    "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "sim": "~", "simeq": "≃",
    "equiv": "≡", "propto": "∝", "ll": "≪", "gg": "≫", "to": "→", "rightarrow": "→",
    "leftarrow": "←", "Rightarrow": "⇒", "Leftarrow": "⇐", "leftrightarrow": "↔",
    "mapsto": "↦", "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆", "supset": "⊃",
    "cup": "∪", "cap": "∩", "emptyset": "∅", "forall": "∀", "exists": "∃", "neg": "¬",
    "wedge": "∧", "vee": "∨", "oplus": "⊕", "otimes": "⊗", "circ": "∘", "star": "⋆",
    "ast": "∗", "dagger": "†", "prime": "′", "ldots": "…", "cdots": "⋯", "dots": "…",
    "langle": "⟨", "rangle": "⟩", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉",
    "mid": "|", "vert": "|", "Vert": "‖", "lvert": "|", "rvert": "|", "top": "⊤",
    "perp": "⊥", "hbar": "ħ", "degree": "°", "circledast": "⊛", "lbrace": "{", "rbrace": "}",
    "quad": " ", "qquad": " ", "left": "", "right": "", "big": "", "Big": "", "bigg": "",
    "Bigg": "", "displaystyle": "", "limits": "", "nolimits": "",
}  # fmt: skip
_MATH_WORDS = frozenset(
    {"log", "ln", "exp", "sin", "cos", "tan", "max", "min", "arg", "lim", "sup", "inf", "det",
     "dim", "ker", "deg", "gcd", "Pr", "argmax", "argmin", "tanh", "sigmoid", "softmax"}
)  # fmt: skip
_MATH_DROPPED = frozenset(
    {"operatorname", "mathop", "hat", "bar", "tilde", "vec", "widehat", "widetilde", "overline",
     "dot"}
)  # fmt: skip
_SUPERSCRIPTS = str.maketrans("0123456789+-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ")
_SUBSCRIPTS = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_GROUP = r"\{([^{}]*)\}"
_FRAC = re.compile(rf"\\[dt]?frac\s*{_GROUP}\s*{_GROUP}")
_SQRT = re.compile(rf"\\sqrt\s*{_GROUP}")
_SCRIPT = re.compile(rf"([\^_])\s*(?:{_GROUP}|(\\[A-Za-z]+|[A-Za-z0-9]))")
_MATH_COMMAND = re.compile(r"\\([A-Za-z]+)\s*")
_MATH_DELIMITERS = re.compile(r"^(\$\$|\$|\\\(|\\\[)|(\$\$|\$|\\\)|\\\])$")


def plain_text(s: str) -> str:
    """Text where no markup is read: ``readable``, with maths made readable too.

    For page titles, feeds, emails' text parts and other places that show text as it is:
    ``Di$\\mathtt{[M]}$O`` -> ``Di[M]O``, ``$\\alpha$-test`` -> ``α-test``, ``$O(n^2)$`` ->
    ``O(n²)``, ``$\\frac{a}{b}$`` -> ``a/b``. Never raises; one tidy line.
    """
    if "$" not in s and "\\(" not in s and "\\[" not in s:
        return readable(s)
    pieces: list[str] = []
    for index, part in enumerate(MATH.split(s)):
        if index % 2:
            pieces.append(_plain_math(part))
        else:
            core = normalise_for_search(part)
            before = " " if part[:1].isspace() else ""
            after = " " if part[-1:].isspace() and core else ""
            pieces.append(f"{before}{core}{after}" if core else before)
    return " ".join("".join(pieces).split())


def _plain_math(segment: str) -> str:
    math = _MATH_DELIMITERS.sub("", segment.strip())
    for _ in range(4):  # nested fractions and roots, innermost first
        math = _FRAC.sub(lambda m: f"{_wrap(m.group(1))}/{_wrap(m.group(2))}", math)
        math = _SQRT.sub(lambda m: f"√{_wrap(m.group(1))}", math)
    math = _MATH_COMMAND.sub(_math_command, math)
    math = _SCRIPT.sub(_script, math)
    math = normalise_for_search(math)
    return math.replace("\\", "")


def _wrap(value: str) -> str:
    value = value.strip()
    return value if len(value) <= 1 or value.isalnum() else f"({value})"


def _math_command(match: re.Match[str]) -> str:
    word = match.group(1)
    if word in _MATH_SYMBOLS:
        symbol = _MATH_SYMBOLS[word]
        spaced = symbol and not symbol.isalpha() and symbol not in "⟨⟩⌊⌋⌈⌉{}|‖′"
        return f" {symbol} " if spaced else symbol
    if word in _MATH_WORDS:
        return f" {word} "
    if word in _FONT_COMMANDS or word in _MATH_DROPPED:
        return ""
    return match.group(0)  # accents and letters: normalise_for_search knows them


def _script(match: re.Match[str]) -> str:
    mark, group, single = match.group(1), match.group(2), match.group(3)
    value = group if group is not None else single
    table = _SUPERSCRIPTS if mark == "^" else _SUBSCRIPTS
    converted = value.translate(table)
    if all(ord(c) > 127 for c in converted if not c.isspace()) and value.strip():
        return converted
    value = " ".join(value.split())
    return f"{mark}{value}" if len(value) <= 1 else f"{mark}({value})"


# Characters no name or query needs: C0 controls (tab and line breaks included), DEL and lone
# surrogates, which some stores refuse.
_CONTROL_IN_INPUT = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
# Characters dropped from text sent out (feeds, emails): controls XML 1.0 forbids or mail
# clients show as boxes; tab and line breaks stay.
_CONTROL_IN_OUTPUT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def has_control_characters(s: str) -> bool:
    """Whether ``s``, typed by someone as a name or query, holds a control character."""
    return _CONTROL_IN_INPUT.search(s) is not None


def strip_control_characters(s: str) -> str:
    """``s`` without the control characters that feeds and emails must not carry."""
    return _CONTROL_IN_OUTPUT.sub("", s)
