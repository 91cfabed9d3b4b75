"""Stories on the command line: ``newsarchive stories`` (list, one story, regroup, rebuild)
and ``newsarchive search --stories``, on an archive stored through ``Archive.store_article``.

:func:`build_story_archive` stores four pieces of news across sites (the export and
Datasette tests use it too): story A published first by digiato, copied edited by zoomit
(stored first, so the story's id is zoomit's) and exactly by itna (another spelling:
ZWNJ, Arabic ي and digits folded); story C published by zoomit and copied by digiato
with a paragraph left out; B alone on zoomit; and two itna/digiato reports that quote
one common release (a shared source, not one story). Expected kinds and similarities come
from :func:`newsarchive.stories.compare`, never typed in.
"""

from __future__ import annotations

import io
import json
import random
import re
import sys
from pathlib import Path

import pytest
from test_search import article

from newsarchive.archive import Archive, article_id
from newsarchive.cli import main
from newsarchive.stories import EXACT, NEAR, NEAR_THRESHOLD, compare

ZWNJ = "\u200c"
_VOCABULARY = (
    "گوشی هوشمند پردازنده باتری دوربین نمایشگر اینترنت شبکه کاربر سامانه پیام‌رسان نرم‌افزار "
    "سخت‌افزار تراشه حافظه سرور داده امنیت رمزنگاری فناوری شرکت بازار قیمت عرضه فروش تولید "
    "نسخه به‌روزرسانی سیستم‌عامل اندروید آیفون لپ‌تاپ رایانه بازی کنسول ماهواره مخابرات "
    "پهنای باند فیبر نوری هوش مصنوعی مدل زبانی استارتاپ سرمایه‌گذاری دولت وزارت قانون "
    "مصرف‌کننده خرید تخفیف گزارش پژوهش دانشگاه آزمایش طراحی ساخت صادرات واردات گمرک ارز "
    "تومان دلار رشد کاهش افزایش هفته ماه سال امروز دیروز فردا جدید قدیمی بزرگ کوچک سریع"
)
_WORDS = _VOCABULARY.split()


def paragraphs(seed: int, count: int, words: int = 40) -> list[str]:
    """``count`` paragraphs of made-up Persian news text, the same for the same seed."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(_WORDS) for _ in range(words)) + "." for _ in range(count)]


def url(source: str, slug: str) -> str:
    return f"https://{source}.example/news/{slug}"


def news(source: str, slug: str, body: list[str], published_at: str, title: str) -> dict:
    return article(
        slug,
        "\n\n".join(body),
        source=source,
        url=url(source, slug),
        title=title,
        published_at=published_at,
        published_jalali=None,
    )


A = paragraphs(1, 5)
C = paragraphs(3, 4)
RELEASE = paragraphs(5, 1, words=25)
#: In the order they are stored (story A's zoomit copy first: its id becomes the story's).
STORED = [
    news("zoomit", "a-copy", [*A, *paragraphs(11, 1)], "2024-05-04T08:00:00Z", "پردازنده تازه عرضه شد"),
    news("digiato", "a-first", A, "2024-05-04T06:45:00Z", "عرضه پردازنده جدید"),
    news(
        "itna",
        "a-exact",
        [p.replace(ZWNJ, " ").replace("ی", "ي") for p in A],
        "2024-05-04T10:00:00Z",
        "پردازنده جدید در بازار",
    ),
    news("zoomit", "b-alone", paragraphs(2, 4), "2024-05-10T09:00:00Z", "گزارش تنها"),
    news("zoomit", "c-first", C, "2024-06-01T05:00:00Z", "ماهواره و اینترنت"),
    news("digiato", "c-copy", C[:3], "2024-06-01T09:00:00Z", "اینترنت ماهواره‌ای"),
    news("itna", "d-one", [*paragraphs(6, 3), *RELEASE], "2024-05-20T07:00:00Z", "بیانیه و گزارش یک"),
    news("digiato", "d-two", [*paragraphs(7, 3), *RELEASE], "2024-05-20T08:00:00Z", "بیانیه و گزارش دو"),
]
BY_SLUG = {item["url"].rsplit("/", 1)[1]: item for item in STORED}
STORY_A = article_id(url("zoomit", "a-copy"))
STORY_C = article_id(url("zoomit", "c-first"))
#: Each article's story: A's and C's copies are in their story, every other article alone.
STORY_OF = {
    item["url"]: STORY_A
    if slug.startswith("a-")
    else STORY_C
    if slug.startswith("c-")
    else article_id(item["url"])
    for slug, item in BY_SLUG.items()
}


def sameness(first: str, other: str):
    return compare(BY_SLUG[first]["body"], BY_SLUG[other]["body"])


def build_story_archive(path: Path) -> Path:
    """Store :data:`STORED` in order, each in its own transaction, as a crawl does."""
    with Archive(path) as archive:
        for number, item in enumerate(STORED):
            archive.store_article(item, fetched_at=f"2024-06-02T00:00:{number:02d}Z")
    return path


@pytest.fixture(scope="module")
def story_db(tmp_path_factory) -> Path:
    return build_story_archive(tmp_path_factory.mktemp("stories") / "archive.db")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_the_made_up_texts_are_what_the_tests_say():
    """The premises: A's copies are exact and near, C's copy near, D's pair shared only."""
    assert sameness("a-first", "a-exact").kind == EXACT
    assert sameness("a-first", "a-copy").kind == NEAR
    assert sameness("c-first", "c-copy").kind == NEAR
    assert sameness("a-first", "a-copy").similarity > sameness("c-first", "c-copy").similarity
    assert sameness("d-one", "d-two").kind not in (EXACT, NEAR)
    assert ZWNJ in BY_SLUG["a-first"]["body"] and ZWNJ not in BY_SLUG["a-exact"]["body"]


