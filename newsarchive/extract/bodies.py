"""The body of a page, chosen by evidence rather than by layer order.

Each layer proposes a body: the site's selectors, JSON-LD ``articleBody``, WordPress's
``.entry-content``, the densest block of paragraphs. Trust order still breaks ties, but a
body that a rival shows to be a fragment (less than half the rival's text, while the rival
is no more links and covers the page's description at least as well) never wins: a site
selector that matches one box of a redesigned page, or an ``articleBody`` that holds only an
excerpt, gives way to the page's main content.

Every rival costs a walk of its container, so on the common page only the site's body is
read: when it holds at least half the text of the page's densest block of paragraphs (one
pass over the ``<p>`` elements) and of JSON-LD's ``articleBody``, nothing can outweigh it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise

from newsarchive.extract.blocks import plain_blocks, text_blocks
from newsarchive.extract.boilerplate import link_shares, text_length
from newsarchive.extract.tree import Element
from newsarchive.persian import fold

#: A body with less than this share of a rival's text is a fragment of the rival.
SHARE = 0.5
#: A rival with fewer paragraphs (a text blob) must have this many times the text.
BLOB_FACTOR = 3
#: A rival whose container is this much links is navigation, never the article.
MAX_LINK_SHARE = 0.3
#: How much less of the page's description a rival may cover and still outweigh a body.
OVERLAP_TOLERANCE = 0.1
#: Paragraph text a block of paragraphs needs before it counts as a body at all.
MIN_FALLBACK_BODY = 200


@dataclass(frozen=True, eq=False)
class Body:
    """One layer's proposal: its paragraphs, and the HTML container they came from (if any)."""

    layer: str
    paragraphs: tuple[str, ...]
    container: Element | None = None
    #: Blocks left out by rule (see :func:`newsarchive.extract.blocks.text_blocks`).
    removed: dict[str, int] = field(default_factory=dict)
    chars: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "chars", sum(map(len, self.paragraphs)))

    @cached_property
    def link_share(self) -> float:
        """The share of the container's text in links (read only when a rival is weighed)."""
        if self.container is None:
            return 0.0
        return link_shares(self.container, text_length(self.container))[0]

    @cached_property
    def bigrams(self) -> frozenset[tuple[str, str]]:
        return bigrams(" ".join(self.paragraphs))

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def from_container(layer: str, container: Element | None, noise: Iterable[Element] = ()) -> Body | None:
    """The body in an HTML container, with its evidence; None when it holds no text."""
    if container is None:
        return None
    removed: Counter[str] = Counter()
    paragraphs = tuple(text_blocks(container, noise, removed))
    return Body(layer, paragraphs, container, dict(removed)) if paragraphs else None


def from_text(layer: str, text: str) -> Body | None:
    """The body in a text field (JSON-LD ``articleBody``); None when it holds no text."""
    paragraphs = tuple(plain_blocks(text))
    return Body(layer, paragraphs) if paragraphs else None


def bigrams(text: str) -> frozenset[tuple[str, str]]:
    """Pairs of consecutive words of the search form: what a description and a body share."""
    words = fold(text).split()
    return frozenset(pairwise(words))


def overlap(description: frozenset[tuple[str, str]], body: Body) -> float:
    """The share of the description's word pairs found in the body."""
    return len(description & body.bigrams) / len(description) if description else 0.0


def outweighs(rival: Body, body: Body, description: frozenset[tuple[str, str]]) -> bool:
    """True when ``rival`` shows ``body`` to be a fragment of the article."""
    needed = BLOB_FACTOR if len(rival.paragraphs) < len(body.paragraphs) else 1 / SHARE
    if rival.chars < needed * body.chars or rival.link_share > MAX_LINK_SHARE:
        return False
    return not description or overlap(description, rival) + OVERLAP_TOLERANCE >= overlap(description, body)


def choose(bodies: list[Body], description: str = "") -> Body | None:
    """The first body, in trust order, that no rival outweighs (see :func:`outweighs`)."""
    pairs = bigrams(description) if description else frozenset()
    for body in bodies:
        if not any(outweighs(rival, body, pairs) for rival in bodies if rival is not body):
            return body
    return max(bodies, key=lambda body: body.chars, default=None)


def choose_lazily(
    first: Body | None, rivals: list[Callable[[], Body | None]], most: int, description: str = ""
) -> Body | None:
    """:func:`choose` over ``first`` then ``rivals``, reading the rivals only when needed.

    ``most`` is about the most text a rival can hold (the page's densest block of paragraphs,
    a JSON-LD ``articleBody``'s length): when ``first`` has at least half of it, no rival
    can outweigh it, so none is read.
    """
    if first is not None and first.chars >= SHARE * most:
        return first
    bodies = [first] if first is not None else []
    return choose(
        [*bodies, *(body for body in (rival() for rival in rivals) if body is not None)], description
    )
