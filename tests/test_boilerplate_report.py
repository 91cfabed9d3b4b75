"""What the extraction leaves out of a body is counted by rule, for the crawl's report."""

from parsel import Selector

from newsarchive.extract import extract_article

TEXT = "<p>" + "متن خبر درباره گوشی تازه و 5G است. " * 20 + "</p>"
PAGE = f"""<html><head><title>t</title><script src="https://cdn.yektanet.com/js/x.js"></script></head><body><article>
<h1>عنوان خبر آزمایشی درباره گوشی</h1><div class="content">{TEXT}
<div class="digiAds"><a href="https://ad.example/x">خرید</a></div>
<div class="yn-article-display"><script>window.yektanet = 1;</script></div>
<p>ما را در تلگرام دنبال کنید</p>
<ul><li><a href="/mobile/a">خبر یک</a></li><li><a href="/mobile/b">خبر دو</a></li><li><a href="/mobile/c">خبر سه</a></li></ul>
{TEXT}<p>**</p></div></article></body></html>"""


def test_every_rule_that_left_a_block_out_is_counted():
    article = extract_article(Selector(text=PAGE), "https://example.ir/news/1")
    assert article["body"].count("متن خبر") == 40 and "تلگرام" not in article["body"]
    removed = article["boilerplate"]
    assert removed["lexicon"] == 1 and removed["links"] == 1 and removed["echoes"] == 1
    assert removed.get("class-words", 0) + removed.get("ad-network", 0) == 2


def test_a_clean_page_reports_nothing_removed():
    html = f"<html><body><article><h1>عنوان خبر آزمایشی</h1><div>{TEXT}{TEXT}</div></article></body></html>"
    assert extract_article(Selector(text=html), "https://example.ir/news/2")["boilerplate"] == {}
