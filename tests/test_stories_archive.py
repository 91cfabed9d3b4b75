"""Stories in the archive: every stored article gets one in its own transaction, copies on other
sites join it (the first publisher named), two stories merge when an article links them, a
deletion splits them again, and regrouping or rebuilding gives the same groups without a crawl."""

import json

import numpy as np
import pytest
import sqlite_utils
from test_archive import article
from test_stories import BODIES, BODY, paragraphs

from newsarchive.archive import MIGRATIONS, SCHEMA_VERSION, Archive, article_id
from newsarchive.archive.stories import BOILERPLATE_ARTICLES
from newsarchive.archive.vocabulary import UnknownNames
from newsarchive.stories import EXACT, NEAR, NEAR_THRESHOLD, SHARED
from newsarchive.stories.index import Candidate
from newsarchive.templates import template_blocks

ZWNJ = "\u200c"
#: Eleven paragraphs of about the same length, each from another report.
PARTS = [" ".join(paragraphs(body))[:320] for body in BODIES[5:16]]


def copy(body: str) -> str:
    """Another site's copy: ZWNJ typed as spaces, Arabic letters, a paragraph added."""
    edited = body.replace(ZWNJ, " ").replace("ی", "ي")
    return edited + "\n\nبه گزارش خبرنگار ما، این خبر در شبکه‌های اجتماعی بازتاب زیادی داشته است."


def item(url: str, body: str, *, source: str = "digiato", published: str = "2024-05-04T06:45:00Z", **more):
    return article(
        **{
            "title": f"خبر {url[-2:]}",
            **more,
            "url": url,
            "body": body,
            "source": source,
            "published_at": published,
        }
    )


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "a.db") as opened:
        yield opened


def story_of(archive, url):
    return archive.find_article(url)["story_id"]


def test_every_article_is_a_story_and_copies_join_the_first(archive):
    archive.store_article(item("https://digiato.com/a1", BODY, published="2024-05-04T08:00:00Z"))
    archive.store_article(
        item("https://zoomit.ir/b1", copy(BODY), source="zoomit", published="2024-05-04T07:00:00Z")
    )
    archive.store_article(item("https://itna.ir/c1", BODIES[20], source="itna"))

    first = article_id("https://digiato.com/a1")
    assert story_of(archive, "https://zoomit.ir/b1") == story_of(archive, "https://digiato.com/a1") == first
    assert story_of(archive, "https://itna.ir/c1") == article_id("https://itna.ir/c1")
    assert archive.db["stories"].count == 2

    story = archive.story(first)
    # Stored first by digiato, published first by zoomit: the story names who was first.
    assert story["first_source"] == "zoomit" and story["first_url"] == "https://zoomit.ir/b1"
    assert story["first_published_at"] == "2024-05-04T07:00:00Z" and story["sources"] == ["zoomit", "digiato"]
    assert story["article_count"] == 2 and story["title"] == "خبر b1"
    assert [(a["source"], a["kind"]) for a in story["articles"]] == [("zoomit", None), ("digiato", NEAR)]
    assert NEAR_THRESHOLD <= story["articles"][1]["similarity"] < 1

    (pair,) = archive.db["story_pairs"].rows
    assert pair["kind"] == NEAR and pair["same_site"] == 0
    assert {pair["article_id"], pair["other_id"]} == {first, article_id("https://zoomit.ir/b1")}
    assert archive.story("no-such-story") is None


def test_a_copy_on_the_same_site_is_flagged(archive):
    archive.store_article(item("https://digiato.com/a1", BODY))
    archive.store_article(item("https://digiato.com/amp/a1", BODY.replace(ZWNJ, " ")))
    (pair,) = archive.db["story_pairs"].rows
    assert pair["kind"] == EXACT and pair["similarity"] == 1.0 and pair["same_site"] == 1
    assert story_of(archive, "https://digiato.com/amp/a1") == article_id("https://digiato.com/a1")


