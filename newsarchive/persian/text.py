"""Persian text forms: the display form kept in the archive and the search form used by the index.

``normalize`` only makes changes that keep the author's spelling (letter and digit
code points, invisible marks, whitespace).  ``fold`` goes further so that spellings
which differ only in letter forms, diacritics, kashida, digit script or ZWNJ compare
equal; it is applied to both indexed text and queries.  Neither touches punctuation
spacing, so Latin tech tokens (``iOS 17.2``, ``i9-13900K``, URLs) and dates
(``۱۳۹۷/۰۵/۱۷``) survive.

Speed matters (whole archives are re-folded), so the work is done by ``str.translate``
tables built once at import, and the few context-dependent regexes run only when a
cheap ``in`` check shows they can match.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["ascii_digits", "fold", "normalize", "repair_spacing"]

ZWNJ = "\u200c"
ALEF = "\u0627"
ALEF_MADDA = "\u0622"
COMBINING_MADDA = "\u0653"

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"

# Letters of the Arabic script after presentation forms are resolved (no tatweel, no digits).
_ARABIC_LETTER_RANGES = (
    "\u0620-\u063f\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef"
    "\u06fa-\u06fc\u06ff\u0750-\u077f\u08a0-\u08c9"
)
# Combining marks of the Arabic script: they belong to the word they sit on.
_ARABIC_MARK_RANGES = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"


def _chars_in(ranges: str) -> frozenset[str]:
    """Expand a regex-style character-range string into the set of its characters."""
    return frozenset(re.findall(f"[{ranges}]", "".join(map(chr, range(0x10000)))))


ARABIC_LETTERS = _chars_in(_ARABIC_LETTER_RANGES)
ARABIC_MARKS = _chars_in(_ARABIC_MARK_RANGES)

# Arabic letters that Persian writes differently; the sound and spelling are the same.
_PERSIAN_LETTER_FORMS = {"ك": "ک", "ي": "ی", "ى": "ی", "ے": "ی"}

# Marks typed as a half-space: ZWNJ when between two letters, dropped elsewhere.
# U+061C ARABIC LETTER MARK is the Arabic-script twin of RLM and is treated the same.
_HALF_SPACE_MARKS = "\u200d\u200e\u200f\u00ad\u061c"
# The not sign, typed for ZWNJ on old Persian keyboards; a half-space only between Arabic letters.
NOT_SIGN = "\u00ac"

# Invisible marks that carry no spelling: zero-width space, word joiner and invisible
# operators, deprecated format controls, bidi embeddings/overrides/isolates, BOM,
# Mongolian vowel separator.
_INVISIBLE_MARKS = (
    "\u200b\u2060\u2061\u2062\u2063\u2064\u206a\u206b\u206c\u206d\u206e\u206f"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u180e"
)
_SPACE_VARIANTS = "\t\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
_LINE_BREAK_VARIANTS = "\v\f\x85\u2028"
PARAGRAPH_SEPARATOR = "\u2029"


def _presentation_forms() -> dict[str, str]:
    """Arabic presentation forms (FB50-FDFF, FE70-FEFF) to the characters they display (NFKC)."""
    forms = {}
    for code in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFF00)):
        char = chr(code)
        if unicodedata.decomposition(char):
            # Isolated harakat forms decompose to "space + mark"; the space only carries the mark.
            forms[char] = unicodedata.normalize("NFKC", char).lstrip(" ")
    return forms


def _display_map() -> dict[int, str | None]:
    """Character map for ``normalize``: spelling-preserving code point fixes."""
    mapping: dict[str, str | None] = dict(_PERSIAN_LETTER_FORMS)
    mapping.update(zip(ARABIC_INDIC_DIGITS, PERSIAN_DIGITS))
    mapping["\u0640"] = None  # tatweel (kashida) only stretches the line
    mapping.update(dict.fromkeys(_INVISIBLE_MARKS))
    mapping.update(dict.fromkeys(_SPACE_VARIANTS, " "))
    mapping.update(dict.fromkeys(_LINE_BREAK_VARIANTS, "\n"))
    mapping[PARAGRAPH_SEPARATOR] = "\n\n"
    by_code = {ord(key): value for key, value in mapping.items()}
    # Presentation forms can expand to Arabic yeh or tatweel (U+FE71 is tatweel + fathatan).
    for form, display in _presentation_forms().items():
        by_code[ord(form)] = display.translate(by_code)
    return by_code


# Folding applied on top of the display form, for search only.
_SEARCH_LETTER_FOLDS = {
    "أ": "ا",
    "إ": "ا",
    "ٱ": "ا",
    "ؤ": "و",
    "ئ": "ی",
    "ۀ": "ه",
    "ة": "ه",
    "ۂ": "ه",
    "ۃ": "ه",
    "ہ": "ه",
    "ە": "ه",
    "ھ": "ه",
}
_SEARCH_DIACRITICS = "".join(map(chr, range(0x064B, 0x0660))) + "\u0670"


def _search_map() -> dict[int, str | None]:
    """Character map applied to display-form text to get the search form."""
    mapping: dict[str, str | None] = dict(_SEARCH_LETTER_FOLDS)
    mapping.update(dict.fromkeys(_SEARCH_DIACRITICS))
    mapping.update(zip(PERSIAN_DIGITS, "0123456789"))
    mapping.update(zip(ARABIC_INDIC_DIGITS, "0123456789"))
    mapping[ZWNJ] = None
    mapping["\n"] = " "
    return {ord(key): value for key, value in mapping.items()}


def _with_identity_entries(mapping: dict[int, str | None]) -> dict[int, str | int | None]:
    """Add "maps to itself" entries for the code points news text is made of.

    ``str.translate`` raises and swallows a LookupError for every character missing
    from the table; listing the common ones explicitly makes it about 1.5x faster.
    """
    dense: dict[int, str | int | None] = {code: code for code in _COMMON_CODE_POINTS}
    dense.update(mapping)
    return dense


def _chained(first: dict[int, str | None], second: dict[int, str | None]) -> dict[int, str | None]:
    """One table with the effect of translating by ``first`` and then by ``second``."""
    chained = dict(second)
    for code, value in first.items():
        chained[code] = None if value is None else value.translate(second)
    return chained


# Basic Latin to Arabic, general punctuation and format marks, Arabic presentation forms.
_COMMON_CODE_POINTS = (*range(0x0800), *range(0x2000, 0x2070), *range(0xFB50, 0xFF00))

_DISPLAY_MAP = _display_map()
_SEARCH_MAP = _search_map()
DISPLAY_TABLE = _with_identity_entries(_DISPLAY_MAP)
SEARCH_TABLE = _with_identity_entries(_SEARCH_MAP)
# Display and search maps in one pass, for text without context-dependent marks ("\r" is
# a newline, which search turns into a space anyway).
FOLD_TABLE = _with_identity_entries({**_chained(_DISPLAY_MAP, _SEARCH_MAP), ord("\r"): " "})
ASCII_DIGIT_TABLE = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS, "0123456789" * 2)


def _changed_by(table: dict[int, str | int | None]) -> str:
    """A regex character class of the code points ``table`` changes (its identity entries left out)."""
    codes = sorted(code for code, value in table.items() if value not in (code, chr(code)))
    return "[" + "".join(re.escape(chr(code)) for code in codes) + "]"


# str.translate looks every character up in its table (~40 ns each); a regex scans for the
# few that change about ten times faster. Text already in display form (a stored body, the
# search form of a normalized item) has none, and search text has them in short runs.
_DISPLAY_CHANGES = re.compile(_changed_by(DISPLAY_TABLE))
_FOLD_CHANGES = re.compile(_changed_by(FOLD_TABLE) + "+")

# Characters adjacent to which a ZWNJ is inside a word: letters, digits, Arabic marks.
_WORD_CHAR = rf"[\w{_ARABIC_MARK_RANGES}]"
_HALF_SPACE_RUN = re.compile(f"[{ZWNJ}{_HALF_SPACE_MARKS}{NOT_SIGN}]+")
_ZWNJ_RUN = re.compile(f"{ZWNJ}{{2,}}")
# A single ZWNJ not followed, or not preceded, by a word character (start/end of text included).
_ZWNJ_AT_WORD_EDGE = re.compile(f"{ZWNJ}(?:(?!{_WORD_CHAR})|(?<!{_WORD_CHAR}{ZWNJ}))")
_SPACE_RUN = re.compile(" {2,}")
_SPACES_AROUND_NEWLINE = re.compile(" ?\n ?")
_NEWLINE_RUN = re.compile("\n{3,}")


def _is_letter(char: str) -> bool:
    return char.isalpha() or char in ARABIC_MARKS


def _is_arabic_letter(char: str) -> bool:
    return char in ARABIC_LETTERS or char in ARABIC_MARKS


def _resolve_half_space_run(match: re.Match[str]) -> str:
    """A run of ZWNJ-like marks becomes one ZWNJ between letters; elsewhere only ZWNJ and ¬ stay."""
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    run = match.group()
    if NOT_SIGN in run:
        joins = _is_arabic_letter(before) and _is_arabic_letter(after)
    else:
        joins = _is_letter(before) and _is_letter(after)
    if joins:
        return ZWNJ
    return "".join(char for char in run if char in (ZWNJ, NOT_SIGN))


def _has_half_space_marks(text: str) -> bool:
    return any(mark in text for mark in _HALF_SPACE_MARKS + NOT_SIGN)


def normalize(text: str) -> str:
    """Return the display form: same spelling, canonical code points, invisible marks and spacing.

    Arabic letter and digit variants become Persian, presentation forms become base
    letters, kashida and invisible marks go, half-space marks between letters become
    ZWNJ, and whitespace is reduced to single spaces and at most one blank line
    between paragraphs.  Persian and Latin digits, punctuation and ZWNJ inside words
    are kept as written.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _DISPLAY_CHANGES.search(text):
        text = text.translate(DISPLAY_TABLE)
    if not text.isascii():
        if COMBINING_MADDA in text:
            text = text.replace(ALEF + COMBINING_MADDA, ALEF_MADDA)
        if _has_half_space_marks(text):
            text = _HALF_SPACE_RUN.sub(_resolve_half_space_run, text)
        if ZWNJ in text:
            if ZWNJ + ZWNJ in text:
                text = _ZWNJ_RUN.sub(ZWNJ, text)
            text = _ZWNJ_AT_WORD_EDGE.sub("", text)
    if "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    if "\n" in text:
        if " \n" in text or "\n " in text:
            text = _SPACES_AROUND_NEWLINE.sub("\n", text)
        if "\n\n\n" in text:
            text = _NEWLINE_RUN.sub("\n\n", text)
    return text.strip(" \n")


