"""Stories in Datasette (the newsarchive plugin, through Datasette's test client): the
``story_id`` column and facet, story ids linking to ``?story_id=``, and the article page's
*Same story* section with kinds, similarities and the first publisher marked."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest
from test_datasette import cell, facet_names, fetch, header_columns, page
from test_stories_cli import STORY_A, STORY_C, A, build_story_archive, news, paragraphs, sameness, url

from newsarchive.archive import Archive, article_id
from newsarchive.datasette.plugin import READER_COLUMNS


@pytest.fixture(scope="module")
def story_db(tmp_path_factory) -> Path:
    return build_story_archive(tmp_path_factory.mktemp("stories-datasette") / "archive.db")


def article_path(slug_url: str) -> str:
    return f"/archive/articles/{article_id(slug_url)}"


def section(html: str) -> str:
    """The *Same story* section of an article page ("" when there is none)."""
    found = re.search(r'<section class="na-story" id="story">(.*?)</section>', html, re.S)
    return found.group(1) if found else ""


def test_the_articles_table_shows_story_ids_linking_to_the_storys_articles(story_db):
    html = page(story_db, "/archive/articles")
    assert "story_id" in READER_COLUMNS and header_columns(html) == list(READER_COLUMNS)
    linked = cell(html, "story_id", STORY_A)
    assert f'href="/archive/articles?story_id={STORY_A}"' in linked and 'dir="ltr"' in linked
    filtered = page(story_db, f"/archive/articles?story_id={STORY_A}")
    assert "3 rows" in filtered
    urls = set(re.findall(r'href="(https://[a-z]+\.example/news/[a-z-]+)"', filtered))
    assert urls == {url("digiato", "a-first"), url("zoomit", "a-copy"), url("itna", "a-exact")}


def test_the_story_facet_lists_the_stories_with_copies_by_title_largest_first(story_db):
    html = page(story_db, "/archive/articles")
    assert "story_id (story)" in facet_names(html)
    facet = html.split('data-column="story_id" data-facet-type="story"', 1)[1].split("</ul>", 1)[0]
    values = [(unescape(label), count) for label, count in re.findall(r"<bdi>(.*?)</bdi></a> (\d+)", facet)]
    assert values == [
        ("عرضه پردازنده جدید", "3"),
        ("ماهواره و اینترنت", "2"),
    ]  # the first publications' titles
    assert f"story_id__exact={STORY_A}" in facet
    selected = page(story_db, f"/archive/articles?story_id__exact={STORY_A}")
    assert "3 rows" in selected
    chosen = selected.split('data-facet-type="story"', 1)[1].split("</ul>", 1)[0]
    assert re.search(r"<bdi>عرضه پردازنده جدید</bdi> &middot; 3 <a href=\"[^\"]+\" class=\"cross\">", chosen)


def test_a_copys_page_lists_the_other_articles_with_the_first_publisher_marked(story_db):
    html = section(page(story_db, article_path(url("zoomit", "a-copy"))))
    assert "Same story (3 articles, 3 sources)" in html
    this = unescape(re.sub(r"<[^>]+>", "", html.split('class="na-story-this">', 1)[1].split("</p>", 1)[0]))
    similarity = sameness("a-first", "a-copy").similarity
    assert re.search(
        r"This article is a near copy \(similarity 0\.\d\d\) of the first, published by digiato", this
    )
    assert float(re.search(r"similarity (0\.\d\d)", this).group(1)) == pytest.approx(similarity, abs=0.1)
    items = re.findall(r'<li class="na-story-article( na-first)?">(.*?)</li>', html, re.S)
    assert len(items) == 2  # the other two, not this one
    (first_mark, first), (other_mark, other) = items
    assert first_mark and "first · نخستین" in first and url("digiato", "a-first") in first
    assert f'href="{article_path(url("digiato", "a-first"))}"' in first
    assert not other_mark and url("itna", "a-exact") in other
    assert re.search(r'na-kind-exact">exact</span> <span dir="ltr">1\.00</span>', other)
    assert 'dir="rtl"' in html.split('<ol class="na-story-articles"', 1)[1][:20]
    assert f'href="/archive/articles?story_id={STORY_A}"' in html


def test_the_first_publishers_page_says_it_was_first(story_db):
    html = section(page(story_db, article_path(url("digiato", "a-first"))))
    assert "This article was published first." in html
    assert "na-first" not in html.split("<ol", 1)[1]  # the others are copies
    assert html.count('<li class="na-story-article">') == 2


def test_an_article_without_copies_has_no_story_section(story_db):
    html = page(story_db, article_path(url("zoomit", "b-alone")))
    assert section(html) == "" and "Earlier versions" in html
    # A shared source is kept as a pair, but is no copy: no story section either.
    assert section(page(story_db, article_path(url("itna", "d-one")))) == ""


def test_the_stories_table_links_to_articles(story_db):
    html = page(story_db, "/archive/stories")
    title = cell(html, "title", "عرضه پردازنده جدید")  # the first publication's title
    assert f'href="/archive/articles?story_id={STORY_A}"' in title and 'dir="rtl"' in title
    first = cell(html, "first_article_id", article_id(url("digiato", "a-first")))
    assert f'href="{article_path(url("digiato", "a-first"))}"' in first


def test_a_copy_on_the_same_site_is_one_source(tmp_path):
    body = paragraphs(21, 4)
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        archive.store_article(news("zoomit", "report", body, "2024-05-04T06:45:00Z", "گزارش"))
        archive.store_article(news("zoomit", "report-amp", body, "2024-05-04T06:45:00Z", "گزارش"))
    html = section(page(db, article_path(url("zoomit", "report-amp"))))
    assert "Same story (2 articles, 1 source)" in html
    assert "This article is a <span" in html and "exact" in html
    assert url("zoomit", "report") in html and "first · نخستین" in html


def test_canned_queries_list_the_latest_stories_and_who_was_first(story_db):
    latest, first = (
        response.json()
        for response in fetch(
            story_db, "/archive/latest_stories.json?_shape=array", "/archive/who_was_first.json?_shape=array"
        )
    )
    assert [(row["story_id"], row["first_source"], row["article_count"]) for row in latest] == [
        (STORY_C, "zoomit", 2),
        (STORY_A, "digiato", 3),
    ]
    assert json.loads(latest[1]["sources"]) == ["digiato", "zoomit", "itna"]  # in order of publication
    assert first == [
        {"source": "digiato", "first": 1, "copies": 1, "first_percent": 50.0},
        {"source": "zoomit", "first": 1, "copies": 1, "first_percent": 50.0},
        {"source": "itna", "first": 0, "copies": 1, "first_percent": 0.0},
    ]
    html = page(story_db, "/archive/latest_stories")
    assert f'href="/archive/articles?story_id={STORY_A}"' in html  # the story id links to its articles


def test_search_hits_with_copies_link_to_their_story(story_db):
    html = page(story_db, f"/archive/articles?_search={quote(A[0].split()[0])}")
    hits = re.findall(r'<li class="na-hit">(.*?)</li>', html, re.S)
    assert len(hits) >= 5
    for hit in hits:
        link = re.search(r'href="https://([a-z]+)\.example/news/([a-z-]+)"', hit)
        assert link, hit
        slug = link.group(2)
        if slug.startswith("a-"):
            assert f'href="/archive/articles?story_id={STORY_A}">3 articles in this story</a>' in hit
        elif slug.startswith("c-"):
            assert f'href="/archive/articles?story_id={STORY_C}">2 articles in this story</a>' in hit
        else:
            assert "in this story" not in hit  # alone, or a shared source only