def test_copies_on_one_site_stay_exact_when_their_paragraphs_count_as_boilerplate(archive):
    # Each AMP or print copy counts the page's short paragraphs again: the last copies see
    # them as the site's boilerplate, and are still exact copies of the first.
    for number in range(BOILERPLATE_ARTICLES + 1):
        archive.store_article(
            item(f"https://digiato.com/a1/v{number}", BODY, template_blocks=template_blocks(BODY))
        )
    assert {row["kind"] for row in archive.db["story_pairs"].rows} == {EXACT}
    assert archive.db["stories"].count == 1


def test_an_article_linking_two_stories_merges_them_into_the_older(archive):
    # A and B share three of seven parts (a shared source at most, not a copy); C five with each.
    a, b, c = "\n\n".join(PARTS[0:7]), "\n\n".join(PARTS[4:11]), "\n\n".join(PARTS[2:9])
    archive.store_article(item("https://digiato.com/a", a))
    archive.store_article(item("https://zoomit.ir/b", b, source="zoomit"))
    assert {row["kind"] for row in archive.db["story_pairs"].rows} <= {SHARED}
    assert archive.db["stories"].count == 2

    archive.store_article(item("https://itna.ir/c", c, source="itna"))
    older = article_id("https://digiato.com/a")
    assert {story_of(archive, f"https://{u}") for u in ("digiato.com/a", "zoomit.ir/b", "itna.ir/c")} == {
        older
    }
    assert [row["id"] for row in archive.db["stories"].rows] == [older]
    assert archive.story(older)["article_count"] == 3

    # Without C, nothing links A and B: deleting it splits the story again.
    archive.delete_articles(["https://itna.ir/c"])
    assert story_of(archive, "https://zoomit.ir/b") == article_id("https://zoomit.ir/b")
    assert story_of(archive, "https://digiato.com/a") == older
    assert {row["id"]: row["article_count"] for row in archive.db["stories"].rows} == {
        older: 1,
        article_id("https://zoomit.ir/b"): 1,
    }
    assert all(
        article_id("https://itna.ir/c") not in (p["article_id"], p["other_id"])
        for p in archive.db["story_pairs"].rows
    )
    assert archive.db["story_signatures"].count == 2
    assert archive.db.execute("select count(distinct signature_id) from story_bands").fetchone()[0] == 2


def test_a_quoted_release_is_a_shared_source_not_a_story(archive):
    quote = "\n\n".join(paragraphs(BODY)[:2])
    archive.store_article(item("https://digiato.com/q1", "\n\n".join([*PARTS[0:4], quote])))
    archive.store_article(item("https://zoomit.ir/q2", "\n\n".join([quote, *PARTS[6:10]]), source="zoomit"))
    (pair,) = archive.db["story_pairs"].rows
    assert pair["kind"] == SHARED and pair["same_site"] == 0, pair
    assert archive.db["stories"].count == 2


def test_deleting_the_first_article_renames_the_story_after_the_next(archive):
    archive.store_article(item("https://digiato.com/a1", BODY))
    archive.store_article(item("https://zoomit.ir/b1", copy(BODY), source="zoomit"))
    archive.store_article(item("https://itna.ir/c1", BODY, source="itna"))
    archive.delete_articles(["https://digiato.com/a1"])
    second = article_id("https://zoomit.ir/b1")
    assert story_of(archive, "https://itna.ir/c1") == story_of(archive, "https://zoomit.ir/b1") == second
    (story,) = archive.db["stories"].rows
    # Published at the same time: the sources in name order.
    assert (
        story["id"] == second
        and story["article_count"] == 2
        and json.loads(story["sources"]) == ["itna", "zoomit"]
    )
    archive.delete_articles(["https://zoomit.ir/b1", "https://itna.ir/c1"])
    assert (
        archive.db["stories"].count == archive.db["story_pairs"].count == archive.db["story_bands"].count == 0
    )


