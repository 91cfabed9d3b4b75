"""What is never article text inside a body, on any site: one place for every layer's bodies.

Three kinds of evidence, none of them a site's selectors:

* **names**: a box whose ``class`` or ``id``, split into words (camelCase, BEM ``__``/``--``,
  ``-``, ``_``), holds a junk word (``digiAds``, ``relatedPosts__item``, ``yn-ad``); whole
  words only, so ``header``, ``shadow``, ``download`` and ``adapter`` are not ads. Boxes
  that hold an ad network's script (Yektanet, Tapsell, Mediaad, AdSense…) go too.
* **links**: a block that is mostly links to other pages (a «بیشتر بخوانید» line, a related
  list), or mostly a sponsored link, is navigation or advertising; a paragraph with an inline
  link is not.
* **lines**: labels and lines no article says, kept in ``boilerplate.toml`` and matched as
  whole short blocks after Persian folding, never inside a sentence.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

from newsarchive.extract.tree import Element, text_content
from newsarchive.persian import fold

# --- names -------------------------------------------------------------------------

#: Words that name a box which is not the article.
JUNK_WORDS = frozenset(
    {
        "ad",
        "ads",
        "adv",
        "advert",
        "adverts",
        "advertise",
        "advertisement",
        "advertisements",
        "advertising",
        "adsense",
        "adsbygoogle",
        "adslot",
        "adunit",
        "banner",
        "banners",
        "bnr",
        "sponsor",
        "sponsors",
        "sponsored",
        "sponsorship",
        "promo",
        "promos",
        "promotion",
        "promotions",
        "promoted",
        "e3lan",
        "related",
        "share",
        "shares",
        "sharing",
        "sharer",
        "social",
        "socials",
        "newsletter",
        "newsletters",
        "subscribe",
        "subscription",
        "comment",
        "comments",
        "disqus",
        "wpdiscuz",
        "wpd",
        "breadcrumb",
        "breadcrumbs",
        "tags",
        "keywords",
        "caption",
        "popular",
        "yektanet",
        "yn",
        "tapsell",
        "mediaad",
        "adivery",
        "sabavision",
        "anetwork",
        "addtoany",
        "a2a",
        "sharethis",
        "sharedaddy",
        "yarpp",
    }
)
#: Junk names of several words, joined: "read-more", "readMore" and "readmore" alike.
JUNK_PHRASES = frozenset(
    {
        "readmore",
        "readalso",
        "alsoread",
        "seealso",
        "morenews",
        "morestories",
        "authorbox",
        "aboutauthor",
        "authorbio",
        "authorinfo",
        "authorcard",
        "mostviewed",
        "mostread",
        "mostpopular",
        "followus",
        "tagcloud",
        "taglist",
        "tagbox",
        "taglinks",
        "posarticledisplay",
        "postnavigation",
        "postnav",
        # social embeds left bare by the classic editor (oEmbed's markup before its script
        # draws it): a quoted post is not the article's text
        "twittertweet",
        "twittervideo",
        "instagrammedia",
        "tiktokembed",
    }
)
#: Words that only say which part of a box an element is: with a junk word they make one
#: name ("relatedposts", "adsbox", "bannergroup"), alone they mean nothing.
PART_WORDS = frozenset(
    {
        "box",
        "boxes",
        "item",
        "items",
        "list",
        "wrap",
        "wrapper",
        "container",
        "block",
        "area",
        "section",
        "content",
        "post",
        "posts",
        "article",
        "articles",
        "news",
        "link",
        "links",
        "button",
        "buttons",
        "btn",
        "bar",
        "label",
        "title",
        "inner",
        "top",
        "bottom",
        "side",
        "inline",
        "in",
        "single",
        "main",
        "group",
        "card",
        "cards",
        "text",
        "icon",
        "icons",
        "widget",
        "unit",
        "slot",
        "zone",
        "row",
        "native",
        "mobile",
        "desktop",
        "sticky",
        "float",
        "mid",
        "middle",
        "after",
        "before",
        "kit",
        "panel",
        "placeholder",
    }
)
_TOKENS = re.compile(r"[A-Za-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+")
_HAS_DIGIT = re.compile(r"\d")
#: Classes that describe a post, not a box in it: WordPress's post classes name the post's
#: terms (``tag-ads``, ``category-social``; ``tag-list`` and ``tag-cloud`` are boxes), Drupal's
#: node classes its state (``node-promoted``: promoted to the front page, not an ad; ``node-sticky``).
_POST_CLASSES = re.compile(
    r"(?<!\S)(?:(?:tag|category|cat|term|label|topic)-(?!(?:list|cloud|box|links)(?:\s|$))\S*"
    r"|node-(?:promoted|sticky|unpublished|teaser|preview)(?!\S))"
)


def class_words(value: str) -> list[str]:
    """The words of a ``class``/``id`` value, lower-cased: ``relatedPosts__item adBox`` ->
    related, posts, item, ad, box. Tokens with digits (``sc-ad418181-0``: generated hashes)
    are words only when they are junk words themselves (``a2a``, ``e3lan``); WordPress's
    term classes (``tag-ads``) and Drupal's node states (``node-promoted``) are not words at all."""
    words: list[str] = []
    if "-" in value:
        value = _POST_CLASSES.sub(" ", value)
    for token in _TOKENS.findall(value):
        lower = token.lower()
        if _HAS_DIGIT.search(token):
            if lower in JUNK_WORDS:
                words.append(lower)
            continue
        words += [part.lower() for part in _CAMEL.findall(token)]
    return words


