"""newsarchive.stories: copies found through spelling variants and edits, unrelated texts and
shared boilerplate kept apart, and signatures that are datasketch's and stable."""

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash

from newsarchive.stories import (
    EXACT,
    MIN_SHINGLES,
    NEAR,
    NEAR_THRESHOLD,
    NUM_PERM,
    SEED,
    SHARED,
    SHARED_THRESHOLD,
    Fingerprint,
    Sameness,
    band_keys,
    compare,
    estimate,
    fingerprint,
    group,
    overlap,
    shingles,
    signature,
    signature_bytes,
    signature_from_bytes,
    story_form,
    story_text,
)
from newsarchive.stories.index import Candidate, judge
from newsarchive.stories.sketch import _PERMUTATIONS, lookups_from_bytes, minhash_values
from newsarchive.stories.text import (
    MAX_SENTENCES,
    SENTENCE_FLAG,
    letters,
    letters_and_sentences,
    sentence_keys,
    shingle_hashes,
)

EXPECTED = Path(__file__).parent / "expected"
ZWNJ = "\u200c"


#: Seven tech sites' recorded pages: distinct news (other sites' mirrors may carry one agency
#: report twice, and a new mirror must not move these tests' texts).
SITES = ("digiato", "gadgetnews", "itna", "peivast", "shahrsakhtafzar", "vigiato", "zoomit")


def mirror_bodies() -> list[str]:
    """The bodies of the recorded replay pages of :data:`SITES`."""
    bodies = []
    for site in SITES:
        bodies += [
            a["body"] for a in json.loads((EXPECTED / f"{site}.json").read_text("utf-8")) if a.get("body")
        ]
    return list(dict.fromkeys(bodies))


BODIES = mirror_bodies()
#: A long body with ZWNJ words, Persian digits and several paragraphs.
BODY = next(b for b in BODIES if ZWNJ in b and "۱" in b and b.count("\n\n") >= 5 and len(b) > 900)
#: Another site's report on another subject.
OTHER = BODIES[-1]


def paragraphs(text: str) -> list[str]:
    return text.split("\n\n")


def test_the_corpus_has_what_the_tests_need():
    assert len(BODIES) >= 40 and BODY


@pytest.mark.parametrize(
    "variant",
    [
        BODY.replace(ZWNJ, " "),  # ZWNJ typed as a space
        BODY.replace(ZWNJ, ""),  # ... or left out
        BODY.replace("ی", "ي").replace("ک", "ك"),  # Arabic letters
        BODY.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")),  # Latin digits
        BODY.replace("ه", "هٔ", 3).replace("ا", "اً", 2),  # diacritics
        BODY.replace("\n\n", "\n\n\n").replace("،", ","),  # spacing and punctuation
    ],
    ids=["zwnj-space", "zwnj-joined", "arabic-letters", "latin-digits", "diacritics", "punctuation"],
)
def test_spelling_variants_are_the_same_letters(variant):
    assert variant != BODY
    assert compare(BODY, variant) == Sameness(EXACT, 1.0)
    assert shingles(variant) == shingles(BODY)


def test_an_edited_copy_is_near():
    parts = paragraphs(BODY)
    added = "\n\n".join(
        [*parts, "به گزارش خبرنگار ما، این خبر با واکنش‌های زیادی در شبکه‌های اجتماعی همراه بود."]
    )
    removed = "\n\n".join(parts[:-1])
    other_lead = "\n\n".join(
        ["سایت دوم این خبر را با مقدمه‌ای از خودش آغاز کرده است تا متفاوت به نظر برسد.", *parts[1:]]
    )
    for copy in (added, removed, other_lead):
        sameness = compare(BODY, copy)
        assert sameness.kind == NEAR and NEAR_THRESHOLD <= sameness.similarity < 1, sameness