# --- newsarchive stories ---------------------------------------------------------------------------


def test_stories_lists_the_stories_with_copies_newest_first_with_who_was_first(story_db, capsys):
    code, out, err = run(capsys, "stories", "--db", str(story_db), "--json")
    assert code == 0, err
    stories = json_lines(out)
    assert [story["id"] for story in stories] == [STORY_C, STORY_A]
    c, a = stories
    assert (a["first_source"], a["first_url"], a["first_published_at"]) == (
        "digiato",
        url("digiato", "a-first"),
        "2024-05-04T06:45:00Z",
    )
    assert sorted(a["sources"]) == ["digiato", "itna", "zoomit"] and a["article_count"] == 3
    assert (c["first_source"], c["first_url"], c["article_count"]) == ("zoomit", url("zoomit", "c-first"), 2)
    assert sorted(c["sources"]) == ["digiato", "zoomit"]


def test_stories_as_text_say_who_was_first_and_the_size(story_db, capsys):
    code, out, _ = run(capsys, "stories", "--db", str(story_db))
    assert code == 0
    blocks = out.split("\n  2. ")
    assert f"first: digiato · 2024-05-04T06:45:00Z · {url('digiato', 'a-first')}" in blocks[1]
    assert "3 articles from 3 sources" in blocks[1] and f"story {STORY_A}" in blocks[1]
    assert "first: zoomit" in blocks[0] and "2 articles from 2 sources" in blocks[0]


def test_min_articles_one_lists_stories_of_one_article_too(story_db, capsys):
    code, out, _ = run(
        capsys, "stories", "--db", str(story_db), "--json", "--min-articles", "1", "--limit", "50"
    )
    assert code == 0
    stories = json_lines(out)
    # A and C, B alone, and D's two reports: a shared release does not make them one story.
    assert len(stories) == 5
    alone = {story["first_url"] for story in stories if story["article_count"] == 1}
    assert alone == {url("zoomit", "b-alone"), url("itna", "d-one"), url("digiato", "d-two")}


def test_source_and_limit_narrow_the_list(story_db, capsys):
    _, out, _ = run(capsys, "stories", "--db", str(story_db), "--json", "--source", "itna")
    assert [story["id"] for story in json_lines(out)] == [STORY_A]
    _, out, _ = run(capsys, "stories", "--db", str(story_db), "--json", "--limit", "1")
    assert [story["id"] for story in json_lines(out)] == [STORY_C]