@lru_cache(maxsize=4096)
def _is_junk_word(word: str) -> bool:
    """A junk word, a junk phrase written as one word, or junk and part words run together."""
    if word in JUNK_WORDS or word in JUNK_PHRASES:
        return True
    return _splits_into_junk(word, False)


def _splits_into_junk(rest: str, seen_junk: bool) -> bool:
    """True when ``rest`` is a run of junk and part words (at least one junk overall)."""
    if not rest:
        return seen_junk
    for end in range(len(rest), 1, -1):
        head = rest[:end]
        if head in JUNK_WORDS and _splits_into_junk(rest[end:], True):
            return True
        if head in PART_WORDS and _splits_into_junk(rest[end:], seen_junk):
            return True
    return False


@lru_cache(maxsize=8192)
def is_junk_name(value: str) -> bool:
    """True when a ``class`` or ``id`` value names a box that is not the article."""
    words = class_words(value)
    for index, word in enumerate(words):
        if _is_junk_word(word):
            return True
        if index and words[index - 1] + word in JUNK_PHRASES:
            return True
        if index > 1 and words[index - 2] + words[index - 1] + word in JUNK_PHRASES:
            return True
    return False


#: Elements whose classes describe the whole page (a theme's ``has-related-posts``), never a box.
PAGE_TAGS = frozenset({"html", "body"})


def has_junk_name(element: Element) -> bool:
    """True when the element's ``class`` or ``id`` names a box that is not the article."""
    if element.tag in PAGE_TAGS:
        return False
    marks = element.get("class")
    if marks and is_junk_name(marks):
        return True
    marks = element.get("id")
    return bool(marks) and is_junk_name(marks)


# --- ad networks -----------------------------------------------------------------

#: Ad networks' scripts, slots and click URLs, Iranian and international.
AD_NETWORKS = re.compile(
    r"yektanet|tapsell|mediaad|adivery|sabavision|anetwork\.ir|adsbygoogle|googlesyndication|googletag|"
    r"doubleclick|pos-article-display|adservice|clickyab|kaprila",
    re.IGNORECASE,
)
#: Hrefs of ad clicks: an ad server's path or an ad network's domain.
AD_CLICK = re.compile(
    r"/(?:ads?|banners?|advert\w*)/(?:c(?:lick)?/|\d)|[?&]utm_medium=(?:ads?|cpc|banner)\b", re.IGNORECASE
)
#: Text an ad network's box may show besides its script (a label, a title); more is an article.
AD_BOX_TEXT = 200


def ad_boxes(container: Element) -> set[Element]:
    """Elements inside ``container`` that hold an ad network's script or slot (not the container)."""
    boxes: set[Element] = set()
    for element in container.iter("script", "ins", "iframe"):
        marks = f"{element.get('src', '')} {element.get('class', '')} {element.get('id', '')} {(element.text or '')[:2000]}"
        if AD_NETWORKS.search(marks) is None:
            continue
        parent = element.getparent()
        if parent is None or parent is container:
            continue
        shown = len("".join(text_content(parent).split())) - len("".join((element.text or "").split()))
        if shown <= AD_BOX_TEXT:
            boxes.add(parent)
    return boxes


# --- lines ---------------------------------------------------------------------------

#: Blocks longer than this are sentences, never a label or a line of the lexicon.
MAX_LINE = 200
#: Blocks longer than this that end with a full stop are sentences too (no lexicon line does).
MAX_UNSTOPPED = 60
_EDGE_PUNCTUATION = " :：.!؟?،,;؛-–—|/\\•·*»«\"'()[]{}<>…"
_SPACES = re.compile(r"\s+")
LEXICON_FILE = Path(__file__).with_name("boilerplate.toml")


def _key_table() -> dict[int, str]:
    """``fold`` character by character, spaces dropped: one ``str.translate`` per line instead of a
    full fold (lines are short, and fold's context rules never change whether one matches)."""
    table = {
        code: fold(chr(code)) for code in (*range(0x0800), *range(0x2000, 0x2070), *range(0xFB50, 0xFF00))
    }
    table.update(dict.fromkeys(map(ord, " \t\n\r\f\v\u00a0\u200c"), ""))
    return table


_KEY_TABLE = _key_table()


def line_key(text: str) -> str:
    """The form lines and patterns are compared in: folded, without spaces or edge punctuation."""
    return text.translate(_KEY_TABLE).strip(_EDGE_PUNCTUATION)


