"""The labelled set for stories: which articles are copies of which (issue "Stories, not copies").

Built from the recorded article pages: the bodies the extraction gives for the replay
mirrors (``tests/expected/<site>.json``, which the expected-values tests hold the
extraction to) and the hand-checked bodies of the unseen pages (``tests/unseen``): every
recorded article of two paragraphs or more (about 150 from 40 sites today; a site added
to the tests joins the set). A few of them are held out as *donors*: their
paragraphs are the text editors add (a background paragraph, a new lead sentence, a
quoted press release). Every other one is an *original*, published on its own site, and
gets *copies* on other sites, each made the way Persian sites copy:

* ``retitled``: the same body under a new title; ``same-site``: the same page at a
  second URL of the same site (AMP/print copy missed by canonicalization);
* spelling: ``digits`` (every number in the other script, ۱۵ <-> 15), ``arabic``
  (Arabic ي/ك), ``zwnj-space`` (ZWNJ written as a space), ``zwnj-joined`` (ZWNJ
  dropped);
* edits: ``para-added`` (a donor paragraph, at most half the body's length, inserted),
  ``para-removed`` (a paragraph of at most a third of the body dropped), ``lead``
  (another first sentence, and another ``lead`` field), ``read-more`` (a «بیشتر بخوانید:»
  line naming another article inserted), ``reparagraphed`` (the first two paragraphs
  joined), ``boilerplate`` (the copying site's opening «به گزارش ...،» and its closing
  lines), ``release`` (a quoted press release paragraph added, which other stories quote
  too);
* combinations of a spelling change with an edit.

Each copy is labelled against its original: ``exact`` when the folded texts are equal
(``newsarchive.persian.fold``, the contract's definition), else ``near``. Negatives,
pairs that must never be NEAR: every two originals (``different``; ``same-site`` when
both are of one site, ``topic`` when they share much vocabulary: same subject, another
article), copies on one site that share only that site's standard lines
(``boilerplate``), and copies of different stories that quote the same release or carry
the same donor paragraph, and news digests (``roundup``: the first paragraph of several
stories, a story of its own) against the stories they sum up (kind ``shared``: a shared
source, overlap under a copy).

Everything is drawn from :data:`SEED`: the set is the same on every run and machine.
Importable from tests (``from stories_labelled import labelled_set``) and from bench
(``tests`` on ``sys.path``, as ``bench/bench_unseen.py`` does).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from math import comb
from pathlib import Path

from newsarchive.persian import fold, normalize
from newsarchive.templates import template_blocks

TESTS = Path(__file__).resolve().parent
SEED = 23
#: Every DONOR_EVERY-th original (in a seeded order) is a donor of added text, not a story.
DONOR_EVERY = 7
#: A release paragraph is quoted by this many stories.
QUOTED_BY = 3
#: Originals whose folded word sets overlap this much (Jaccard) are on the same topic.
TOPIC_OVERLAP = 0.12
#: News digests, each the first paragraph of ROUNDUP_OF stories: a story of their own.
ROUNDUPS = 8
ROUNDUP_OF = 4
#: Cross-story pairs of copies, drawn at random, besides the labelled negatives.
RANDOM_NEGATIVES = 1500
COPY_KINDS = frozenset({"exact", "near"})
ZWNJ = "\u200c"

#: The sites copies are published on (each copy of one story on another site), their names in
#: «به گزارش <name>،» openings, and hosts.
SITE_NAMES = {
    "digiato": "دیجیاتو",
    "zoomit": "زومیت",
    "itna": "ایتنا",
    "peivast": "پیوست",
    "shahrsakhtafzar": "شهر سخت‌افزار",
    "vigiato": "ویجیاتو",
    "gadgetnews": "گجت‌نیوز",
    "arzdigital": "ارزدیجیتال",
    "digikalamag": "دیجی‌کالا مگ",
    "techrato": "تکراتو",
    "itresan": "آی‌تی‌رسان",
    "zoomg": "زومجی",
    "shabakehmag": "شبکه مگ",
    "khabaronline.ir": "خبرآنلاین",
    "isna.ir": "ایسنا",
    "mehrnews.com": "خبرگزاری مهر",
    "tasnimnews.com": "خبرگزاری تسنیم",
    "hamshahrionline.ir": "همشهری آنلاین",
    "tabnak.ir": "تابناک",
    "yjc.ir": "باشگاه خبرنگاران جوان",
}
SITE_HOSTS = {
    "digiato": "digiato.com",
    "zoomit": "www.zoomit.ir",
    "itna": "www.itna.ir",
    "peivast": "peivast.com",
    "shahrsakhtafzar": "www.shahrsakhtafzar.com",
    "vigiato": "vigiato.net",
    "gadgetnews": "gadgetnews.net",
    "arzdigital": "arzdigital.com",
    "digikalamag": "www.digikala.com",
    "techrato": "techrato.com",
    "itresan": "www.itresan.com",
    "zoomg": "www.zoomg.ir",
    "shabakehmag": "shabakeh-mag.com",
}
#: A site's standard closing lines (two per site, chosen with the seed).
CLOSING_LINES = (
    "برای دریافت آخرین اخبار فناوری، کانال تلگرام {name} را دنبال کنید.",
    "عضویت در خبرنامه {name}: هر روز صبح مهم‌ترین خبرهای دنیای فناوری را در صندوق ایمیل خود بخوانید.",
    "انتشار این مطلب تنها با ذکر نام {name} و لینک مستقیم به آن مجاز است.",
    "شما می‌توانید دیدگاه خود را درباره این خبر در بخش نظرات {name} با ما و دیگر خوانندگان در میان بگذارید.",
)
TITLE_CHANGES = ("فوری: {title}", "{title}؛ جزئیات تازه", "گزارش: {title}", "{title} + ویدیو")
ROUNDUP_TITLE = "مروری بر مهم‌ترین اخبار فناوری امروز"
RELEASE_INTROS = (
    "در بیانیه این شرکت آمده است:",
    "در اطلاعیه رسمی منتشرشده آمده است:",
    "روابط عمومی این مجموعه اعلام کرد:",
)
_OPENING = re.compile(r"^به گزارش [^،]{1,40}،\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+")
_NUMBER = re.compile(r"(?<![A-Za-z0-9۰-۹])[0-9۰-۹]+(?![A-Za-z0-9۰-۹])")
_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
_WORD = re.compile(r"\w{3,}")


@dataclass(frozen=True)
class Original:
    """A recorded article: where it was published and its body as paragraphs."""

    key: str
    source: str
    url: str
    title: str
    lead: str | None
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Labelled:
    """One article of the set: ``group`` is its original's key (the story it belongs to)."""

    key: str
    group: str
    variant: str
    article: dict = field(repr=False)
    #: Ids of the donor paragraphs it carries (stories sharing one share a source).
    borrowed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Pair:
    """Two articles (keys) and what they are to each other: ``kind`` (exact/near/shared/none)
    and ``why`` (the variant for a copy, the reason for a negative)."""

    a: str
    b: str
    kind: str
    why: str

    @property
    def copy(self) -> bool:
        return self.kind in COPY_KINDS


