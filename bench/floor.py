"""The CPU every archived page needs, whatever the code around it: a bound on the crawl's
CPU target, measured on the crawl's own generated pages.

An archived page is at least fetched (bare Scrapy's CPU, measured in the same run), parsed
once, folded to its search form, stored as one searchable row in its own transaction with
the rows that make its story findable (its signature and one index row per band key: the
LSH index is a B-tree keyed by bucket, so each lands on its own page), kept as a gzipped
WARC record with its payload digest, and fingerprinted for its story. Each of
these is timed here alone, with the fastest well-kept tool at hand (Lexbor or lxml for the
parse, ISA-L for gzip, SQLite's FTS5 with one plain table), on the generated pages' own
HTML and text. Finding the title, date and body in the page (the extraction layers), the
pipelines, the health checks and moving pages between processes are left out: the sum is
below what any crawl with every feature on can spend, so when bare Scrapy's CPU plus this
floor is over the target, no implementation meets the target on these pages.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench.mirror import make_article

if TYPE_CHECKING:
    from newsarchive.stories.sketch import Fingerprint

PAGES = 200
REPEATS = 3

_SCHEMA = """
create table articles (id integer primary key, url text unique, title text, body text,
                       search_title text, search_body text);
create virtual table articles_fts using fts5(search_title, search_body, content=articles,
                                             content_rowid=id, tokenize='unicode61');
create trigger articles_ai after insert on articles begin
  insert into articles_fts (rowid, search_title, search_body)
  values (new.id, new.search_title, new.search_body);
end;
create table story_signatures (id integer primary key, article_id integer unique, minhash blob);
create table story_bands (bucket integer, signature_id integer, primary key (bucket, signature_id)) without rowid;
"""


def _best(step: Callable[[], None]) -> float:
    """The least CPU seconds of :data:`REPEATS` runs of ``step``."""
    best = float("inf")
    for _ in range(REPEATS):
        started = time.process_time()
        step()
        best = min(best, time.process_time() - started)
    return best


def _parse_seconds(pages: Sequence[bytes]) -> tuple[float, str]:
    """The fastest parse of every page (Lexbor when installed, else lxml), and its name."""
    from lxml import etree

    parser = etree.HTMLParser()
    timings = {"lxml": _best(lambda: [etree.fromstring(page, parser) for page in pages])}
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError:
        pass
    else:
        timings["Lexbor (selectolax)"] = _best(lambda: [LexborHTMLParser(page) for page in pages])
    name = min(timings, key=timings.__getitem__)
    return timings[name], name


def _store_seconds(
    rows: Sequence[tuple[str, str, str, str, str]], prints: Sequence[Fingerprint | None]
) -> float:
    """One row, its FTS5 entries and its story index rows (signature, band keys) per
    transaction, as an archive stores an article."""

    def store() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            conn = sqlite3.connect(Path(tmp) / "floor.db", isolation_level=None)
            conn.execute("pragma journal_mode = wal")
            conn.execute("pragma synchronous = normal")
            conn.executescript(_SCHEMA)
            for values, print_ in zip(rows, prints, strict=True):
                conn.execute("begin immediate")
                article = conn.execute(
                    "insert into articles (url, title, body, search_title, search_body) values (?, ?, ?, ?, ?)",
                    values,
                ).lastrowid
                if print_ is not None:
                    signature = conn.execute(
                        "insert into story_signatures (article_id, minhash) values (?, ?)",
                        [article, print_.minhash],
                    ).lastrowid
                    conn.executemany(
                        "insert into story_bands (bucket, signature_id) values (?, ?)",
                        [(bucket, signature) for bucket in print_.lookups],
                    )
                conn.execute("commit")
            conn.close()

    return _best(store)


def _warc_seconds(pages: Sequence[bytes]) -> float:
    """Each response as one gzip member (the WARC writer's ISA-L level) and its payload digest."""
    from isal import isal_zlib

    from newsarchive.warc.format import payload_digest
    from newsarchive.warc.writer import GZIP_LEVEL

    head = b"WARC/1.1\r\nWARC-Type: response\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"

    def compress() -> None:
        for page in pages:
            payload_digest(page)
            packer = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS + 16)
            packer.compress(head + page)
            packer.flush()

    return _best(compress)


def necessary_work(pages: int = PAGES) -> tuple[dict[str, float], str]:
    """``{part: ms of CPU per page}`` of the work every archived page needs (see the module),
    and the parser the parse row timed."""
    from newsarchive.search import index_text
    from newsarchive.stories.sketch import fingerprint
    from newsarchive.stories.text import folded_part

    articles = [make_article(rank) for rank in range(1, pages + 1)]
    html = [article.html.encode("utf-8") for article in articles]
    texts = [(article.title, "\n\n".join(article.paragraphs)) for article in articles]
    folded = [(index_text(title), index_text(body)) for title, body in texts]
    rows = [
        (article.url, title, body, search_title, search_body)
        for article, (title, body), (search_title, search_body) in zip(articles, texts, folded, strict=True)
    ]
    prints = [fingerprint(folded_part(body)) for _, body in folded]
    parse, parser = _parse_seconds(html)
    seconds = {
        f"parse ({parser})": parse,
        "search form (fold title and body)": _best(
            lambda: [(index_text(t), index_text(b)) for t, b in texts]
        ),
        "FTS5 row + story index rows, one transaction": _store_seconds(rows, prints),
        "WARC gzip member + digest": _warc_seconds(html),
        "story fingerprint (MinHash)": _best(lambda: [fingerprint(folded_part(body)) for _, body in folded]),
    }
    return {part: value / pages * 1e3 for part, value in seconds.items()}, parser


def extraction_layers(pages: int = PAGES) -> float:
    """ms of CPU per page that the extraction layers take beyond the parse, as they are today,
    on the same generated pages: :func:`~newsarchive.page.article_fields` on each page's bytes
    (as a crawl reads a UTF-8 page) less the lxml parse it starts with. The floor leaves the
    layers out; this says how much of what the floor leaves to them they take."""
    from lxml import etree

    from newsarchive.page import article_fields
    from newsarchive.sites import SITES

    site = SITES["digiato"]
    articles = [make_article(rank) for rank in range(1, pages + 1)]
    html = [(article.url, article.html.encode("utf-8")) for article in articles]
    if any(article_fields(site, page, url, "2026-01-01T00:00:00Z") is None for url, page in html):
        raise RuntimeError("a generated page is not read as a Digiato article: nothing would be timed")
    parser = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    whole = _best(lambda: [article_fields(site, page, url, "2026-01-01T00:00:00Z") for url, page in html])
    parse = _best(lambda: [etree.fromstring(page, parser) for _, page in html])
    return max(whole - parse, 0.0) / pages * 1e3