def test_dates_select_stories(story_db, capsys):
    _, out, _ = run(capsys, "stories", "--db", str(story_db), "--json", "--since", "2024-05-25")
    assert [story["id"] for story in json_lines(out)] == [STORY_C]
    _, out, _ = run(capsys, "stories", "--db", str(story_db), "--json", "--until", "1403-02-20")
    assert [story["id"] for story in json_lines(out)] == [STORY_A]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--source", "Itna"],
            "--source 'Itna': no source of that name in this archive; did you mean 'itna'?",
        ),
        (["--since", "2024-13-01"], "--since"),
        (["--since", "2024-06-01", "--until", "2024-05-01"], "--since/--until"),
        (["--story", "0123456789abcdef"], "--story 0123456789abcdef: no story of that id"),
    ],
)
def test_bad_values_are_usage_errors_naming_the_option(story_db, capsys, argv, message):
    code, out, err = run(capsys, "stories", "--db", str(story_db), *argv)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--threshold", "2"],
        ["--threshold", "0"],
        ["--threshold", "half"],
        ["--min-articles", "0"],
        ["--limit", "0"],
        ["--story", "x", "--rebuild"],
    ],
)
def test_option_values_argparse_refuses_exit_2(story_db, capsys, argv):
    with pytest.raises(SystemExit) as exited:
        main(["stories", "--db", str(story_db), *argv])
    assert exited.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_one_story_lists_its_articles_with_kind_and_similarity(story_db, capsys):
    code, out, _ = run(capsys, "stories", "--db", str(story_db), "--story", STORY_A, "--json")
    assert code == 0
    [story] = json_lines(out)
    assert story["id"] == STORY_A and story["first_source"] == "digiato"
    articles = [(a["url"], a["source"], a["kind"]) for a in story["articles"]]
    assert articles == [
        (url("digiato", "a-first"), "digiato", None),
        (url("zoomit", "a-copy"), "zoomit", NEAR),
        (url("itna", "a-exact"), "itna", EXACT),
    ]
    similarities = [a["similarity"] for a in story["articles"]]
    assert similarities[0] is None and similarities[2] == 1.0
    assert similarities[1] == pytest.approx(sameness("a-first", "a-copy").similarity, abs=0.1)

    code, out, _ = run(capsys, "stories", "--db", str(story_db), "--story", STORY_A)
    lines = out.splitlines()
    assert lines[0] == f"story {STORY_A}: {story['title']}"
    assert "3 articles from 3 sources" in lines[1] and "first: digiato at 2024-05-04T06:45:00Z" in lines[1]
    assert "digiato" in lines[2] and "first" in lines[2] and lines[2].endswith(url("digiato", "a-first"))
    assert "exact 1.00" in lines[6] and lines[6].endswith(url("itna", "a-exact"))


# --- regroup and rebuild (each on its own archive: they write) --------------------------------------


def story_sizes(capsys, db: Path) -> dict[str, int]:
    _, out, _ = run(capsys, "stories", "--db", str(db), "--json", "--limit", "50")
    return {story["first_url"].rsplit("/", 1)[1]: story["article_count"] for story in json_lines(out)}


def test_threshold_regroups_at_another_cut_off_and_back(tmp_path, capsys):
    db = build_story_archive(tmp_path / "archive.db")
    between = (sameness("c-first", "c-copy").similarity + sameness("a-first", "a-copy").similarity) / 2
    code, out, err = run(capsys, "stories", "--db", str(db), "--threshold", f"{between:.3f}", "--json")
    assert code == 0, err
    assert isinstance(json_lines(out)[0], dict)
    assert story_sizes(capsys, db) == {"a-first": 3}  # C's copy, a paragraph short, is a story of its own

    code, out, _ = run(capsys, "stories", "--db", str(db), "--threshold", "1")
    assert code == 0 and out.startswith("stories regrouped at similarity 1.0: ")
    assert story_sizes(capsys, db) == {"a-first": 2}  # only the exact copy stays

    run(capsys, "stories", "--db", str(db), "--threshold", str(NEAR_THRESHOLD))
    assert story_sizes(capsys, db) == {"a-first": 3, "c-first": 2}


def test_a_threshold_under_the_stored_pairs_is_refused(tmp_path, capsys):
    from newsarchive.stories import SHARED_THRESHOLD

    db = build_story_archive(tmp_path / "archive.db")
    code, _, err = run(capsys, "stories", "--db", str(db), "--threshold", str(SHARED_THRESHOLD / 2))
    assert code == 2 and "--threshold" in err and "Traceback" not in err
    assert story_sizes(capsys, db) == {"a-first": 3, "c-first": 2}


