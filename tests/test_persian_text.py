"""Display form (normalize), search form (fold), affix repair and digit helper for Persian text."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.persian.text import (
    _DISPLAY_CHANGES,
    _FOLD_CHANGES,
    DISPLAY_TABLE,
    FOLD_TABLE,
    SEARCH_TABLE,
    ZWNJ,
    _fold_run,
    ascii_digits,
    fold,
    normalize,
    repair_spacing,
)

RLM, LRM, ZWJ, SOFT_HYPHEN, NOT_SIGN, ALM = "\u200f", "\u200e", "\u200d", "\u00ad", "\u00ac", "\u061c"

DIGIATO_SENTENCE = "وزیر ارتباطات: مجموع کاربران فعال در پیامرسانهای داخلی ۱۵ میلیون است"

TECH_TOKENS = [
    "iOS 17.2",
    "Galaxy S24 Ultra",
    "5G",
    "i9-13900K",
    "https://digiato.com/article/2024/05/17/iphone-15?utm=x#top",
    "news@example.ir",
    "Wi-Fi 7",
    "100Mbps",
    "۱۲,۵۰۰,۰۰۰",
    "۱۲:۳۰",
    "C++ / C#",
]


# --- normalize: letters -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("كتاب", "کتاب"),  # Arabic kaf
        ("ايران", "ایران"),  # Arabic yeh
        ("مصطفى", "مصطفی"),  # alef maksura
        ("پے", "پی"),  # yeh barree
        ("مايكروسافت", "مایکروسافت"),
    ],
)
def test_normalize_arabic_kaf_and_yeh_become_persian(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\ufeb3\ufefc\ufee1", "سلام"),  # initial seen, lam-alef ligature, isolated meem
        ("\ufb90\ufe98\ufe8e\ufe8f", "کتاب"),  # keheh initial form
        ("\ufbfc", "ی"),  # Farsi yeh isolated
        ("\ufef1", "ی"),  # Arabic yeh isolated: also becomes Persian yeh
        ("\ufed9", "ک"),  # Arabic kaf isolated: also becomes Persian kaf
        ("\ufe89", "ئ"),  # yeh with hamza isolated: hamza kept in the display form
        ("\ufdf2", "الله"),
        ("\ufdfc", "ریال"),
        ("\ufe70", "\u064b"),  # isolated fathatan: the carrier space goes
        ("\ufe71", "\u064b"),  # tatweel + fathatan: tatweel goes too
    ],
)
def test_normalize_presentation_forms_become_base_letters(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "text",
    ["خانۀ", "خانهٔ", "مسئله", "مؤسسه", "أسامه", "إسلام", "ٱلله", "آب", "رسالة", "ہ ە ھ", "کِتاب", "ء"],
)
def test_normalize_keeps_hamza_heh_and_diacritics_as_written(text):
    assert normalize(text) == text


def test_normalize_composes_alef_and_combining_madda():
    assert normalize("ا\u0653ب") == "آب"
    assert normalize("اـ\u0653ب") == "آب"  # once the kashida is gone


def test_normalize_removes_tatweel():
    assert normalize("ســـلام") == "سلام"
    assert normalize("ـ") == ""


# --- normalize: digits ---------------------------------------------------------------------


def test_normalize_arabic_indic_digits_become_persian():
    assert normalize("٠١٢٣٤٥٦٧٨٩") == "۰۱۲۳۴۵۶۷۸۹"


@pytest.mark.parametrize("text", ["۰۱۲۳۴۵۶۷۸۹", "0123456789", "۱۴۰۳ و 2024", "۱۳۹۷/۰۵/۱۷", "٪۴۰", "۱۲٫۵"])
def test_normalize_keeps_persian_and_latin_digits_and_arabic_punctuation(text):
    assert normalize(text) == text


# --- normalize: invisible marks ------------------------------------------------------------


@pytest.mark.parametrize("mark", [RLM, LRM, ZWJ, SOFT_HYPHEN, ALM, NOT_SIGN])
def test_normalize_half_space_mark_between_persian_letters_becomes_zwnj(mark):
    assert normalize(f"می{mark}روم") == f"می{ZWNJ}روم"
    assert normalize(f"خانهٔ{mark}ما") == f"خانهٔ{ZWNJ}ما"  # a mark on the letter still counts


@pytest.mark.parametrize("mark", [RLM, LRM, ZWJ, SOFT_HYPHEN, ALM])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{m}سلام", "سلام"),
        ("سلام{m}", "سلام"),
        ("سلام {m}دنیا", "سلام دنیا"),
        ("سلام{m}.", "سلام."),
        ("۱۲{m}۳۰", "۱۲۳۰"),
        ("«{m}سلام»", "«سلام»"),
    ],
)
def test_normalize_half_space_mark_outside_letters_is_removed(mark, text, expected):
    assert normalize(text.format(m=mark)) == expected


def test_normalize_half_space_mark_between_latin_letters_becomes_zwnj():
    assert normalize(f"Inter{SOFT_HYPHEN}net") == f"Inter{ZWNJ}net"


@pytest.mark.parametrize("text", ["a ¬b", "¬p ∨ q", "x¬y", "a¬ب", "ب¬a", "¬سلام", "سلام¬", "۱¬۲"])
def test_normalize_keeps_not_sign_unless_between_arabic_letters(text):
    assert normalize(text) == text


def test_normalize_merges_a_run_of_half_space_marks_into_one_zwnj():
    assert normalize(f"می{RLM}{ZWNJ}{LRM}{NOT_SIGN}روم") == f"می{ZWNJ}روم"


@pytest.mark.parametrize(
    "mark",
    [
        "\ufeff",
        "\u200b",
        "\u2060",
        "\u2061",
        "\u2064",
        "\u206a",
        "\u206f",
        "\u180e",
        "\u202a",
        "\u202b",
        "\u202c",
        "\u202d",
        "\u202e",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
    ],
)
def test_normalize_removes_other_invisible_marks(mark):
    assert normalize(f"{mark}سلام{mark} دنیا{mark}") == "سلام دنیا"
    assert normalize(f"پیامرسان{mark}ها") == "پیامرسانها"


def test_normalize_removes_bom_at_start():
    assert normalize("\ufeffوزیر") == "وزیر"


# --- normalize: ZWNJ ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"پیام{ZWNJ}{ZWNJ}{ZWNJ}رسان", f"پیام{ZWNJ}رسان"),
        (f"{ZWNJ}سلام", "سلام"),
        (f"سلام{ZWNJ}", "سلام"),
        (f"سلام{ZWNJ} دنیا", "سلام دنیا"),
        (f"سلام {ZWNJ}دنیا", "سلام دنیا"),
        (f"سلام{ZWNJ}، دنیا", "سلام، دنیا"),
        (f"«{ZWNJ}سلام{ZWNJ}»", "«سلام»"),
        (f"سلام{ZWNJ}\nدنیا", "سلام\nدنیا"),
        (f"{ZWNJ}{ZWNJ}", ""),
        (f"۱۰{ZWNJ}ها", f"۱۰{ZWNJ}ها"),  # a digit is part of the word
        (f"iPhone{ZWNJ}ها", f"iPhone{ZWNJ}ها"),
    ],
)
def test_normalize_zwnj_collapsed_and_dropped_at_word_edges(text, expected):
    assert normalize(text) == expected


def test_normalize_keeps_both_zwnj_of_a_compound():
    assert normalize("پیام‌رسان‌های") == "پیام‌رسان‌های"
    assert normalize("پیام‌رسان‌های").count(ZWNJ) == 2


def test_normalize_leaves_the_digiato_sentence_unchanged():
    assert normalize(DIGIATO_SENTENCE) == DIGIATO_SENTENCE


# --- normalize: whitespace and newlines -----------------------------------------------------


@pytest.mark.parametrize(
    "space",
    ["\t", "\u00a0", "\u1680", *map(chr, range(0x2000, 0x200B)), "\u202f", "\u205f", "\u3000", "  ", " \t "],
)
def test_normalize_whitespace_variants_become_one_space(space):
    assert normalize(f"سلام{space}دنیا") == "سلام دنیا"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("الف\r\nب", "الف\nب"),
        ("الف\rب", "الف\nب"),
        ("الف\r\n\r\nب", "الف\n\nب"),
        ("الف\n\nب", "الف\n\nب"),
        ("الف\n\n\n\n\nب", "الف\n\nب"),
        ("الف  \n   ب", "الف\nب"),
        ("الف \n \n ب", "الف\n\nب"),
        ("\n\n  الف  \n\n", "الف"),
        ("الف\u2028ب", "الف\nب"),
        ("الف\u2029ب", "الف\n\nب"),
        ("الف\vب\fج", "الف\nب\nج"),
        ("  \t ", ""),
    ],
)
def test_normalize_line_breaks_are_kept_as_paragraphs(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize("text", ["سلام ، دنیا", "سلام،دنیا", "( سلام )", "ساعت ۱۲ : ۳۰", "«الف»"])
def test_normalize_does_not_touch_spacing_around_punctuation(text):
    assert normalize(text) == text


# --- fold ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [*range(0x064B, 0x0660), 0x0670])
def test_fold_removes_each_diacritic(code):
    assert fold(f"کت{chr(code)}اب") == "کتاب"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("أسامه", "اسامه"),
        ("إسلام", "اسلام"),
        ("ٱلله", "الله"),
        ("مؤسسه", "موسسه"),
        ("مسئله", "مسیله"),
        ("خانۀ", "خانه"),
        ("خانهٔ", "خانه"),
        ("رسالة", "رساله"),
        ("ہ ە ھ ۂ ۃ", "ه ه ه ه ه"),
        ("آب", "آب"),  # alef madda is a letter of its own
        ("ا\u0653ب", "آب"),
        ("ء", "ء"),
    ],
)
def test_fold_hamza_and_heh_variants(text, expected):
    assert fold(text) == expected


def test_fold_spellings_of_one_word_are_equal():
    spellings = ["پیام‌رسان", "پيامرسان", "پیامرسان", "پیامـــرسان", f"پیام{RLM}رسان", "پیام¬رسان"]
    assert {fold(spelling) for spelling in spellings} == {"پیامرسان"}
    assert fold("خانۀ") == fold("خانهٔ") == fold("خانه") == fold("خانة")
    assert fold("۱۴۰۳") == fold("١٤٠٣") == fold("1403") == "1403"


def test_fold_digits_to_ascii_and_latin_lower_case():
    assert fold("۰۱۲۳۴۵۶۷۸۹ ٠١٢٣٤٥٦٧٨٩") == "0123456789 0123456789"
    assert fold("iPhone 15 PRO") == "iphone 15 pro"


def test_fold_removes_zwnj_and_turns_newlines_into_spaces():
    assert fold("پیام‌رسان‌های داخلی") == "پیامرسانهای داخلی"
    assert fold("الف\n\nب\nج") == "الف ب ج"


@pytest.mark.parametrize("text", ["سلام، دنیا؛ چرا؟", "«الف»", "٪۴۰", "۱۲٫۵"])
def test_fold_keeps_arabic_punctuation(text):
    assert fold(text) == ascii_digits(text)


def test_fold_does_everything_normalize_does():
    assert fold("\ufeffكتاب\u00a0ســـلام  \u202bدنيا\u202c") == "کتاب سلام دنیا"


# --- tech tokens -----------------------------------------------------------------------------


@pytest.mark.parametrize("token", TECH_TOKENS)
def test_tech_tokens_unchanged_by_normalize_and_only_lower_cased_by_fold(token):
    sentence = f"خبر {token} امروز"
    assert normalize(token) == token
    assert normalize(sentence) == sentence
    assert fold(token) == ascii_digits(token).lower()


def test_jalali_date_digits():
    assert normalize("۱۳۹۷/۰۵/۱۷") == "۱۳۹۷/۰۵/۱۷"
    assert fold("۱۳۹۷/۰۵/۱۷") == "1397/05/17"


# --- ascii_digits ----------------------------------------------------------------------------


def test_ascii_digits_changes_digits_only():
    assert ascii_digits("۱۷ مرداد ١٤٠٢ - 12:30") == "17 مرداد 1402 - 12:30"
    assert ascii_digits("كتاب") == "كتاب"
    assert ascii_digits("") == ""


# --- repair_spacing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("من می روم", f"من می{ZWNJ}روم"),
        ("می خواهم", f"می{ZWNJ}خواهم"),
        ("او نمی داند", f"او نمی{ZWNJ}داند"),
        ("«می دانم»", f"«می{ZWNJ}دانم»"),
        ("کتاب ها", f"کتاب{ZWNJ}ها"),
        ("کتاب های من", f"کتاب{ZWNJ}های من"),
        ("بزرگ تر", f"بزرگ{ZWNJ}تر"),
        ("بزرگ ترین گوشی", f"بزرگ{ZWNJ}ترین گوشی"),
        ("این ها و آن ها", f"این{ZWNJ}ها و آن{ZWNJ}ها"),
    ],
)
def test_repair_spacing_joins_common_affixes(text, expected):
    assert repair_spacing(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ماه می سال گذشته",  # the month May
        "۱۰ می ۲۰۲۴",
        "10 می امسال",
        "او گفت می",  # end of text
        "می، گفت",  # before punctuation
        "می و",  # before a one-letter word
        "می 2024",  # before a non-Persian word
        "همی رود",  # not a word-initial prefix
        "iPhone ها",  # suffix after a Latin word
        "۲۰ ها",  # suffix after a digit
        "و ها",  # after a one-letter word
        "کتاب هایی",  # not one of the four suffixes
        "بزرگ ترکیه",  # "تر" starts a longer word
        f"می{ZWNJ}روم",
    ],
)
def test_repair_spacing_guard_leaves_standalone_words(text):
    assert repair_spacing(text) == text


def test_repair_spacing_is_idempotent_on_examples():
    text = "آن ها می گویند گوشی های بزرگ تر در ماه می عرضه می شوند"
    once = repair_spacing(text)
    assert once == f"آن{ZWNJ}ها می{ZWNJ}گویند گوشی{ZWNJ}های بزرگ{ZWNJ}تر در ماه می عرضه می{ZWNJ}شوند"
    assert repair_spacing(once) == once


# --- tables ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table", [DISPLAY_TABLE, SEARCH_TABLE, FOLD_TABLE], ids=["display", "search", "fold"]
)
def test_translation_tables_are_closed(table):
    """A replacement never contains something its own table would change again."""
    for code, value in table.items():
        if isinstance(value, str):
            assert value.translate(table) == value, hex(code)


# --- properties ------------------------------------------------------------------------------

PERSIAN_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیآ"
MESSY_ALPHABET = (
    PERSIAN_LETTERS
    + ZWNJ * 6
    + " " * 6
    + "\n\r\t\u00a0\u2009\u3000\u2028\u2029"
    + "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩0123456789"
    + "aZiOSGx-._/:@"
    + "كيىےأإٱؤئۀةہەھ"  # Arabic variants, hamza and heh forms
    + "\u064b\u064e\u0650\u0651\u0652\u0653\u0654\u0670\u0640"  # marks and tatweel
    + RLM
    + LRM
    + ZWJ
    + SOFT_HYPHEN
    + ALM
    + NOT_SIGN
    + "\ufeff\u200b\u202b\u202c\u2067\u2069"
    + "\ufeb3\ufefc\ufe71\ufe70\ufdf2\ufef1"  # presentation forms
    + "،؛؟«»٪٫"
    + "İß"
)
messy_text = st.text(alphabet=MESSY_ALPHABET, max_size=60)
PROPERTY_SETTINGS = settings(max_examples=400, deadline=None)


@PROPERTY_SETTINGS
@given(messy_text)
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@PROPERTY_SETTINGS
@given(messy_text)
def test_fold_is_idempotent(text):
    once = fold(text)
    assert fold(once) == once


@PROPERTY_SETTINGS
@given(messy_text)
def test_fold_of_normalized_text_equals_fold(text):
    assert fold(normalize(text)) == fold(text)


# Any text: the messy alphabet and every other code point (astral ones, lone surrogates).
any_text = st.text(alphabet=st.one_of(st.sampled_from(MESSY_ALPHABET), st.characters()), max_size=80)


@PROPERTY_SETTINGS
@given(any_text)
def test_the_regex_scans_find_exactly_what_the_tables_change(text):
    """normalize translates only when its scan finds a character to change, and fold
    translates only the runs its scan finds: both exactly as a translation of the whole text."""
    assert (_DISPLAY_CHANGES.search(text) is None) == (text.translate(DISPLAY_TABLE) == text)
    assert _FOLD_CHANGES.sub(_fold_run, text) == text.translate(FOLD_TABLE)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(messy_text)
def test_fold_single_table_path_matches_display_then_search(text):
    """fold skips the display pass when no context rule can apply; the result must not change."""
    reference = re.sub(" +", " ", normalize(text).translate(SEARCH_TABLE).lower()).strip(" ")
    assert fold(text) == reference


_ZWNJ_BETWEEN_PERSIAN_LETTERS = re.compile(f"(?<=[{PERSIAN_LETTERS}]){ZWNJ}(?=[{PERSIAN_LETTERS}])")


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(messy_text)
def test_normalize_never_loses_a_zwnj_between_persian_letters(text):
    kept = _ZWNJ_BETWEEN_PERSIAN_LETTERS.findall(normalize(text))
    assert len(kept) >= len(_ZWNJ_BETWEEN_PERSIAN_LETTERS.findall(text))


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(
    st.lists(st.sampled_from(PERSIAN_LETTERS), min_size=1, max_size=6),
    st.lists(st.sampled_from(PERSIAN_LETTERS), min_size=1, max_size=6),
)
def test_normalize_keeps_zwnj_compounds_verbatim(first, second):
    compound = "".join(first) + ZWNJ + "".join(second)
    assert normalize(compound) == compound
    assert normalize(f"خبر {compound}، امروز") == f"خبر {compound}، امروز"


# Printable ASCII words joined by single spaces, lines joined by one or two newlines: text
# that is already in display form, so normalize must return it unchanged.
ascii_word = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)
ascii_line = st.lists(ascii_word, min_size=1, max_size=8).map(" ".join)
ascii_text = st.lists(st.tuples(ascii_line, st.sampled_from(["\n", "\n\n"])), max_size=5).map(
    lambda lines: "".join(line + separator for line, separator in lines).rstrip("\n")
)


@pytest.mark.slow
@PROPERTY_SETTINGS
@given(ascii_text)
def test_normalize_leaves_clean_ascii_text_unchanged(text):
    assert normalize(text) == text