def test_regroup_cuts_again_from_the_pairs_alone(archive):
    # B keeps four of A's six parts (a near copy, about 0.67); C is A respelled (exact).
    a, b = "\n\n".join(PARTS[0:6]), "\n\n".join(PARTS[2:8])
    archive.store_article(item("https://digiato.com/a", a))
    archive.store_article(item("https://zoomit.ir/b", b, source="zoomit"))
    archive.store_article(item("https://itna.ir/c", a.replace(ZWNJ, " "), source="itna"))
    first = article_id("https://digiato.com/a")
    assert archive.db["stories"].count == 1

    # No text is read: the bodies could be gone and the regroup would be the same.
    archive.db.execute("update articles set body = ''")
    report = archive.regroup_stories(0.8)
    assert report == {"threshold": 0.8, "articles": 3, "stories": 2, "moved": 1}
    assert archive.story_cutoff() == 0.8
    assert story_of(archive, "https://zoomit.ir/b") == article_id("https://zoomit.ir/b")
    assert story_of(archive, "https://itna.ir/c") == first
    assert archive.regroup_stories(NEAR_THRESHOLD)["moved"] == 1
    assert story_of(archive, "https://zoomit.ir/b") == first

    archive.regroup_stories(0.99)
    # Later stores use the archive's cut-off: an exact copy still joins, an edited one not.
    archive.store_article(item("https://peivast.com/d", a, source="peivast"))
    archive.store_article(item("https://vigiato.net/e", copy(a), source="vigiato"))
    assert story_of(archive, "https://peivast.com/d") == first
    assert story_of(archive, "https://vigiato.net/e") == article_id("https://vigiato.net/e")

    for wrong in (0.01, 1.5, -1):
        with pytest.raises(ValueError, match="threshold must be between"):
            archive.regroup_stories(wrong)


def store_corpus(archive) -> int:
    """Copies, edits, a merge, a story copied more times than a bucket read holds, a
    lead-only and a too-short article, briefs sharing a footer; returns how many. (Without
    template counts: a rebuild applies the counts of its time, the stores applied theirs.)"""
    bodies = [BODY, copy(BODY), *BODIES[20:30], copy(BODIES[22]), "\n\n".join(paragraphs(BODIES[25])[1:])]
    bodies += ["\n\n".join(PARTS[0:6]), "\n\n".join(PARTS[4:10]), "\n\n".join(PARTS[2:8])]
    bodies += [BODIES[30]] * 25 + ["", "خبر کوتاه"]
    bodies += ["\n\n".join([brief, *FOOTER]) for brief in BRIEFS]
    for number, body in enumerate(bodies):
        archive.store_article(
            item(
                f"https://digiato.com/n{number:02}",
                body,
                published=f"2024-05-{number % 28 + 1:02}T06:{number % 60:02}:00Z",
                lead=f"لید شماره {number} این خبر که تنها متن آن است وقتی متنی ندارد",
            )
        )
    return len(bodies)


def story_state(archive):
    stories = dict(archive.db.execute("select id, story_id from articles").fetchall())
    pairs = set(
        archive.db.execute("select article_id, other_id, similarity, kind, same_site from story_pairs")
    )
    rows = {
        row["id"]: (row["article_count"], row["first_article_id"], row["sources"], row["title"])
        for row in archive.db["stories"].rows
    }
    signatures = set(
        archive.db.execute("select article_id, minhash, shingles, text_key from story_signatures")
    )
    return stories, pairs, rows, signatures


@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_rebuild_finds_what_the_incremental_assignment_found(archive, workers):
    count = store_corpus(archive)
    incremental = story_state(archive)
    stories, pairs, _, _ = incremental
    assert len(set(stories.values())) < count - 25 and len(pairs) >= 300
    bands = archive.db["story_bands"].count
    # Nothing of the old state is read: stale ids and a lost pair are found again.
    archive.db.execute("update articles set story_id = 'stale' where rowid % 2 = 0")
    archive.db.execute("delete from story_pairs where rowid = 1")
    progress = []
    report = archive.rebuild_stories(lambda done, total: progress.append((done, total)), workers=workers)
    assert story_state(archive) == incremental and archive.db["story_bands"].count == bands
    assert report == {"articles": count, "stories": len(incremental[2]), "pairs": len(pairs)}
    assert progress[-1] == (count, count)