def test_a_retitled_copy_is_judged_on_its_body():
    first = {"title": "تلگرام تبلیغات را فعال کرد", "lead": "لید اول", "body": BODY}
    second = {"title": "آغاز نمایش آگهی در کانال‌های تلگرام", "lead": "لید دیگر", "body": BODY}
    assert compare(story_text(first), story_text(second)).kind == EXACT
    assert story_text({"body": "", "lead": "فقط لید"}) == "فقط لید"
    assert story_text({}) == ""


def test_unrelated_reports_are_not_alike():
    """Every two recorded reports (seven sites, several on one subject) stay under the shared threshold."""
    sets = [shingles(body) for body in BODIES]
    assert max(overlap(a, b) for a, b in itertools.combinations(sets, 2)) < SHARED_THRESHOLD
    assert {compare(a, b).kind for a, b in itertools.pairwise(BODIES[:10])} == {None}


def test_a_shared_quote_is_shared_not_near():
    quote = paragraphs(BODY)[1]
    a = "\n\n".join([*paragraphs(BODIES[10]), quote])
    b = "\n\n".join([quote, *paragraphs(BODIES[20])])
    sameness = compare(a, b)
    assert sameness.kind == SHARED, sameness


def test_a_site_s_standard_sentences_never_make_a_copy():
    footer = [
        "برای دریافت آخرین اخبار فناوری، ما را در تلگرام و اینستاگرام دنبال کنید.",
        "انتشار این مطلب با ذکر منبع و لینک مستقیم به آن بلامانع است.",
    ]
    short_a = "اپل نسخه تازه سیستم عامل آیفون را منتشر کرد."
    short_b = "سامسونگ از گوشی تاشوی جدید خود رونمایی کرد."
    a, b = "\n\n".join([short_a, *footer]), "\n\n".join([short_b, *footer])
    assert compare(a, b).kind == NEAR  # without the guard the footer would make them copies
    assert compare(a, b, boilerplate=footer).kind is None
    assert compare(BODY + "\n\n" + footer[0], OTHER + "\n\n" + footer[0]).kind is None


def keys_of(text):
    return sentence_keys(letters_and_sentences(story_form(text))[1])


def test_long_sentences_are_keyed_whatever_their_spelling():
    keys = keys_of(BODY)
    assert keys and len(keys) <= MAX_SENTENCES and all(key >= SENTENCE_FLAG for key in keys)
    assert keys_of(BODY.replace(ZWNJ, " ").replace("ی", "ي")) == keys
    assert not set(keys) & set(keys_of(OTHER))
    assert keys_of("جمله‌ای کوتاه. و یکی دیگر!") == ()
    quoted = "\n\n".join([OTHER, *paragraphs(BODY)[:2]])
    assert set(keys) & set(keys_of(quoted))
    for text in BODIES:
        assert letters_and_sentences(story_form(text))[0] == letters(story_form(text))
    print_ = fingerprint(story_form(BODY))
    assert print_.lookups == [*print_.bands, *keys] and max(print_.bands) < SENTENCE_FLAG


def test_latin_tokens_keep_their_difference():
    a = "نسخه iOS 17.2 برای آیفون منتشر شد و مشکل باتری را برطرف کرد."
    b = "نسخه iOS 17.3 برای آیفون منتشر شد و مشکل باتری را برطرف کرد."
    assert compare(a, b).kind != EXACT


def test_a_text_too_short_is_nobody_s_copy():
    short = "خبر کوتاه"
    assert len(shingle_hashes(story_form(short))) < MIN_SHINGLES
    assert compare(short, short) == Sameness(None, 0.0)
    assert fingerprint(story_form(short)) is None