def _fold_run(run: re.Match[str]) -> str:
    return run.group().translate(FOLD_TABLE)


def fold(text: str) -> str:
    """Return the search form: ``normalize`` plus folding of everything search should ignore.

    Diacritics, hamza carriers, heh variants, digit script, Latin case and ZWNJ are
    folded so that ``fold(a) == fold(b)`` for spellings that differ only in those.
    Newlines become spaces.  Use the same function on indexed text and on queries.
    """
    if COMBINING_MADDA in text or _has_half_space_marks(text):
        text = normalize(text).translate(SEARCH_TABLE)
    else:
        # Without these, the display form's context rules only remove ZWNJs and merge
        # whitespace, which the search form does anyway: one table does both steps.
        text = _FOLD_CHANGES.sub(_fold_run, text)
    text = text.lower()
    if "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    return text.strip(" ")


def ascii_digits(text: str) -> str:
    """Turn Persian and Arabic-Indic digits into ASCII digits and change nothing else."""
    if text.isascii():
        return text
    return text.translate(ASCII_DIGIT_TABLE)


# repair_spacing: the affix rules and their guard.
_PERSIAN_LETTER = f"[{_ARABIC_LETTER_RANGES}]"
# "می"/"نمی" as its own word (start of text, after whitespace or an opening quote/bracket),
# then spaces, then a Persian word of 2+ letters.  Not after "ماه" or a number, where
# "می" is the month May ("ماه می", "۱۰ می ۲۰۲۴").
_VERB_PREFIX_WITH_SPACE = re.compile(
    rf"(?<![^\s«(\[])(?<!ماه )(?<![0-9۰-۹] )(ن?می) +(?={_PERSIAN_LETTER}{{2}})"
)
# A plural/comparative suffix written as its own word after a Persian word of 2+ letters
# (so never after a digit or a Latin token), not followed by more letters.
_SUFFIX_WITH_SPACE = re.compile(
    rf"(?<={_PERSIAN_LETTER}{_PERSIAN_LETTER}) +(های|ها|ترین|تر)(?!{_PERSIAN_LETTER})"
)