@dataclass(frozen=True)
class LineRule:
    """One entry of the lexicon (see ``boilerplate.toml``)."""

    name: str
    kind: str
    pattern: re.Pattern[str]
    junk: tuple[str, ...]
    keep: tuple[str, ...]
    #: Looked for in a long block that ends with a full stop too (a call written as a sentence).
    sentence: bool = False

    def matches(self, text: str) -> bool:
        return len(text) <= MAX_LINE and self.pattern.fullmatch(line_key(text)) is not None


def load_lexicon(path: Path = LEXICON_FILE) -> tuple[LineRule, ...]:
    with path.open("rb") as file:
        entries = tomllib.load(file)["line"]
    return tuple(
        LineRule(
            entry["name"],
            entry["kind"],
            re.compile(_SPACES.sub("", fold(entry["pattern"]))),
            tuple(entry.get("junk", ())),
            tuple(entry.get("keep", ())),
            entry.get("sentence", False),
        )
        for entry in entries
    )


LEXICON = load_lexicon()
_LINES = re.compile("|".join(f"(?:{rule.pattern.pattern})" for rule in LEXICON))
_LABELS = re.compile("|".join(f"(?:{rule.pattern.pattern})" for rule in LEXICON if rule.kind == "label"))
_SENTENCES = re.compile("|".join(f"(?:{rule.pattern.pattern})" for rule in LEXICON if rule.sentence))


def is_junk_line(text: str) -> bool:
    """True when the whole of ``text`` is a lexicon line (an ad label, «کد خبر: ۱۷۳۰۲», …); a long
    block that ends with a full stop is a sentence, looked up only among the entries written as one."""
    if len(text) > MAX_LINE:
        return False  # a paragraph: spares the folding
    lines = _SENTENCES if len(text) > MAX_UNSTOPPED and text.endswith(".") else _LINES
    return lines.fullmatch(line_key(text)) is not None


def is_label(text: str) -> bool:
    """True when ``text`` is a label that introduces links (تبلیغات, بیشتر بخوانید:, برچسب‌ها:)."""
    return len(text) <= MAX_LINE and _LABELS.fullmatch(line_key(text)) is not None


# --- links -------------------------------------------------------------------------

#: A block whose text is at least this share of links to other pages is navigation.
LINK_DENSITY = 0.6
#: A block whose text is at least this share of a sponsored link is an ad.
SPONSORED_DENSITY = 0.5


def text_length(element: Element) -> int:
    """Characters of an element's text (without its tail), counted from libxml2's text
    serialization: about three times cheaper than reading the text through XPath."""
    return len(etree.tostring(element, method="text", encoding="unicode", with_tail=False))


def is_sponsored(link: Element) -> bool:
    """A link marked ``rel=sponsored`` or pointing at an ad server's click URL."""
    rel = link.get("rel")
    return (rel is not None and "sponsored" in rel.lower()) or AD_CLICK.search(
        link.get("href", "")
    ) is not None


def links_in(element: Element) -> list[Element]:
    """The links in ``element`` (itself included) that lead to another page."""
    found: list[Element] = []
    for link in element.iter("a"):
        href = (link.get("href") or "").strip()
        if href and not href.startswith(("#", "javascript:", "mailto:", "tel:")):
            found.append(link)
    return found


def link_shares(element: Element, total: int) -> tuple[float, float, list[Element]]:
    """Shares of the element's text (``total`` characters) held by links, and by sponsored links; the links."""
    links = links_in(element)
    if not links or not total:
        return 0.0, 0.0, links
    linked = sponsored = 0.0
    for link in links:
        length = text_length(link)
        linked += length
        if is_sponsored(link):
            sponsored += length
    return min(linked / total, 1.0), min(sponsored / total, 1.0), links


def _outside_links(text: str, links: list[Element]) -> str:
    for link in links:
        shown = " ".join(text_content(link).split())
        if shown:
            text = text.replace(shown, " ", 1)
    return text


#: Why a block was dropped: a lexicon line, or links.
LINE, LINKS = "line", "links"


def junk_block(element: Element, text: str, judge_links: bool = True) -> str | None:
    """Why the block ``element`` (whose text is ``text``) is not article text, or None.

    ``judge_links`` is off for list items: a list is judged by its links as a whole.
    """
    if is_junk_line(text):
        return LINE
    links_share, sponsored_share, links = link_shares(element, len(text))
    if not links:
        return None
    if sponsored_share >= SPONSORED_DENSITY:
        return LINKS
    if judge_links and links_share >= LINK_DENSITY:
        return LINKS
    if len(text) <= MAX_LINE and is_label(_outside_links(text, links)):
        return LINKS
    return None


def is_link_list(element: Element) -> bool:
    """True for a list (``ul``/``ol``) that is mostly links to other pages: related posts, tags."""
    return link_shares(element, text_length(element))[0] >= LINK_DENSITY
