"""Template learning: paragraphs a source repeats across articles leave the body (newsarchive.templates)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT
from test_archive import article

from newsarchive.archive import Archive
from newsarchive.templates import MAX_TEMPLATE_CHARS, block_key, strip_template, template_blocks

PROMPT = "برای دریافت آخرین اخبار فناوری ما را در اینستاگرام دنبال کنید."
SIGNATURE = "گزارش از تحریریه فناوری؛ انتهای پیام"


def body(number: int, *template: str) -> str:
    own = [
        f"پاراگراف نخست خبر شماره {number} درباره گوشی‌های تازه و 5G است.",
        f"پاراگراف دوم خبر {number} با جزئیات iOS 17.2 و قیمت‌ها.",
    ]
    return "\n\n".join([own[0], *template, own[1]])


def test_keys_fold_spelling_variants_and_skip_long_paragraphs():
    assert block_key("ما را در تلگرام دنبال کنيد") == block_key("ما  را در تلگرام دنبال کنید")
    assert block_key("کد خبر: ۱۷۳۰۲") == block_key("کد خبر: 17302")
    assert block_key("ا" * (MAX_TEMPLATE_CHARS + 1)) is None
    assert list(template_blocks(body(1, PROMPT, PROMPT)).values()).count(PROMPT) == 1


def test_learned_paragraphs_leave_the_body_and_the_rest_stays_exactly():
    learned = template_blocks(PROMPT)
    cleaned, removed = strip_template(body(7, PROMPT), learned)
    assert removed == 1 and cleaned == body(7)
    assert "\u200c" in cleaned and "iOS 17.2" in cleaned and "5G" in cleaned
    assert strip_template(PROMPT, learned) == (PROMPT, 0)  # never empties an article
    assert strip_template(body(7), learned) == (body(7), 0)


def test_the_pipeline_keys_each_paragraph_once_for_counting_and_stripping(tmp_path, monkeypatch):
    from scrapy.utils.test import get_crawler

    import newsarchive.templates as templates
    from newsarchive.pipelines import TemplatePipeline

    settings = {"NEWSARCHIVE_DB": str(tmp_path / "a.db"), "NEWSARCHIVE_TEMPLATE_MIN_ARTICLES": 5}
    pipeline = TemplatePipeline(get_crawler(settings_dict=settings))
    pipeline.learned["digiato"] = template_blocks(PROMPT)
    keyed = []
    monkeypatch.setattr(
        templates, "block_key", lambda paragraph: keyed.append(paragraph) or block_key(paragraph)
    )
    item = pipeline.process_item({"source": "digiato", "body": body(3, PROMPT, SIGNATURE)})
    assert sorted(keyed) == sorted(templates.paragraphs(body(3, PROMPT, SIGNATURE)))
    assert item["body"] == body(3, SIGNATURE)
    assert item["template_blocks"] == template_blocks(body(3, PROMPT, SIGNATURE))


def test_the_archive_counts_each_new_article_once_per_source(tmp_path):
    with Archive(tmp_path / "a.db") as archive:
        for number in range(4):
            item = article(url=f"https://digiato.com/mobile/n{number}", body=body(number, PROMPT))
            archive.save_article({**item, "template_blocks": template_blocks(item["body"])})
            archive.save_article(
                {**item, "template_blocks": template_blocks(item["body"])}
            )  # unchanged: not again
        other = article(url="https://zoomit.ir/mobile/z", source="zoomit", body=body(9, PROMPT))
        archive.save_article({**other, "template_blocks": template_blocks(other["body"])})
        assert archive.template_blocks("digiato", 5) == {}
        item = article(url="https://digiato.com/mobile/n5", body=body(5, PROMPT))
        archive.save_article({**item, "template_blocks": template_blocks(item["body"])})
        assert list(archive.template_blocks("digiato", 5).values()) == [PROMPT]
        assert archive.template_blocks("zoomit", 5) == {}
        assert "template_blocks" not in archive.find_article(item["url"])


@pytest.mark.slow
def test_a_crawl_removes_what_the_archive_learned_and_runs_report_it(tmp_path, replay_server):
    """Teach the archive that a line of one mirror article is template, crawl, and find it gone."""
    from conftest import load_expected, scrapy_crawl

    expected = load_expected("digiato.json")
    target = next(e for e in expected if e["url"].endswith("ios-17-2-released-with-journal-app"))
    line = target["body"].split("\n\n")[0]
    db = tmp_path / "archive.db"
    with Archive(db) as archive:
        key = block_key(line)
        archive.db["template_blocks"].insert(
            {
                "source": "digiato",
                "block": key,
                "text": line,
                "articles": 9,
                "first_seen_at": "2024-01-01T00:00:00Z",
                "last_seen_at": "2024-01-01T00:00:00Z",
            }
        )
    scrapy_crawl("digiato", db, replay_server.url)
    with Archive(db, readonly=True) as archive:
        stored = archive.find_article(target["url"])
        assert line not in stored["body"] and stored["body"] == target["body"].split("\n\n", 1)[1]
        run = archive.runs(1)[0]
        removed = json.loads(run["boilerplate"])
        assert (
            removed["template"] == 1 and removed["site-noise"] > 0
        )  # the mirror's ads, by the site's noise rules
    runs = subprocess.run(
        [sys.executable, "-m", "newsarchive", "runs", "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "boilerplate blocks removed: " in runs.stdout and "template 1" in runs.stdout
    assert f"site-noise {removed['site-noise']}" in runs.stdout