def repair_spacing(text: str) -> str:
    """Join the common affixes written with a space, using ZWNJ: ``می رود`` -> ``می‌رود``.

    Off by default in the pipeline: it changes the author's spelling and can misfire.
    Expects ``normalize``d text.  Rules, with a deliberately small guard instead of a lexicon:

    * ``می`` / ``نمی`` + space + Persian word of 2+ letters -> prefix joined, only when
      ``می`` starts a word (start of text, after whitespace, ``«``, ``(`` or ``[``) and the
      previous word is not ``ماه`` or a number (``ماه می``, ``۱۰ می`` is the month May).
      ``می`` before a non-letter, a one-letter word or the end of the text stays.
    * space + ``ها`` / ``های`` / ``تر`` / ``ترین`` as a whole word -> suffix joined, only
      after a Persian word of 2+ letters, so ``iPhone ها`` and ``۲۰ ها`` stay.

    Known misfires: ``می`` meaning wine, and ``تر`` meaning wet (``لباس تر``).
    """
    if "می " in text:
        text = _VERB_PREFIX_WITH_SPACE.sub(rf"\1{ZWNJ}", text)
    if " ها" in text or " تر" in text:
        text = _SUFFIX_WITH_SPACE.sub(rf"{ZWNJ}\1", text)
    return text