def test_signatures_are_datasketch_minhashes():
    reference = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32", hashfunc=int)
    assert all(
        (mine == theirs).all() for mine, theirs in zip(_PERMUTATIONS, reference.permutations, strict=True)
    )
    hashes = shingle_hashes(story_form(BODY))
    reference.update_batch(hashes.tolist())
    assert (minhash_values(hashes) == reference.hashvalues).all()
    sig = signature(BODY)
    assert isinstance(sig, MinHash) and (sig.hashvalues == reference.hashvalues).all()
    stored = fingerprint(story_form(BODY))
    assert signature_from_bytes(stored.minhash).jaccard(sig) == 1.0  # the archive's form, sentence keys after
    assert lookups_from_bytes(stored.minhash) == stored.lookups
    restored = signature_from_bytes(signature_bytes(sig))
    assert len(signature_bytes(sig)) == NUM_PERM * 4 and restored.jaccard(sig) == 1.0
    assert signature(BODY.replace(ZWNJ, " ")).jaccard(sig) == 1.0
    assert signature(OTHER).jaccard(sig) < 0.1


@pytest.mark.slow
def test_signatures_do_not_depend_on_the_process():
    """Python's own ``hash`` of a string changes with each process; the shingles do not."""
    code = (
        "import sys; from newsarchive.stories import signature, signature_bytes; "
        "sys.stdout.write(signature_bytes(signature(sys.stdin.read())).hex())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            input=BODY,
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {signature_bytes(signature(BODY)).hex()}


def test_the_estimate_follows_the_exact_overlap():
    parts = paragraphs(BODY)
    for cut in range(1, len(parts)):
        copy = "\n\n".join(parts[cut:])
        exact = compare(BODY, copy).similarity
        a, b = fingerprint(story_form(BODY)), fingerprint(story_form(copy))
        if b is None:
            continue
        assert abs(estimate(a.values, a.size, b.values, b.size) - exact) < 0.12, cut


def test_band_keys_are_shared_by_copies_only():
    a = fingerprint(story_form(BODY))
    copy = fingerprint(story_form("\n\n".join(paragraphs(BODY)[1:])))
    other = fingerprint(story_form(OTHER))
    assert a.bands == band_keys(a.values) and len(set(a.bands)) == len(a.bands)
    assert set(a.bands) & set(copy.bands)
    assert not set(a.bands) & set(other.bands)
    same_values = np.zeros(NUM_PERM, dtype=np.uint32)
    assert len(set(band_keys(same_values))) == len(band_keys(same_values))  # the band is in the key


def test_group_names_each_story_after_its_first_article():
    order = ["a", "b", "c", "d", "e"]
    assert group(order, [("c", "e"), ("e", "b"), ("d", "x")]) == {
        "a": "a",
        "b": "b",
        "c": "b",
        "d": "d",
        "e": "b",
    }
    assert group(order, []) == {name: name for name in order}
    assert set(group(order, [("a", "b"), ("c", "d"), ("d", "b")]).values()) == {"a", "e"}


def test_an_estimate_near_a_threshold_is_measured_exactly():
    values = np.arange(NUM_PERM, dtype=np.uint32)
    own = Fingerprint(values, 500, "own")
    half = values.copy()
    half[40:] += 1000  # 40 of 120 values equal: Jaccard 1/3, an overlap of 0.5 for equal sizes
    alike = Candidate("alike", "zoomit", "story-a", Fingerprint(values, 500, "x").minhash, 500, "x")
    border = Candidate("border", "digiato", "story-b", Fingerprint(half, 500, "y").minhash, 500, "y")
    measured = []

    def exactly(other):
        measured.append(other.article_id)
        return 0.31

    pairs, joined = judge("new", "digiato", own, [alike, border], NEAR_THRESHOLD, exactly)
    assert measured == ["border"]
    assert pairs == [("new", "alike", 1.0, NEAR, 0), ("new", "border", 0.31, SHARED, 1)]
    assert joined == ["story-a"]
    pairs, joined = judge("new", "digiato", own, [border], 0.5)  # no measure: the estimate decides
    assert pairs == [("new", "border", 0.5, SHARED, 1)] and joined == ["story-b"]