@dataclass(frozen=True)
class LabelledSet:
    articles: tuple[Labelled, ...]
    pairs: tuple[Pair, ...]

    @functools.cached_property
    def by_key(self) -> dict[str, Labelled]:
        return {item.key: item for item in self.articles}

    def text(self, key: str) -> str:
        return self.by_key[key].article["body"]


# --- the recorded articles ------------------------------------------------------------


def recorded_originals() -> list[Original]:
    """Every recorded article with a body of two paragraphs or more, in file order."""
    found = []
    for path in sorted((TESTS / "expected").glob("*.json")):
        if path.stem.endswith("_pages"):
            continue
        for number, record in enumerate(json.loads(path.read_text("utf-8"))):
            paragraphs = tuple(p for p in (record.get("body") or "").split("\n\n") if p.strip())
            found.append(
                Original(
                    f"{path.stem}-{number:02d}",
                    path.stem,
                    record["url"],
                    record["title"],
                    record.get("lead"),
                    paragraphs,
                )
            )
    for record in json.loads((TESTS / "unseen" / "expected.json").read_text("utf-8")):
        host = record["file"].split("/")[0]
        key = record["file"].removesuffix(".html").replace("/", "-")
        paragraphs = tuple(p for p in record["body_paragraphs"] if p.strip())
        found.append(
            Original(
                key, record["site"] or host, record["url"], record["title"], record.get("lead"), paragraphs
            )
        )
    seen: set[str] = set()
    kept = []
    for original in found:  # the unseen set has other texts at URLs of the mirrors' pages
        if len(original.paragraphs) >= 2:
            url = original.url if original.url not in seen else f"{original.url.rstrip('/')}/{original.key}"
            seen.add(url)
            kept.append(dataclasses.replace(original, url=url))
    return kept


# --- the edits ----------------------------------------------------------------------------