def test_a_rebuild_leaves_out_the_boilerplate_learned_since(archive, monkeypatch):
    monkeypatch.setattr("newsarchive.archive.stories.BOILERPLATE_ARTICLES", 10**9)
    assert briefs_with_a_footer(archive)  # stored before the footer counted as boilerplate
    monkeypatch.undo()
    archive.rebuild_stories(workers=1)
    assert archive.db["story_pairs"].count == 0 and archive.db["stories"].count == len(BRIEFS)


def test_a_rolled_back_store_leaves_no_story(archive):
    archive.store_article(item("https://digiato.com/a1", BODY))
    with pytest.raises(RuntimeError), archive.write():
        archive.store_article(item("https://zoomit.ir/b1", copy(BODY), source="zoomit"))
        archive.store_article(item("https://itna.ir/c1", BODIES[20], source="itna"))
        raise RuntimeError("the crawl stops")
    assert archive.count() == archive.db["stories"].count == archive.db["story_signatures"].count == 1
    assert archive.db["story_pairs"].count == 0
    assert archive.story(article_id("https://digiato.com/a1"))["article_count"] == 1


def test_a_failure_while_assigning_stores_nothing(archive, monkeypatch):
    def broken(self, article_id, stories):  # after the signature and its bands are written
        raise OSError("disk gone")

    monkeypatch.setattr(Archive, "_join_stories", broken)
    with pytest.raises(OSError):
        archive.store_article(item("https://digiato.com/a1", BODY))
    assert archive.count() == archive.db["story_signatures"].count == archive.db["story_bands"].count == 0


def test_a_changed_text_moves_the_article_to_its_new_story(archive):
    archive.store_article(item("https://digiato.com/a1", BODY))
    archive.store_article(item("https://zoomit.ir/b1", copy(BODY), source="zoomit"))
    # The page was corrected into another report entirely: it leaves the story.
    assert archive.save_article(item("https://zoomit.ir/b1", BODIES[20], source="zoomit")) == "updated"
    assert story_of(archive, "https://zoomit.ir/b1") == article_id("https://zoomit.ir/b1")
    assert archive.story(article_id("https://digiato.com/a1"))["article_count"] == 1
    assert archive.db["story_pairs"].count == 0
    # Only the title changed: same story, its row follows.
    archive.save_article(item("https://digiato.com/a1", BODY, title="عنوان تازه"), refresh=True)
    assert archive.story(article_id("https://digiato.com/a1"))["title"] == "عنوان تازه"
    assert archive.save_article(item("https://digiato.com/a1", BODY, title="عنوان تازه")) == "unchanged"


def test_bulk_insert_gives_stories_too(archive):
    items = [item("https://digiato.com/a1", BODY), item("https://zoomit.ir/b1", copy(BODY), source="zoomit")]
    items += [item(f"https://itna.ir/c{n}", body, source="itna") for n, body in enumerate(BODIES[20:25])]
    assert archive.bulk_insert(items, batch_size=3) == 7
    assert story_of(archive, "https://zoomit.ir/b1") == article_id("https://digiato.com/a1")
    assert archive.db["stories"].count == 6
    assert archive.db.execute("select count(*) from articles where story_id is null").fetchone()[0] == 0


def test_bulk_insert_without_stories_then_one_rebuild_gives_the_same_stories(archive, tmp_path):
    items = [item("https://digiato.com/a1", BODY), item("https://zoomit.ir/b1", copy(BODY), source="zoomit")]
    items += [item(f"https://itna.ir/c{n}", body, source="itna") for n, body in enumerate(BODIES[20:25])]
    archive.bulk_insert(items, batch_size=3)
    with Archive(tmp_path / "later.db") as later:
        assert later.bulk_insert(items, batch_size=3, stories=False) == 7
        assert later.db.execute("select count(*) from articles where story_id is null").fetchone()[0] == 7
        assert later.db["story_signatures"].count == later.db["stories"].count == 0
        later.rebuild_stories(workers=1)
        stories = "select id, story_id from articles order by id"
        assert later.db.execute(stories).fetchall() == archive.db.execute(stories).fetchall()
        pairs = "select article_id, other_id, kind, round(similarity, 6) from story_pairs order by 1, 2"
        assert later.db.execute(pairs).fetchall() == archive.db.execute(pairs).fetchall()
        assert later.db["stories"].count == archive.db["stories"].count == 6