def test_rebuild_computes_the_same_stories_again(tmp_path, capsys):
    db = build_story_archive(tmp_path / "archive.db")
    _, before, _ = run(capsys, "stories", "--db", str(db), "--json", "--min-articles", "1", "--limit", "50")
    code, out, err = run(capsys, "stories", "--db", str(db), "--rebuild", "--json")
    assert code == 0, err
    assert isinstance(json_lines(out)[0], dict)
    _, after, _ = run(capsys, "stories", "--db", str(db), "--json", "--min-articles", "1", "--limit", "50")

    def groups(text: str) -> list[tuple]:
        return sorted(
            (s["first_url"], s["article_count"], tuple(sorted(s["sources"]))) for s in json_lines(text)
        )

    assert groups(after) == groups(before)


# --- newsarchive search --stories ------------------------------------------------------------------


def test_search_stories_shows_each_story_once_by_its_best_article(story_db, capsys):
    word = A[0].split()[0]
    _, plain, _ = run(capsys, "search", word, "--db", str(story_db), "--json", "--limit", "50")
    hits = json_lines(plain)
    code, out, err = run(
        capsys, "search", word, "--db", str(story_db), "--json", "--stories", "--limit", "50"
    )
    assert code == 0, err
    stories = json_lines(out)
    # Each story once, by its best-ranked hit: the first of its articles in the plain ranking.
    best: dict[str, dict] = {}
    for hit in hits:
        best.setdefault(STORY_OF[hit["url"]], hit)
    assert [(story["story_id"], story["url"]) for story in stories] == [
        (story_id, hit["url"]) for story_id, hit in best.items()
    ]
    assert STORY_A in best and len(best) < len(hits)
    [line_a] = [story for story in stories if story["story_id"] == STORY_A]
    assert line_a["snippet"] == best[STORY_A]["snippet"]
    assert line_a["story_articles"] == 3 and sorted(line_a["story_sources"]) == ["digiato", "itna", "zoomit"]


def test_search_stories_as_text_and_limit(story_db, capsys):
    word = A[0].split()[0]
    code, out, _ = run(capsys, "search", word, "--db", str(story_db), "--stories", "--limit", "1")
    assert code == 0
    assert re.findall(r"^ +(\d+)\. ", out, re.M) == ["1"]
    code, out, _ = run(capsys, "search", word, "--db", str(story_db), "--stories", "--source", "itna")
    assert code == 0 and "3 articles from 3 sources: " in out and f"story {STORY_A}" in out
    code, _, err = run(capsys, "search", word, "--db", str(story_db), "--stories", "--source", "Itna")
    assert code == 2 and "--source 'Itna'" in err


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr is when a person runs a command."""

    def isatty(self) -> bool:
        return True


def test_rebuild_draws_a_bar_on_a_terminal_only(tmp_path, capsys, monkeypatch):
    db = build_story_archive(tmp_path / "archive.db")
    for argv, drawn in ((["--json"], True), (["--json", "--quiet"], False)):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        assert main(["stories", "--db", str(db), "--rebuild", *argv]) == 0
        assert json.loads(capsys.readouterr().out)["articles"] == len(STORED)
        assert (
            "stories" in terminal.getvalue() and f"{len(STORED)}/{len(STORED)}" in terminal.getvalue()
        ) is drawn
        assert drawn or terminal.getvalue() == ""


def test_regroup_and_rebuild_wait_for_no_one_while_another_maintenance_runs(tmp_path, capsys):
    from newsarchive.runlock import MAINTENANCE, RunLock

    db = build_story_archive(tmp_path / "archive.db")
    with RunLock(db, MAINTENANCE):
        for argv in (["--rebuild"], ["--threshold", "0.9"]):
            code, out, err = run(capsys, "stories", "--db", str(db), *argv)
            assert (code, out) == (5, "") and "another rebuild or reindex of this archive is running" in err
    assert story_sizes(capsys, db) == {"a-first": 3, "c-first": 2}  # nothing changed


def test_an_empty_list_says_how_to_see_every_story(story_db, capsys):
    code, out, _ = run(capsys, "stories", "--db", str(story_db), "--source", "itna", "--since", "2024-06-01")
    assert (code, out) == (0, "  no stories with copies (--min-articles 1 lists every story)\n")
    argv = ("stories", "--db", str(story_db), "--since", "2024-07-01", "--min-articles", "1")
    assert run(capsys, *argv)[:2] == (0, "  no stories\n")