def flip_digits(text: str) -> str:
    """Every standalone number in the other script (۱۵ -> 15, 15 -> ۱۵); numbers inside Latin
    tokens (S24, 14900K) stay."""

    def flip(match: re.Match[str]) -> str:
        number = match.group()
        ascii_form = number.translate(_TO_ASCII)
        return ascii_form.translate(_TO_PERSIAN) if ascii_form == number else ascii_form

    return _NUMBER.sub(flip, text)


def arabic_letters(text: str) -> str:
    return text.replace("ی", "ي").replace("ک", "ك")


def zwnj_as_space(text: str) -> str:
    return text.replace(ZWNJ, " ")


def zwnj_dropped(text: str) -> str:
    return text.replace(ZWNJ, "")


SPELLINGS = {
    "digits": flip_digits,
    "arabic": arabic_letters,
    "zwnj-space": zwnj_as_space,
    "zwnj-joined": zwnj_dropped,
}


def sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(paragraph) if s]


def with_opening(paragraphs: list[str], name: str) -> list[str]:
    """The first paragraph opened with «به گزارش <name>،» (replacing another site's opening)."""
    return [f"به گزارش {name}، {_OPENING.sub('', paragraphs[0])}", *paragraphs[1:]]


def body_length(paragraphs: list[str] | tuple[str, ...]) -> int:
    return sum(len(p) for p in paragraphs)


# --- scoring ------------------------------------------------------------------------------


def scores(tp: int, fp: int, fn: int) -> tuple[float, float]:
    """Precision and recall (1.0 for an empty denominator)."""
    return (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)


def membership_scores(groups: dict[str, str], stories: dict[str, str]) -> tuple[int, int, int]:
    """(TP, FP, FN) over all pairs of articles: a positive pair is in one group (truth) /
    one story (found). Counted from the contingency table, not pair by pair."""
    both = Counter((groups[key], stories[key]) for key in groups)
    true_pairs = sum(comb(n, 2) for n in Counter(groups.values()).values())
    found_pairs = sum(comb(n, 2) for n in Counter(stories.values()).values())
    tp = sum(comb(n, 2) for n in both.values())
    return tp, found_pairs - tp, true_pairs - tp


def store_shuffled(labelled: LabelledSet, archive) -> dict[str, str]:
    """Store the set's articles one by one in ``archive`` (an open writable
    :class:`~newsarchive.archive.Archive`), in a seeded random order (a copy is often stored
    before its original, as crawls of several sites do); returns key -> story id."""
    order = list(labelled.articles)
    random.Random(SEED).shuffle(order)
    for item in order:
        archive.store_article(item.article, fetched_at="2024-06-01T00:00:00Z")
    return {item.key: archive.find_article(item.article["url"])["story_id"] for item in labelled.articles}


# --- the builder ----------------------------------------------------------------------------