FOOTER = [
    "برای دریافت آخرین اخبار فناوری، ما را در تلگرام و اینستاگرام دنبال کنید.",
    "انتشار این مطلب با ذکر منبع و لینک مستقیم به آن بلامانع است.",
]
BRIEFS = [
    "اپل نسخه تازه سیستم عامل آیفون را منتشر کرد و چند حفره امنیتی را بست.",
    "سامسونگ از گوشی تاشوی جدید خود با باتری بزرگ‌تر رونمایی کرد.",
    "گوگل قابلیت تازه‌ای برای جستجوی تصویری در کروم فعال کرده است.",
    "مایکروسافت به‌روزرسانی ویندوز را به دلیل یک خطای چاپ متوقف کرد.",
    "شیائومی فروش ساعت هوشمند تازه‌اش را در بازار اروپا آغاز کرد.",
    "اینتل پردازنده‌های تازه لپ‌تاپ را با مصرف انرژی کمتر معرفی کرد.",
    "تلگرام امکان ویرایش پیام‌های زمان‌بندی‌شده را به کاربران داد.",
    "همراه اول بسته‌های اینترنت شبانه را با قیمت تازه عرضه کرد.",
]
#: The briefs stored after the footer was counted in enough articles to be boilerplate.
LATER = range(BOILERPLATE_ARTICLES - 1, len(BRIEFS))


def briefs_with_a_footer(archive) -> set[str]:
    """Short, unrelated reports of one site with its two standard paragraphs; the ids of the
    articles stored once the footer counted as boilerplate that are in a pair."""
    for number, brief in enumerate(BRIEFS):
        body = "\n\n".join([brief, *FOOTER])
        # As the crawl's template pipeline hands them: the body's short paragraphs, counted per source.
        archive.store_article(
            item(f"https://digiato.com/b{number}", body, template_blocks=template_blocks(body))
        )
    later = {article_id(f"https://digiato.com/b{n}") for n in LATER}
    return later & {row["article_id"] for row in archive.db["story_pairs"].rows}


def test_a_site_s_learned_boilerplate_never_pairs_its_articles(archive):
    # Once enough articles carried the footer it is the site's boilerplate, left out.
    assert briefs_with_a_footer(archive) == set()
    assert archive.db["stories"].count >= len(LATER)


def test_without_the_guard_the_footer_would_join_them(archive, monkeypatch):
    monkeypatch.setattr("newsarchive.archive.stories.BOILERPLATE_ARTICLES", 10**9)
    assert briefs_with_a_footer(archive)
    assert {row["kind"] for row in archive.db["story_pairs"].rows} == {NEAR}


def test_kept_shingles_follow_the_text_and_the_site_s_boilerplate(archive):
    """A candidate's shingles are kept for the next measure only while its text and its
    source's boilerplate among its paragraphs are what they were."""

    def candidate(url):
        key = archive.db.execute(
            "select text_key from story_signatures where article_id = ?", [article_id(url)]
        ).fetchone()[0]
        return Candidate(article_id(url), "digiato", None, b"", 0, key)

    def fresh(url):
        return archive._story_shingles(article_id(url)).hashes

    first = "https://digiato.com/b0"
    archive.store_article(
        item(
            first,
            "\n\n".join([BRIEFS[0], *FOOTER]),
            template_blocks=template_blocks("\n\n".join([BRIEFS[0], *FOOTER])),
        )
    )
    # Kept by its own assignment, as a later measure would read them.
    assert np.array_equal(archive._shingles_kept.get(article_id(first)).hashes, fresh(first))
    reads = []
    archive._story_shingles = lambda id_: reads.append(id_) or type(archive)._story_shingles(archive, id_)
    whole = archive._candidate_shingles(candidate(first))
    assert not reads  # kept: not read again
    assert np.array_equal(whole, fresh(first))
    briefs_with_a_footer(archive)  # the footer becomes the site's boilerplate
    without_footer = archive._candidate_shingles(candidate(first))
    assert np.array_equal(without_footer, fresh(first)) and len(without_footer) < len(whole)
    archive.save_article(item(first, BODIES[20]))
    assert np.array_equal(archive._candidate_shingles(candidate(first)), fresh(first))
    assert len(fresh(first)) > len(whole)


def test_stories_lists_the_latest_with_filters(archive):
    archive.store_article(item("https://digiato.com/a1", BODY, published="2024-03-01T08:00:00Z"))
    archive.store_article(
        item("https://zoomit.ir/b1", copy(BODY), source="zoomit", published="2024-03-02T08:00:00Z")
    )
    archive.store_article(
        item("https://itna.ir/c1", BODIES[20], source="itna", published="2024-04-01T08:00:00Z")
    )
    listed = archive.stories()
    assert [s["first_source"] for s in listed] == ["itna", "digiato"]
    assert set(listed[1]) >= {
        "id",
        "title",
        "first_published_at",
        "first_source",
        "first_url",
        "sources",
        "article_count",
        "updated_at",
    }
    assert (
        listed[1]["sources"] == ["digiato", "zoomit"] and listed[1]["first_url"] == "https://digiato.com/a1"
    )
    assert [s["article_count"] for s in archive.stories(min_articles=2)] == [2]
    assert [s["first_source"] for s in archive.stories(source="zoomit")] == ["digiato"]
    assert [s["first_source"] for s in archive.stories(until="2024-03-15")] == ["digiato"]
    assert [s["first_source"] for s in archive.stories(since="1403-01-01")] == ["itna"]  # 2024-03-20
    assert len(archive.stories(limit=1)) == 1
    with pytest.raises(UnknownNames):
        archive.stories(source="Zoomit")
    with pytest.raises(ValueError):
        archive.stories(limit=0)


def test_the_migration_is_cheap_and_a_rebuild_fills_an_old_archive(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:8]:
        migration(db)
    db.execute("PRAGMA user_version = 8")
    for url, body in (("https://digiato.com/a1", BODY), ("https://zoomit.ir/b1", copy(BODY))):
        record = {**Archive._record(item(url, body)), **Archive._search_forms(item(url, body))}
        db["articles"].insert({**record, "id": article_id(url), "first_seen_at": "x", "last_fetched_at": "x"})
    db.conn.commit()
    db.close()
    with Archive(path) as archive:
        assert archive.schema_version() == SCHEMA_VERSION >= 9
        assert archive.db["stories"].count == 0 and archive.stories() == []
        assert archive.rebuild_stories() == {"articles": 2, "stories": 1, "pairs": 1}
        assert story_of(archive, "https://zoomit.ir/b1") == article_id("https://digiato.com/a1")


def test_kept_shingles_keep_the_newest_up_to_their_limit_and_survive_a_failing_disk(caplog):
    from newsarchive.archive.story_shingles import KeptShingles, StoryShingles

    kept = KeptShingles(limit=3)
    for number in range(5):
        hashes = np.arange(number, number + 20, dtype=np.uint32)
        kept.put(f"a{number}", StoryShingles(f"k{number}", ("b1", "b2"), ("b2",), hashes))
    assert len(kept) == 3 and kept.get("a0") is None and kept.get("a1") is None
    newest = kept.get("a4")
    assert newest.key == "k4" and newest.blocks == ("b1", "b2") and newest.standard == ("b2",)
    assert np.array_equal(newest.hashes, np.arange(4, 24, dtype=np.uint32))
    kept._conn.execute("drop table kept")  # the temporary file lost: measures read again
    assert kept.get("a4") is None and "no longer kept" in caplog.text
    kept.put("a5", newest)
    assert kept.get("a5") is None and len(kept) == 0