class _Builder:
    """Draws copies and negatives from one seeded generator, in a fixed order."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        everything = recorded_originals()
        order = list(range(len(everything)))
        self.rng.shuffle(order)
        donors = {everything[i].key for n, i in enumerate(order) if n % DONOR_EVERY == 0}
        self.originals = [o for o in everything if o.key not in donors]
        self.donor_paragraphs = {
            f"{o.key}/{n}": p for o in everything if o.key in donors for n, p in enumerate(o.paragraphs)
        }
        self.sites = sorted(SITE_NAMES)
        self.closings = {
            site: [line.format(name=name) for line in self.rng.sample(CLOSING_LINES, 2)]
            for site, name in SITE_NAMES.items()
        }
        releases = sorted(self.donor_paragraphs, key=lambda pid: len(self.donor_paragraphs[pid]))
        self.releases = [pid for pid in releases if 120 <= len(self.donor_paragraphs[pid]) <= 420]
        self.rng.shuffle(self.releases)
        self.articles: list[Labelled] = []
        self.pairs: list[Pair] = []
        self.start = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)

    # one article ------------------------------------------------------------------------

    def _article(
        self,
        original: Original,
        number: int,
        variant: str,
        source: str,
        paragraphs: list[str],
        *,
        title: str | None = None,
        lead: str | None = None,
        hours: float = 0.0,
    ) -> dict:
        host = SITE_HOSTS.get(source, source)
        published = self.start + timedelta(days=number, hours=hours)
        return {
            "source": source,
            "url": original.url if variant == "original" else f"https://{host}/labelled/{number}/{variant}",
            "title": title or original.title,
            "lead": lead if lead is not None else original.lead,
            "body": "\n\n".join(paragraphs),
            "authors": [],
            "categories": [],
            "tags": [],
            "image_url": None,
            "page_type": "article",
            "sponsored": False,
            "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "published_jalali": None,
            "published_precision": "minute",
            "field_sources": {},
            "notes": [],
            # What the crawl's normalization adds to every item: its short paragraphs, which the
            # archive counts per source to learn the site's standard lines.
            "template_blocks": template_blocks("\n\n".join(paragraphs)),
        }

    def _copiers(self, source: str) -> Iterator[str]:
        """The sites one story's copies go to, each once: a site that carried one story three
        times would rightly learn its paragraphs as its own standard lines."""
        sites = [site for site in self.sites if site != source]
        self.rng.shuffle(sites)
        return iter(sites)

    def _donor(self, most: int) -> str | None:
        """A donor paragraph id of at most ``most`` characters (None when there is none)."""
        fitting = [pid for pid, text in self.donor_paragraphs.items() if len(text) <= most]
        return self.rng.choice(sorted(fitting)) if fitting else None

    # the copies of one original -----------------------------------------------------------

    def copies(self, number: int, original: Original, release: str | None) -> None:
        """The original and its copies, each copy labelled against the original."""
        rng, base = self.rng, list(original.paragraphs)
        length = body_length(base)
        made: list[tuple[str, str, list[str], dict, frozenset[str]]] = []
        copiers = self._copiers(original.source)

        def add(variant: str, paragraphs: list[str], *, source: str = "", borrowed=(), **fields) -> None:
            made.append(
                (
                    variant,
                    source or next(copiers),
                    paragraphs,
                    fields,
                    frozenset(borrowed),
                )
            )

        def inserted(paragraph: str) -> list[str]:
            at = rng.randint(1, len(base))
            return [*base[:at], paragraph, *base[at:]]

        def wrapped(site: str) -> list[str]:
            return [*with_opening(base, SITE_NAMES[site]), *self.closings[site]]

        add("retitled", base, title=rng.choice(TITLE_CHANGES).format(title=original.title))
        if number % 4 == 0:
            add("same-site", base, source=original.source)
        for name, spell in SPELLINGS.items():
            spelled = [spell(p) for p in base]
            if spelled != base:
                add(name, spelled)
        donor = self._donor(length // 2)
        if donor:
            add("para-added", inserted(self.donor_paragraphs[donor]), borrowed={donor})
        removable = [n for n in range(1, len(base)) if len(base[n]) <= length / 3] if len(base) >= 3 else []
        if removable:
            gone = rng.choice(removable)
            add("para-removed", [p for n, p in enumerate(base) if n != gone])
        first = sentences(base[0])
        donor = self._donor(max(len(first[0]) * 2, 80))
        if donor and len(first[0]) <= length / 3:
            new_lead = sentences(self.donor_paragraphs[donor])[0]
            add("lead", [" ".join([new_lead, *first[1:]]), *base[1:]], lead=new_lead)
        site = next(copiers)
        add("boilerplate", wrapped(site), source=site)
        others = [o.title for o in self.originals if o.key != original.key]
        add("read-more", inserted(f"بیشتر بخوانید: {rng.choice(others)}"))
        if len(base) >= 3:
            add("reparagraphed", [f"{base[0]} {base[1]}", *base[2:]])
        if release:
            add(
                "release",
                inserted(f"{rng.choice(RELEASE_INTROS)} «{self.donor_paragraphs[release]}»"),
                borrowed={release},
            )
        combination = number % 3
        donor = self._donor(length // 2)
        if combination == 0 and donor:
            spelled = [
                flip_digits(arabic_letters(zwnj_as_space(p))) for p in inserted(self.donor_paragraphs[donor])
            ]
            add("combo-spelling+para-added", spelled, borrowed={donor}, title=f"{original.title} (بازنشر)")
        elif combination == 1:
            site = next(copiers)
            add(
                "combo-boilerplate+arabic+zwnj",
                [arabic_letters(zwnj_dropped(p)) for p in wrapped(site)],
                source=site,
            )
        elif removable:
            gone = rng.choice(removable)
            add(
                "combo-removed+digits+zwnj",
                [zwnj_as_space(flip_digits(p)) for n, p in enumerate(base) if n != gone],
            )

        key = f"{original.key}/original"
        self.articles.append(
            Labelled(
                key,
                original.key,
                "original",
                self._article(original, number, "original", original.source, base),
            )
        )
        folded = fold(normalize("\n\n".join(base)))
        for variant, source, paragraphs, fields, borrowed in made:
            hours = 0.2 if variant == "same-site" else rng.uniform(1, 36)
            article = self._article(original, number, variant, source, paragraphs, hours=hours, **fields)
            copy_key = f"{original.key}/{variant}"
            self.articles.append(Labelled(copy_key, original.key, variant, article, borrowed))
            kind = "exact" if fold(normalize(article["body"])) == folded else "near"
            self.pairs.append(Pair(key, copy_key, kind, variant))

    def roundups(self) -> None:
        """News digests: an opening line and the first paragraph of ROUNDUP_OF stories each."""
        for n in range(ROUNDUPS):
            picked = self.rng.sample(self.originals, ROUNDUP_OF)
            source = self.rng.choice(self.sites)
            paragraphs = [
                f"{ROUNDUP_TITLE} را در {SITE_NAMES[source]} بخوانید.",
                *(o.paragraphs[0] for o in picked),
            ]
            host = SITE_HOSTS.get(source, source)
            digest = Original(
                f"roundup-{n:02d}",
                source,
                f"https://{host}/labelled/roundup-{n}",
                ROUNDUP_TITLE,
                None,
                tuple(paragraphs),
            )
            article = self._article(digest, len(self.originals) + n, "original", source, paragraphs)
            self.articles.append(Labelled(f"{digest.key}/roundup", digest.key, "roundup", article))
            self.pairs += [
                Pair(f"{o.key}/original", f"{digest.key}/roundup", "shared", "roundup") for o in picked
            ]

    # negatives ------------------------------------------------------------------------------

    def negatives(self) -> None:
        originals = [item for item in self.articles if item.variant == "original"]
        words = {item.key: set(_WORD.findall(fold(normalize(item.article["body"])))) for item in originals}
        for a, b in itertools.combinations(originals, 2):
            overlap = len(words[a.key] & words[b.key]) / len(words[a.key] | words[b.key])
            why = (
                "topic"
                if overlap >= TOPIC_OVERLAP
                else "same-site"
                if a.article["source"] == b.article["source"]
                else "different"
            )
            self.pairs.append(Pair(a.key, b.key, "none", why))
        copies = [item for item in self.articles if item.variant not in ("original", "roundup")]
        # Only copies that carry one donor paragraph, or one site's boilerplate, can share text.
        alike: dict[str, list[int]] = {}
        for number, item in enumerate(copies):
            for donor in item.borrowed:
                alike.setdefault(donor, []).append(number)
            if "boilerplate" in item.variant:
                alike.setdefault(f"site:{item.article['source']}", []).append(number)
        candidates = sorted(
            {pair for numbers in alike.values() for pair in itertools.combinations(numbers, 2)}
        )
        labelled: set[tuple[str, str]] = set()
        for a, b in ((copies[i], copies[j]) for i, j in candidates):
            if a.group == b.group:
                continue
            if a.borrowed & b.borrowed:
                both_release = a.variant == b.variant == "release"
                self.pairs.append(Pair(a.key, b.key, "shared", "release" if both_release else "same-donor"))
            else:
                self.pairs.append(Pair(a.key, b.key, "none", "boilerplate"))
            labelled.add((a.key, b.key))
        drawn = 0
        while drawn < RANDOM_NEGATIVES:
            a, b = sorted(self.rng.sample(copies, 2), key=lambda item: item.key)
            if a.group != b.group and (a.key, b.key) not in labelled and (b.key, a.key) not in labelled:
                labelled.add((a.key, b.key))
                self.pairs.append(Pair(a.key, b.key, "none", "different"))
                drawn += 1

    def build(self) -> LabelledSet:
        releases = iter(self.releases)
        release, quoting = next(releases, None), 0
        for number, original in enumerate(self.originals):
            quotes = None
            fits = release and len(self.donor_paragraphs[release]) <= body_length(original.paragraphs) / 2
            if number % 2 == 0 and fits:  # every other story quotes a release, QUOTED_BY stories each
                quotes, quoting = release, quoting + 1
                if quoting == QUOTED_BY:
                    release, quoting = next(releases, None), 0
            self.copies(number, original, quotes)
        self.roundups()
        self.negatives()
        return LabelledSet(tuple(self.articles), tuple(self.pairs))


def build(seed: int = SEED) -> LabelledSet:
    """The labelled set drawn from ``seed``."""
    return _Builder(seed).build()


@functools.cache
def labelled_set(seed: int = SEED) -> LabelledSet:
    """The labelled set (built once per process and seed)."""
    return build(seed)
