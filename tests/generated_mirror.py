"""A generated Digiato mirror: N article pages of realistic size, for the benchmarks and the tests.

The fault tests (``tests/test_faults_process.py``) crawl it; ``bench/`` builds its large
mirrors with it through ``bench/mirror.py``.

The pages copy the structure of the recorded Digiato pages in ``tests/mirror/digiato.com``
(the 2021 ``digi-container`` design for 2019-2021, the ``dailyNewsPageHead`` design with
``/article/YYYY/MM/DD/`` URLs for 2022 and ``/<category>/<slug>`` URLs from 2023), with
varied Persian text, and are padded to 80-150 KB each the way real pages are: inline
critical CSS, a JSON state blob, analytics and ad scripts, an SVG sprite, a mega menu,
sidebar widgets, comments and related-post cards.

Text comes from an order-2 Markov chain over the words of the recorded pages of every
site (``tests/expected/*.json``), so it has the vocabulary of Persian tech news (ZWNJ
words, Persian digits, Latin product names) without repeating whole sentences.

Pages are numbered by *rank*: rank 0 is the newest article, rank k is about k * 167
minutes older, and negative ranks are articles published after the mirror was made
(the "new articles" of a scheduled run). A mirror of N pages is ranks 0..N-1, so every
mirror shares one pool of page files. Everything is deterministic given the seed: page
k is generated from ``random.Random(f"{seed}:{k}")``.

On disk (under :func:`bench_dir`, never in the repository)::

    pool-s<seed>-v<version>/digiato.com/<path>        article pages (shared by all mirrors)
    site-<N>[+<new>]-s<seed>-v<version>/digiato.com/  robots.txt, sitemaps, feed, listings

and :class:`GeneratedMirror` names both roots for the static server (``tests/static_server.py``),
the site files first.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import quote, unquote

from newsarchive.persian import normalize
from newsarchive.persian.dates import TEHRAN, gregorian_to_jalali

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_DIR = ROOT / "tests" / "expected"
#: Bump when the generated pages change, so cached mirrors are rebuilt.
VERSION = 1
DEFAULT_SEED = 1403
HOST = "digiato.com"
BASE = f"https://{HOST}"
#: The newest generated article (rank 0) is published at this moment.
END = datetime(2025, 6, 1, 8, 30, tzinfo=UTC)
STEP_MINUTES = 167
PER_SITEMAP = 1000
PER_LISTING = 20
LISTING_PAGES = 10
FEED_ITEMS = 20
SIZE_RANGE = (80_000, 150_000)

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
MONTHS = (
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
)
CATEGORIES = (
    ("mobile", "موبایل", "tech", "تکنولوژی"),
    ("artificial-intelligence", "هوش مصنوعی", "tech", "تکنولوژی"),
    ("computers-hardware", "سخت‌افزار", "tech", "تکنولوژی"),
    ("apps", "اپلیکیشن و نرم‌افزار", "tech", "تکنولوژی"),
    ("iran-technology-news", "فناوری ایران", "tech", "تکنولوژی"),
    ("security", "امنیت", "tech", "تکنولوژی"),
    ("cryptocurrency", "رمزارز", "business", "کسب و کار"),
    ("startups", "استارتاپ", "business", "کسب و کار"),
    ("energy", "انرژی", "science", "علم و دانش"),
    ("space", "فضا", "science", "علم و دانش"),
    ("car-news", "اخبار خودرو", "car", "خودرو"),
    ("electric-vehicles", "خودروهای برقی", "car", "خودرو"),
    ("gaming", "بازی", "entertainment", "سرگرمی"),
)
AUTHORS = (
    ("amirhossein-rahmani", "امیرحسین رحمانی"),
    ("zahra-maleki", "زهرا ملکی"),
    ("ali-akbari", "علی اکبری"),
    ("maryam-rezaei", "مریم رضایی"),
    ("sara-ahmadi", "سارا احمدی"),
    ("hossein-babapour", "حسین باباپور"),
    ("niloufar-karimi", "نیلوفر کریمی"),
    ("keyvan-niknam", "کیوان نیک‌نام"),
    ("reza-amiri", "رضا امیری"),
    ("mohammadjavad-mohammadi", "محمدجواد محمدی"),
)
TAGS = (
    ("apple", "اپل"),
    ("samsung", "سامسونگ"),
    ("iphone", "آیفون"),
    ("android", "اندروید"),
    ("google", "گوگل"),
    ("microsoft", "مایکروسافت"),
    ("intel", "اینتل"),
    ("nvidia", "انویدیا"),
    ("telegram", "تلگرام"),
    ("chatgpt", "ChatGPT"),
    ("5g", "5G"),
    ("bitcoin", "بیت‌کوین"),
    ("tesla", "تسلا"),
    ("xiaomi", "شیائومی"),
    ("internet", "اینترنت"),
    ("filtering", "فیلترینگ"),
    ("startup", "استارتاپ"),
    ("smartphone", "گوشی هوشمند"),
)
SLUG_WORDS = [
    "apple",
    "samsung",
    "galaxy",
    "iphone",
    "pixel",
    "google",
    "android",
    "ios",
    "update",
    "released",
    "unveiled",
    "launch",
    "price",
    "leak",
    "report",
    "new",
    "first",
    "ai",
    "chatgpt",
    "openai",
    "nvidia",
    "intel",
    "amd",
    "processor",
    "chip",
    "battery",
    "camera",
    "display",
    "review",
    "test",
    "market",
    "iran",
    "internet",
    "filtering",
    "operator",
    "irancell",
    "hamrah-aval",
    "startup",
    "funding",
    "crypto",
    "bitcoin",
    "tesla",
    "electric",
    "car",
    "satellite",
    "space",
    "nasa",
    "study",
    "scientists",
    "security",
    "hack",
    "data",
    "privacy",
    "app",
    "telegram",
    "whatsapp",
    "instagram",
    "game",
    "console",
    "playstation",
    "xbox",
    "windows",
    "microsoft",
    "laptop",
    "tablet",
    "watch",
    "feature",
    "sales",
    "record",
]
COMMENTERS = ("پریا", "سامان", "علی", "مهسا", "رضا", "نگار", "کاربر مهمان", "حمید", "سینا", "الهام")


def bench_dir() -> Path:
    """Where generated data is cached: ``$NEWSARCHIVE_BENCH_DIR`` or ``<tmp>/newsarchive-bench``."""
    path = Path(os.environ.get("NEWSARCHIVE_BENCH_DIR") or Path(tempfile.gettempdir()) / "newsarchive-bench")
    path.mkdir(parents=True, exist_ok=True)
    return path


def fa_digits(value: object) -> str:
    return str(value).translate(PERSIAN_DIGITS)


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    return html.escape(text, quote=True)


# --- text ------------------------------------------------------------------------------


@cache
def _corpus() -> tuple[dict, list]:
    """An order-2 Markov chain over the words of every recorded page, and its sentence starts."""
    texts: list[str] = []
    for path in sorted(EXPECTED_DIR.glob("*.json")):
        if path.stem.endswith("_pages"):
            continue
        for article in json.loads(path.read_text("utf-8")):
            texts += [article.get("title") or "", article.get("lead") or ""]
            texts += (article.get("body") or "").split("\n\n")
    chain: dict[tuple[str, str], list[str]] = defaultdict(list)
    starts: list[tuple[str, str]] = []
    for text in texts:
        words = text.split()
        if len(words) < 4:
            continue
        starts.append((words[0], words[1]))
        for a, b, c in zip(words, words[1:], words[2:]):
            chain[(a, b)].append(c)
        chain[(words[-2], words[-1])].append("")  # end of text
    return dict(chain), starts


def sentence(rng: random.Random, max_words: int = 40) -> str:
    chain, starts = _corpus()
    a, b = rng.choice(starts)
    words = [a, b]
    while len(words) < max_words:
        following = chain.get((a, b))
        if not following:
            break
        c = rng.choice(following)
        if not c:
            break
        words.append(c)
        a, b = b, c
        if c[-1] in ".؟!" and len(words) >= 8:
            break
    text = " ".join(words)
    return text if text[-1] in ".؟!:»)" else text + "."


def words(rng: random.Random, count: int) -> str:
    """A phrase of about ``count`` words (titles, card texts), without a final stop."""
    text = sentence(rng, count + 2).rstrip(".؟!:")
    return " ".join(text.split()[: max(count, 3)])


def paragraph_text(rng: random.Random, low: int = 2, high: int = 5) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(low, high)))


def inline_markup(rng: random.Random, text: str) -> str:
    """``text`` as HTML with a few ``<strong>`` and ``<a>`` around words (the visible text is unchanged)."""
    out = []
    for word in text.split(" "):
        roll = rng.random()
        if roll < 0.03:
            out.append(f"<strong>{esc(word)}</strong>")
        elif roll < 0.045:
            slug, _ = rng.choice(TAGS)
            out.append(f'<a href="{BASE}/label/{slug}/">{esc(word)}</a>')
        else:
            out.append(esc(word))
    return " ".join(out)


def slug_for(rng: random.Random, rank: int) -> str:
    """A URL slug, unique per rank: English words, or (5 %) Persian words as some older posts have."""
    if rng.random() < 0.05:
        text = re.sub(r"[^\w]+", "-", words(rng, 6)).strip("-")
    else:
        text = "-".join(rng.sample(SLUG_WORDS, rng.randint(3, 7)))
    return f"{text}-{rank + 100_000:x}"


# --- one article -------------------------------------------------------------------------


@dataclass
class Article:
    rank: int
    seed: int
    url: str
    path: str  # relative to the host folder, percent-decoded
    design: str  # "2021", "2022", "2023"
    title: str
    lead: str | None
    paragraphs: list[str]
    published: datetime  # UTC, minute precision
    modified: datetime
    author: tuple[str, str]
    category: tuple[str, str, str, str]
    tags: list[tuple[str, str]]
    image: str
    post_id: int
    html: str = ""

    @property
    def expected(self) -> dict:
        """What extraction must find, in the archive's display form (normalized)."""
        return {
            "url": self.url,
            "title": normalize(" ".join(self.title.split())),
            # Without a lead paragraph the newer theme's meta description (the first paragraph) is the lead.
            "lead": normalize(self.lead or self.paragraphs[0]) if self.design != "2021" else None,
            "body": normalize("\n\n".join(self.paragraphs)),
            "published_at": self.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "design": self.design,
        }


def published_at(rank: int, rng: random.Random) -> datetime:
    moment = END - timedelta(minutes=rank * STEP_MINUTES + rng.randint(0, 100))
    return moment.replace(second=0, microsecond=0)


def jalali_display(moment: datetime) -> tuple[str, str]:
    """(Jalali date, clock) as Digiato shows them, Persian digits, Tehran time."""
    local = moment.astimezone(TEHRAN)
    year, month, day = gregorian_to_jalali(local.date())
    return f"{fa_digits(day)} {MONTHS[month - 1]} {fa_digits(year)}", fa_digits(
        f"{local.hour:02d}:{local.minute:02d}"
    )


def make_article(rank: int, seed: int = DEFAULT_SEED) -> Article:
    """Article ``rank`` of the generated site, with its full HTML page."""
    rng = random.Random(f"{seed}:{rank}")
    published = published_at(rank, rng)
    modified = published + timedelta(minutes=rng.choice((0, 0, 5, 30, 90, 600, 2000)))
    design = "2021" if published.year <= 2021 else "2022" if published.year == 2022 else "2023"
    category = rng.choice(CATEGORIES)
    slug = slug_for(rng, rank)
    local = published.astimezone(TEHRAN)
    if design == "2023":
        path = f"{category[0]}/{slug}"
    else:
        path = f"article/{local.year}/{local.month:02d}/{local.day:02d}/{slug}"
    url = f"{BASE}/{quote(path)}"
    title = words(rng, rng.randint(8, 16))
    lead = paragraph_text(rng, 1, 1) if design != "2021" and rng.random() < 0.9 else None
    paragraphs: list[str] = []
    for _ in range(rng.randint(7, 18)):
        roll = rng.random()
        if roll < 0.12:
            paragraphs.append(words(rng, rng.randint(3, 8)))  # a subheading
        elif roll < 0.2:
            paragraphs += [sentence(rng, 18) for _ in range(rng.randint(2, 5))]  # a list
        else:
            paragraphs.append(paragraph_text(rng))
    kinds = []
    for text in paragraphs:  # remember how each paragraph is written (h2, li or p)
        kinds.append("h2" if len(text.split()) <= 8 and text[-1] not in ".؟!" else "p")
    year = published.year
    image = f"https://static.digiato.com/digiato/{year}/{published.month:02d}/{slug[:40]}.jpg"
    article = Article(
        rank=rank,
        seed=seed,
        url=url,
        path=path,
        design=design,
        title=title,
        lead=lead,
        paragraphs=paragraphs,
        published=published,
        modified=modified,
        author=rng.choice(AUTHORS),
        category=category,
        tags=rng.sample(TAGS, rng.randint(2, 5)),
        image=image,
        post_id=2_000_000 - rank * 7,
    )
    article.html = _page(article, rng, kinds)
    return article


# --- page pieces ---------------------------------------------------------------------------

_CSS_BLOCKS = (
    "siteHeader",
    "rowCard",
    "dailyNewsPageHead",
    "articlePost",
    "sitePage",
    "postTools",
    "mostViewed",
    "comments",
    "relatedPosts",
    "siteFooter",
    "newsletterBox",
    "breadcrumb",
    "adsBox",
    "shareBox",
    "videoCard",
    "storyBar",
    "megaMenu",
    "tagCloud",
    "podcastBox",
    "priceTable",
)
_CSS_ELEMENTS = (
    "title",
    "picture",
    "content",
    "author",
    "time",
    "label",
    "list",
    "item",
    "icon",
    "link",
    "wrapper",
    "badge",
    "overlay",
    "caption",
    "button",
    "menu",
    "submenu",
    "description",
    "tools",
)
_CSS_PROPS = (
    "display:flex",
    "display:block",
    "display:none",
    "gap:{n}px",
    "padding:{n}px {m}px",
    "margin:0 {n}px",
    "font-size:{n}px",
    "line-height:1.{n}",
    "color:#{c}",
    "background:#{c}",
    "border-radius:{n}px",
    "border-bottom:1px solid #{c}",
    "position:relative",
    "position:absolute",
    "top:{n}px",
    "width:{w}px",
    "max-width:{w}px",
    "overflow:hidden",
    "text-align:justify",
    "font-weight:{f}",
    "transition:all .{n}s ease",
    "box-shadow:0 {n}px {m}px rgba(0,0,0,.0{n})",
    "z-index:{n}",
    "white-space:nowrap",
    "text-overflow:ellipsis",
    "align-items:center",
    "justify-content:space-between",
)


def _css(rng: random.Random, budget: int) -> str:
    rules, size = [], 0
    while size < budget:
        block, element = rng.choice(_CSS_BLOCKS), rng.choice(_CSS_ELEMENTS)
        selector = f".{block}__{element}"
        if rng.random() < 0.3:
            selector += rng.choice((":hover", ">a", " img", "--active", "--dark", ">li"))
        if rng.random() < 0.15:
            selector = f"@media (max-width:{rng.choice((576, 768, 992, 1200))}px){{{selector}"
        props = ";".join(
            rng.choice(_CSS_PROPS).format(
                n=rng.randint(1, 9),
                m=rng.randint(4, 24),
                w=rng.randint(40, 1200),
                c=f"{rng.randrange(0x1000000):06x}",
                f=rng.choice((400, 500, 700)),
            )
            for _ in range(rng.randint(2, 7))
        )
        rule = f"{selector}{{{props}}}" + ("}" if selector.startswith("@media") else "")
        rules.append(rule)
        size += len(rule) + 1
    return "\n".join(rules)


def _card(rng: random.Random, kind: str = "rowCard") -> dict:
    category = rng.choice(CATEGORIES)
    slug = "-".join(rng.sample(SLUG_WORDS, rng.randint(3, 6)))
    return {
        "id": rng.randint(1_000_000, 2_100_000),
        "title": words(rng, rng.randint(8, 14)),
        "url": f"{BASE}/{category[0]}/{slug}",
        "image": f"https://static.digiato.com/digiato/{rng.randint(2019, 2025)}/{rng.randint(1, 12):02d}/{slug}-480x316.jpg.webp",
        "category": category,
        "description": sentence(rng, 24),
        "author": rng.choice(AUTHORS)[1],
        "ago": f"{fa_digits(rng.randint(1, 23))} ساعت پیش",
    }


def _row_card(card: dict) -> str:
    category = card["category"]
    return f"""<li>
  <div class="rowCard">
    <a class="rowCard__picture" href="{card["url"]}"><img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" data-src="{card["image"]}" alt="{attr(card["title"])}" width="480" height="316"></a>
    <div class="rowCard__content">
      <a class="rowCard__category" href="{BASE}/topic/{category[2]}/{category[0]}">{esc(category[1])}</a>
      <a class="rowCard__title" href="{card["url"]}">{esc(card["title"])}</a>
      <p class="rowCard__description">{esc(card["description"])}</p>
      <div class="rowCard__author"><i class="icon-user"></i><span>{esc(card["author"])}</span><span class="rowCard__time">{card["ago"]}</span></div>
    </div>
  </div>
</li>"""


def _state_json(rng: random.Random, budget: int) -> str:
    """A JSON state blob like the theme's ``window.__DIGI_STATE__``: menus, trending posts, ad slots."""
    state: dict = {"version": "3.8.2", "locale": "fa_IR", "trending": [], "adSlots": [], "menu": []}
    size = 200
    while size < budget:
        roll = rng.random()
        if roll < 0.6:
            card = _card(rng)
            entry = {
                "id": card["id"],
                "title": card["title"],
                "url": card["url"],
                "image": card["image"],
                "category": card["category"][1],
                "views": rng.randint(100, 90_000),
                "excerpt": card["description"],
            }
            state["trending"].append(entry)
        elif roll < 0.8:
            entry = {
                "zone": f"pos-{rng.randint(10_000, 99_999)}",
                "size": rng.choice(("728x90", "300x250", "970x90")),
                "refresh": rng.choice((0, 30, 60)),
                "lazy": rng.random() < 0.5,
                "targeting": {
                    "cat": rng.choice(CATEGORIES)[0],
                    "kw": [rng.choice(TAGS)[0] for _ in range(3)],
                },
            }
            state["adSlots"].append(entry)
        else:
            category = rng.choice(CATEGORIES)
            entry = {
                "label": category[1],
                "url": f"{BASE}/topic/{category[2]}/{category[0]}",
                "children": [
                    {"label": rng.choice(TAGS)[1], "url": f"{BASE}/label/{rng.choice(TAGS)[0]}/"}
                    for _ in range(4)
                ],
            }
            state["menu"].append(entry)
        size += len(json.dumps(entry, ensure_ascii=False).encode())
    return json.dumps(state, ensure_ascii=False)


def _svg_sprite(rng: random.Random, count: int) -> str:
    symbols = []
    for n in range(count):
        points = " ".join(
            f"{rng.uniform(0, 24):.2f} {rng.uniform(0, 24):.2f}" for _ in range(rng.randint(8, 30))
        )
        symbols.append(
            f'<symbol id="icon-{n}" viewBox="0 0 24 24"><path d="M{points}z" fill="currentColor"/></symbol>'
        )
    return f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none">{"".join(symbols)}</svg>'


_ANALYTICS = (
    '<script async src="https://www.googletagmanager.com/gtag/js?id=G-5XQ8RC0D1T"></script>\n'
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag('js',new Date());"
    "gtag('config','G-5XQ8RC0D1T');</script>\n"
    '<script type="text/javascript">!function(t,e,n){t.yektanetAnalyticsObject=n,t[n]=t[n]||function(){t[n].q.push('
    'arguments)},t[n].q=t[n].q||[];var a=new Date,r=a.getFullYear().toString()+"0"+a.getMonth()+"0"+a.getDate()+"0"+'
    'a.getHours(),c=e.getElementsByTagName("script")[0],s=e.createElement("script");s.id="ua-script-dGkqpFo1";'
    's.dataset.analyticsobject=n;s.async=1;s.type="text/javascript";s.src="https://cdn.yektanet.com/rg_woebegone/'
    'scripts_v3/dGkqpFo1/rg.complete.js?v="+r,c.parentNode.insertBefore(s,c)}(window,document,"yektanet");</script>\n'
)
_EMOJI = (
    '<script>window._wpemojiSettings={"baseUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/15.0.3\\/72x72\\/",'
    '"ext":".png","svgUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/15.0.3\\/svg\\/","svgExt":".svg"};'
    "!function(i,n){var o,s,e;function c(e){try{var t={supportTests:e,timestamp:(new Date).valueOf()};"
    "sessionStorage.setItem(o,JSON.stringify(t))}catch(e){}}function p(e,t,n){e.clearRect(0,0,e.canvas.width,"
    "e.canvas.height),e.fillText(t,0,0);var t=new Uint32Array(e.getImageData(0,0,e.canvas.width,e.canvas.height)"
    ".data),r=(e.clearRect(0,0,e.canvas.width,e.canvas.height),e.fillText(n,0,0),new Uint32Array(e.getImageData(0,0,"
    "e.canvas.width,e.canvas.height).data));return t.every(function(e,t){return e===r[t]})}}(window,document);</script>\n"
)


def _menu(rng: random.Random) -> str:
    items = []
    for parent, label in (
        ("tech", "تکنولوژی"),
        ("business", "کسب و کار"),
        ("car", "خودرو"),
        ("science", "علم و دانش"),
        ("entertainment", "سرگرمی"),
        ("video", "ویدیو"),
        ("podcast", "پادکست"),
        ("review", "بررسی"),
    ):
        children = "".join(
            f'<li><a href="{BASE}/topic/{parent}/{slug}">{esc(name)}</a></li>'
            for slug, name, *_ in rng.sample(CATEGORIES, 8)
        )
        items.append(
            f'<li class="menu-item menu-item-has-children"><a href="{BASE}/topic/{parent}">{esc(label)}</a>'
            f'<ul class="siteHeader__submenu">{children}</ul></li>'
        )
    return f'<nav class="siteHeader__nav" aria-label="منوی اصلی"><ul class="siteHeader__menu">{"".join(items)}</ul></nav>'


def _json_ld(a: Article) -> str:
    local_published = a.published.astimezone(TEHRAN).isoformat(timespec="seconds")
    local_modified = a.modified.astimezone(TEHRAN).isoformat(timespec="seconds")
    graph = [
        {
            "@type": "NewsArticle",
            "@id": f"{a.url}#article",
            "isPartOf": {"@id": a.url},
            "author": {"@type": "Person", "name": a.author[1], "url": f"{BASE}/author/{a.author[0]}"},
            "headline": a.title,
            "datePublished": local_published,
            "dateModified": local_modified,
            "mainEntityOfPage": {"@id": a.url},
            "publisher": {"@id": f"{BASE}/#organization"},
            "image": {"@type": "ImageObject", "url": a.image, "width": 1200, "height": 800},
            "thumbnailUrl": a.image,
            "keywords": [name for _, name in a.tags],
            "articleSection": [a.category[3], a.category[1]],
            "inLanguage": "fa-IR",
        },
        {
            "@type": "WebPage",
            "@id": a.url,
            "url": a.url,
            "name": f"{a.title} - دیجیاتو",
            "isPartOf": {"@id": f"{BASE}/#website"},
            "datePublished": local_published,
            "breadcrumb": {"@id": f"{a.url}#breadcrumb"},
            "inLanguage": "fa-IR",
        },
        {
            "@type": "BreadcrumbList",
            "@id": f"{a.url}#breadcrumb",
            "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "دیجیاتو", "item": BASE},
                {
                    "@type": "ListItem",
                    "position": 2,
                    "name": a.category[3],
                    "item": f"{BASE}/topic/{a.category[2]}",
                },
                {
                    "@type": "ListItem",
                    "position": 3,
                    "name": a.category[1],
                    "item": f"{BASE}/topic/{a.category[2]}/{a.category[0]}",
                },
                {"@type": "ListItem", "position": 4, "name": a.title},
            ],
        },
        {
            "@type": "WebSite",
            "@id": f"{BASE}/#website",
            "url": BASE,
            "name": "دیجیاتو",
            "description": "هر لحظه با اخبار فناوری",
            "inLanguage": "fa-IR",
        },
        {
            "@type": "Organization",
            "@id": f"{BASE}/#organization",
            "name": "دیجیاتو",
            "url": BASE,
            "logo": {
                "@type": "ImageObject",
                "url": "https://static.digiato.com/digiato/2023/01/digiato-logo.png",
            },
            "sameAs": [
                "https://twitter.com/digiato",
                "https://www.instagram.com/digiato",
                "https://t.me/digiato",
            ],
        },
    ]
    return json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False)


def _head(a: Article, rng: random.Random, css: str, state: str) -> str:
    # The 2021 theme wrote no description (so no lead anywhere on the page), as in the recorded page.
    description = (
        ""
        if a.design == "2021"
        else (
            f'<meta name="description" content="{attr(a.lead or a.paragraphs[0])}">\n'
            f'<meta property="og:description" content="{attr(a.lead or a.paragraphs[0])}">\n'
        )
    )
    published = a.published.astimezone(TEHRAN).isoformat(timespec="seconds")
    modified = a.modified.astimezone(TEHRAN).isoformat(timespec="seconds")
    tags = "\n".join(f'<meta property="article:tag" content="{attr(name)}">' for _, name in a.tags)
    return f"""<!DOCTYPE html>
<html lang="fa-IR" dir="rtl">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(a.title)} - دیجیاتو</title>
<meta name="robots" content="index, follow, max-image-preview:large, max-snippet:-1, max-video-preview:-1">
<link rel="canonical" href="{a.url}">
{description}<meta property="og:locale" content="fa_IR">
<meta property="og:type" content="article">
<meta property="og:title" content="{attr(a.title)}">
<meta property="og:url" content="{a.url}">
<meta property="og:site_name" content="دیجیاتو">
<meta property="article:publisher" content="https://www.facebook.com/digiato">
<meta property="article:section" content="{attr(a.category[1])}">
{tags}
<meta property="article:published_time" content="{published}">
<meta property="article:modified_time" content="{modified}">
<meta property="og:image" content="{a.image}">
<meta property="og:image:width" content="1200">
<meta property="og:image:height" content="800">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:site" content="@digiato">
<meta name="twitter:label1" content="نوشته شده توسط">
<meta name="twitter:data1" content="{attr(a.author[1])}">
<script type="application/ld+json" class="yoast-schema-graph">{_json_ld(a)}</script>
<link rel="preconnect" href="https://static.digiato.com">
<link rel='stylesheet' id='digiato-main-css' href='{BASE}/wp-content/themes/digiato/assets/css/main.min.css?ver=3.8.2' media='all'>
<link rel="alternate" type="application/rss+xml" title="دیجیاتو &raquo; خوراک" href="{BASE}/feed">
<link rel='shortlink' href='{BASE}/?p={a.post_id}'>
<style id="digiato-critical">:root{{--primary:#e0115f;--dark:#1c1c1c;--gray:#8a8a8a;--radius:8px}}
{css}
</style>
{_ANALYTICS}{_EMOJI}<script id="digiato-state">window.__DIGI_STATE__ = {state};</script>
</head>
"""


def _body_html(a: Article, rng: random.Random, kinds: list[str]) -> str:
    """The article body: paragraphs, subheadings, lists, a figure, and the theme's in-body noise."""
    out, in_list = [], False
    noise_at = {rng.randint(1, max(1, len(a.paragraphs) - 1)) for _ in range(3)}
    for n, (text, kind) in enumerate(zip(a.paragraphs, kinds)):
        is_item = kind == "p" and len(text.split()) <= 20 and n > 0 and rng.random() < 0.6
        if is_item and not in_list:
            out.append("<ul>")
            in_list = True
        elif not is_item and in_list:
            out.append("</ul>")
            in_list = False
        if is_item:
            out.append(f"<li>{esc(text)}</li>")
        elif kind == "h2":
            out.append(f"<h2>{esc(text)}</h2>")
        elif rng.random() < 0.05:
            out.append(f"<blockquote><p>{inline_markup(rng, text)}</p></blockquote>")
        else:
            out.append(f"<p>{inline_markup(rng, text)}</p>")
        if n in noise_at and not in_list:
            roll = rng.random()
            if roll < 0.35:
                out.append(
                    f'<div class="adsBox adsBox--inArticle"><a href="https://click.digiato.com/ads/c/{rng.randint(1000, 9999)}" '
                    f'rel="nofollow sponsored" target="_blank"><img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" '
                    f'data-src="https://static.digiato.com/ads/inline-728x90.gif" alt="" width="728" height="90">'
                    f'<span class="adsBox__text">{esc(words(rng, 7))}</span></a></div>\n'
                    f'<div id="pos-article-display-{rng.randint(10_000, 99_999)}"></div>'
                )
            elif roll < 0.7:
                card = _card(rng)
                out.append(
                    f'<div class="related-posts"><span class="related-posts__label">بیشتر بخوانید:</span><ul><li>'
                    f'<a href="{card["url"]}">{esc(card["title"])}</a></li></ul></div>'
                )
            else:
                out.append(
                    f'<figure class="wp-block-image size-large"><img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" '
                    f'data-src="{a.image[:-4]}-{n}-780x470.jpg.webp" alt="" width="780" height="470">'
                    f'<figcaption class="wp-element-caption">{esc(words(rng, 8))}</figcaption></figure>'
                )
    if in_list:
        out.append("</ul>")
    share = quote(a.url, safe="")
    out.append(
        f'<div class="shareBox"><span class="shareBox__label">اشتراک‌گذاری:</span>'
        f'<a class="shareBox__telegram" href="https://t.me/share/url?url={share}" rel="nofollow" target="_blank">تلگرام</a>'
        f'<a class="shareBox__twitter" href="https://twitter.com/intent/tweet?url={share}" rel="nofollow" target="_blank">توییتر</a>'
        f'<a class="shareBox__whatsapp" href="https://wa.me/?text={share}" rel="nofollow" target="_blank">واتس‌اپ</a></div>'
    )
    return "\n".join(out)


def _comments(rng: random.Random, count: int, old: bool) -> str:
    items = []
    for _ in range(count):
        who = rng.choice(COMMENTERS)
        text = esc(sentence(rng, 30))
        if old:
            items.append(
                f'<li class="comment"><div class="comment-author vcard"><cite>{who}</cite> <span class="says">گفت:</span></div>'
                f'<div class="comment-meta">{fa_digits(rng.randint(1, 28))} روز پیش</div><div class="comment-body"><p>{text}</p></div></li>'
            )
        else:
            items.append(
                f'<li class="comment"><div class="comment__info"><span>{who}</span><span>{fa_digits(rng.randint(1, 23))} ساعت پیش</span></div>'
                f'<div class="comment__text">{text}</div><button class="comment__reply">پاسخ</button></li>'
            )
    if old:
        return f'<div id="comments" class="comments-area"><h3 class="comments-title">دیدگاه‌ها</h3><ol class="commentlist">{"".join(items)}</ol></div>'
    return (
        f'<section class="comments" id="comments">\n  <h3 class="comments__title">دیدگاه‌ها <span>({fa_digits(count)})</span></h3>\n'
        f'  <form class="comments__form" action="{BASE}/wp-comments-post.php" method="post"><textarea name="comment" placeholder="دیدگاه خود را بنویسید"></textarea>'
        f'<button type="submit">ارسال دیدگاه</button></form>\n  <ul class="js-comments-list">{"".join(items)}</ul>\n</section>'
    )


_FOOTER = f"""<footer class="siteFooter">
  <div class="container">
    <div class="siteFooter__about"><p>دیجیاتو، رسانه اخبار تکنولوژی، خودرو، کسب‌وکار و علم. هر لحظه با اخبار فناوری.</p></div>
    <ul class="siteFooter__links"><li><a href="{BASE}/about-us">درباره ما</a></li><li><a href="{BASE}/contact-us">تماس با ما</a></li><li><a href="{BASE}/advertise">تبلیغات در دیجیاتو</a></li><li><a href="{BASE}/careers">همکاری با ما</a></li><li><a href="{BASE}/terms">قوانین و مقررات</a></li></ul>
    <div class="siteFooter__social"><a href="https://t.me/digiato" rel="nofollow" aria-label="تلگرام" class="icon-telegram"></a><a href="https://twitter.com/digiato" rel="nofollow" aria-label="توییتر" class="icon-twitter"></a><a href="https://www.instagram.com/digiato" rel="nofollow" aria-label="اینستاگرام" class="icon-instagram"></a></div>
    <p class="siteFooter__copy">تمامی حقوق مادی و معنوی این وب‌سایت متعلق به دیجیاتو است. &copy; ۱۴۰۴</p>
  </div>
</footer>
"""


def _page(a: Article, rng: random.Random, kinds: list[str]) -> str:
    target = rng.randint(*SIZE_RANGE)
    body = _body_html(a, rng, kinds)
    date_text, clock = jalali_display(a.published)
    tags = " ".join(f'<a href="{BASE}/label/{slug}/" rel="tag">{esc(name)}</a>' for slug, name in a.tags)
    comments = _comments(rng, rng.choice((0, 1, 2, 4, 8, 15, 25)), a.design == "2021")
    related = "\n".join(_row_card(_card(rng)) for _ in range(6))
    most_viewed = "\n".join(_row_card(_card(rng)) for _ in range(rng.randint(4, 8)))
    if a.design == "2021":
        main = f"""<body class="post-template-default single single-post postid-{a.post_id} single-format-standard">
<div id="global_wrap">
<header id="header" class="digi-header">
  <div class="digi-container fixed-width"><a class="logo" href="{BASE}">دیجیاتو</a>
  {_menu(rng)}
  <form class="search" action="{BASE}/" method="get"><input type="text" name="s" placeholder="جستجو..."></form></div>
</header>
<div class="digi-ads digi-ads--top"><iframe src="https://click.digiato.com/ads/banner/728x90?zone=old-top" width="728" height="90" frameborder="0" scrolling="no"></iframe></div>
<div class="digi-container fixed-width guttered paged margin-top-50">
<nav class="breadcrumbs"><a href="{BASE}">دیجیاتو</a> <span class="sep">&raquo;</span> <a href="{BASE}/topic/{a.category[2]}">{esc(a.category[3])}</a> <span class="sep">&raquo;</span> <a href="{BASE}/topic/{a.category[2]}/{a.category[0]}">{esc(a.category[1])}</a></nav>
<div class="paper white">
<section class="main-section">
<section class="single-post">
<article id="post-{a.post_id}" class="post-{a.post_id} post type-post status-publish format-standard has-post-thumbnail">
<header class="post-header">
  <div class="post-header__inner">
    <h1 class="post-title">{esc(a.title)}</h1>
    <div class="post-meta">
      <span class="icon icon-user"></span>
      <span class="post-author"><a href="{BASE}/author/{a.author[0]}" rel="author">{esc(a.author[1])}</a></span>
      <span class="icon icon-clock"></span>
      <span class="post-date"><a href="{BASE}/{"/".join(a.path.split("/")[:4])}">{date_text} - {clock}</a></span>
      <span class="post-comments"><a href="#comments">{fa_digits(len(a.paragraphs))} دیدگاه</a></span>
    </div>
  </div>
</header>
<div class="digi-container guttered">
<div class="article-content">
{body}
</div>
<div class="article-tags"><span>برچسب‌ها:</span> {tags}</div>
</div>
</article>
{comments}
<div class="relatedPosts"><h3>مطالب مرتبط</h3><ul>{related}</ul></div>
</section>
<aside class="sidebar"><div class="mostViewed"><h3 class="mostViewed__title">پربازدیدترین‌ها</h3><ul class="mostViewed__list">{most_viewed}</ul></div>{{latest}}</aside>
</section>
</div>
</div>
<footer id="footer" class="digi-footer"><div class="digi-container fixed-width"><p>&copy; ۱۴۰۰ دیجیاتو - تمامی حقوق محفوظ است.</p></div></footer>
</div>
{{sprite}}<script src="{BASE}/wp-content/themes/digiato/js/scripts.min.js?ver=2.9.4"></script>
</body>
</html>
"""
    else:
        lead = f"\n    <p>{esc(a.lead)}</p>" if a.lead else ""
        main = f"""<body>
<a class="skip-link screen-reader-text" href="#content">پرش به محتوا</a>
<header class="siteHeader" id="siteHeader">
  <div class="container siteHeader__top">
    <a class="siteHeader__logo" href="{BASE}" title="دیجیاتو"><svg width="120" height="32" viewBox="0 0 120 32" aria-hidden="true"><use href="#icon-0"/></svg></a>
    <form class="siteHeader__search" action="{BASE}/" method="get" role="search"><input type="search" name="s" placeholder="جست‌وجو در دیجیاتو"><button type="submit" class="icon-search" aria-label="جستجو"></button></form>
    <a class="siteHeader__login" href="{BASE}/my-account">ورود / ثبت‌نام</a>
  </div>
  {_menu(rng)}
</header>
<div class="adsBox adsBox--header"><iframe src="https://click.digiato.com/ads/banner/970x90?zone=header" width="970" height="90" scrolling="no" frameborder="0" title="تبلیغ"></iframe></div>

<main class="sitePage singlePost" id="content">
<div class="container">
<div class="breadcrumb"><ul><li><a href="{BASE}">دیجیاتو</a></li><li><a href="{BASE}/topic/{a.category[2]}">{esc(a.category[3])}</a></li><li><a href="{BASE}/topic/{a.category[2]}/{a.category[0]}">{esc(a.category[1])}</a></li><li><span>{esc(a.title)}</span></li></ul></div>
<div id="dailyNewsPageHead" class="dailyNewsPageHead">
  <div class="dailyNewsPageHead__description">
    <a class="dailyNewsPageHead__description--category" href="{BASE}/topic/{a.category[2]}/{a.category[0]}">{esc(a.category[1])}</a>
    <h1 class="dailyNewsPageHead__description--title">{esc(a.title)}</h1>{lead}
    <div class="dailyNewsPageHead__description--tools">
      <i class="icon-user"></i><a href="{BASE}/author/{a.author[0]}">نوشته شده توسط {esc(a.author[1])}</a>
      <div> | <span>{date_text} | {clock}</span></div>
    </div>
  </div>
  <div class="dailyNewsPageHead__picture"><img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" data-src="{a.image[:-4]}-910x600.jpg.webp" alt="{attr(a.title)}" width="910" height="600"></div>
</div>
<div class="sitePage__wrapper">
<div id="articleNewsPosts" class="sitePage__content">
  <div class="articlePost">
{body}
  </div>
  <div class="postTools">
    <div class="postTools__keywords"><span class="postTools__label">برچسب‌ها:</span> {tags}</div>
    <div class="postTools__shortlink"><input type="text" readonly value="{BASE}/?p={a.post_id}"><button class="js-copy">کپی</button></div>
  </div>
</div>
<aside class="sitePage__sidebar">
  <div class="adsBox adsBox--sidebar"><a href="https://click.digiato.com/ads/c/{rng.randint(10_000, 99_999)}" rel="nofollow sponsored" target="_blank"><img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" data-src="https://static.digiato.com/ads/2024/sidebar-300x250.gif" alt="تبلیغ" width="300" height="250"></a></div>
  <div class="mostViewed"><h3 class="mostViewed__title">پربازدیدترین‌ها</h3><ul class="mostViewed__list">{most_viewed}</ul></div>
  {{latest}}
  <div class="newsletterBox"><h3>خبرنامه دیجیاتو</h3><form action="{BASE}/newsletter" method="post"><input type="email" name="email" placeholder="ایمیل شما"><button type="submit">عضویت</button></form></div>
</aside>
</div>
{comments}
<section class="relatedPosts"><h3 class="relatedPosts__title">مطالب مرتبط</h3><ul class="relatedPosts__list">{related}</ul></section>
</div>
</main>
{_FOOTER}<div id="pos-sticky-{rng.randint(10_000, 99_999)}" class="adsBox adsBox--sticky"></div>
{{sprite}}<script id="digiato-main-js" src="{BASE}/wp-content/themes/digiato/assets/js/main.min.js?ver=3.8.2" defer></script>
<script>document.addEventListener("DOMContentLoaded",function(){{document.querySelectorAll("img[data-src]").forEach(function(i){{i.src=i.dataset.src;}});}});</script>
</body>
</html>
"""
    # Pad to the page's target size as real pages are padded: CSS, state JSON, widgets, icons.
    base = len(main.encode()) + 4000
    deficit = max(0, target - base - 3000)
    css = _css(rng, int(deficit * 0.35))
    state = _state_json(rng, int(deficit * 0.3))
    sprite = _svg_sprite(rng, rng.randint(10, 25))
    head = _head(a, rng, css, state)
    remaining = target - len(head.encode()) - len(main.encode()) - len(sprite.encode())
    cards, size = [], 0
    while size < remaining:
        card = _row_card(_card(rng))
        cards.append(card)
        size += len(card.encode())
    latest = (
        (
            f'<div class="latestNews"><h3 class="latestNews__title">آخرین اخبار</h3><ul class="latestNews__list">'
            f"{''.join(cards)}</ul></div>"
        )
        if cards
        else ""
    )
    return head + main.replace("{latest}", latest).replace("{sprite}", sprite)


# --- the site around the articles -------------------------------------------------------


def _rfc822(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def _w3c(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass(frozen=True)
class Entry:
    """What the site files need to know of an article (cheap: no HTML)."""

    rank: int
    url: str
    title: str
    lead: str
    published: datetime
    modified: datetime
    author: str
    category: tuple[str, str, str, str]


def entry_of(a: Article) -> Entry:
    return Entry(
        a.rank, a.url, a.title, a.lead or a.paragraphs[0], a.published, a.modified, a.author[1], a.category
    )


def write_site_files(root: Path, entries: list[Entry]) -> None:
    """robots.txt, the Yoast sitemap index and post sitemaps (oldest first, 1000 a file),
    the RSS feed and 10 listing pages, for ``entries`` (newest first)."""
    site = root / HOST
    site.mkdir(parents=True, exist_ok=True)
    (site / "robots.txt").write_text(
        "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\nDisallow: /?s=\nDisallow: /search/\n\n"
        f"Sitemap: {BASE}/sitemap_index.xml\n",
        "utf-8",
    )
    oldest_first = entries[::-1]
    chunks = [oldest_first[i : i + PER_SITEMAP] for i in range(0, len(oldest_first), PER_SITEMAP)]
    index = []
    for n, chunk in enumerate(chunks, start=1):
        name = "digi_posts-sitemap.xml" if n == 1 else f"digi_posts-sitemap{n}.xml"
        urls = "".join(
            f"\t<url>\n\t\t<loc>{html.escape(e.url)}</loc>\n\t\t<lastmod>{_w3c(e.modified)}</lastmod>\n\t</url>\n"
            for e in chunk
        )
        (site / name).write_text(
            '<?xml version="1.0" encoding="UTF-8"?><?xml-stylesheet type="text/xsl" href="//digiato.com/main-sitemap.xsl"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n",
            "utf-8",
        )
        index.append(
            f"\t<sitemap>\n\t\t<loc>{BASE}/{name}</loc>\n\t\t<lastmod>{_w3c(max(e.modified for e in chunk))}</lastmod>\n\t</sitemap>\n"
        )
    (site / "sitemap_index.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(index)
        + "</sitemapindex>\n<!-- XML Sitemap Index generated by Yoast SEO -->",
        "utf-8",
    )
    items = []
    for e in entries[:FEED_ITEMS]:
        slug = e.url.rsplit("/", 1)[-1]
        items.append(
            f"\t<item>\n\t\t<title>{esc(e.title)}</title>\n"
            f"\t\t<link>{html.escape(e.url)}?utm_source=rss&amp;utm_medium=rss&amp;utm_campaign={html.escape(slug)}</link>\n"
            f"\t\t<dc:creator><![CDATA[{e.author}]]></dc:creator>\n\t\t<pubDate>{_rfc822(e.published)}</pubDate>\n"
            f"\t\t<category><![CDATA[{e.category[3]}]]></category>\n\t\t<category><![CDATA[{e.category[1]}]]></category>\n"
            f"\t\t<description><![CDATA[{e.lead}]]></description>\n\t</item>\n"
        )
    (site / "feed").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n\t<title>دیجیاتو</title>\n'
        f'\t<atom:link href="{BASE}/feed" rel="self" type="application/rss+xml" />\n\t<link>{BASE}</link>\n'
        f"\t<description>هر لحظه با اخبار فناوری</description>\n\t<lastBuildDate>{_rfc822(entries[0].published)}</lastBuildDate>\n"
        "\t<language>fa-IR</language>\n" + "".join(items) + "</channel>\n</rss>\n",
        "utf-8",
    )
    for page in range(1, LISTING_PAGES + 1):
        chunk = entries[(page - 1) * PER_LISTING : page * PER_LISTING]
        cards = "\n".join(
            f'<li>\n  <div class="rowCard">\n    <div class="rowCard__content">\n'
            f'      <a class="rowCard__category" href="{BASE}/topic/{e.category[2]}/{e.category[0]}">{esc(e.category[1])}</a>\n'
            f'      <a class="rowCard__title" href="{e.url}">{esc(e.title)}</a>\n'
            f'      <p class="rowCard__description">{esc(e.lead)}</p>\n    </div>\n  </div>\n</li>'
            for e in chunk
        )
        next_url = f"{BASE}/topic/tech/page/{page + 1}/"
        folder = site / "topic" / "tech" / ("" if page == 1 else f"page/{page}")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.html").write_text(
            f'<!DOCTYPE html>\n<html lang="fa-IR" dir="rtl">\n<head>\n<meta charset="UTF-8">\n<title>تکنولوژی - دیجیاتو</title>\n'
            f'<link rel="next" href="{next_url}">\n</head>\n<body>\n<main id="primary" class="sitePage categoryPage">\n'
            f'  <ul class="rowList">\n{cards}\n  </ul>\n'
            f'<nav class="pagination"><a class="next page-numbers" href="{next_url}">بعدی</a></nav>\n</main>\n</body>\n</html>\n',
            "utf-8",
        )


# --- mirrors on disk ----------------------------------------------------------------------


def pool_dir(seed: int = DEFAULT_SEED) -> Path:
    return bench_dir() / f"pool-s{seed}-v{VERSION}"


def _entry_json(e: Entry) -> str:
    return json.dumps(
        [
            e.rank,
            e.url,
            e.title,
            e.lead,
            e.published.isoformat(),
            e.modified.isoformat(),
            e.author,
            list(e.category),
        ],
        ensure_ascii=False,
    )


def _entry_from_json(line: str) -> Entry:
    rank, url, title, lead, published, modified, author, category = json.loads(line)
    return Entry(
        rank,
        url,
        title,
        lead,
        datetime.fromisoformat(published),
        datetime.fromisoformat(modified),
        author,
        tuple(category),
    )


def ensure_pages(ranks: range | list[int], seed: int = DEFAULT_SEED, progress=None) -> list[Entry]:
    """Write the pages of ``ranks`` into the pool (those not there yet); their entries, in order.

    ``entries.jsonl`` in the pool remembers each written page's metadata, so the site
    files of a mirror never need the pages generated again.
    """
    pool = pool_dir(seed)
    (pool / HOST).mkdir(parents=True, exist_ok=True)
    index = pool / "entries.jsonl"
    known: dict[int, Entry] = {}
    if index.exists():
        for line in index.read_text("utf-8").splitlines():
            try:
                e = _entry_from_json(line)
            except ValueError:  # a line cut short by an interrupted run
                continue
            known[e.rank] = e
    missing = [
        rank for rank in ranks if rank not in known or not (pool / HOST / _path_of(known[rank].url)).exists()
    ]
    with index.open("a", encoding="utf-8") as out:
        for n, rank in enumerate(missing, start=1):
            a = make_article(rank, seed)
            target = pool / HOST / a.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(a.html, "utf-8")
            known[rank] = entry_of(a)
            out.write(_entry_json(known[rank]) + "\n")
            if progress and n % 1000 == 0:
                progress(n, len(missing))
    return [known[rank] for rank in ranks]


def _path_of(url: str) -> str:
    return unquote(url[len(BASE) + 1 :])


@dataclass
class GeneratedMirror:
    """A generated site of ``pages`` articles (ranks 0..pages-1) plus ``new`` newer ones."""

    pages: int
    new: int = 0
    seed: int = DEFAULT_SEED
    entries: list[Entry] = field(default_factory=list)

    @property
    def site_dir(self) -> Path:
        suffix = f"+{self.new}" if self.new else ""
        return bench_dir() / f"site-{self.pages}{suffix}-s{self.seed}-v{VERSION}"

    @property
    def roots(self) -> list[Path]:
        """Roots for the static server: site files first, then the page pool."""
        return [self.site_dir, pool_dir(self.seed)]

    def build(self, progress=None) -> GeneratedMirror:
        ranks = list(range(-self.new, self.pages))
        self.entries = ensure_pages(ranks, self.seed, progress)
        done = self.site_dir / ".complete"
        if not done.exists():
            write_site_files(self.site_dir, self.entries)
            done.write_text("ok")
        return self

    @property
    def article_urls(self) -> list[str]:
        return [e.url for e in self.entries]

    def page_sizes(self) -> list[int]:
        """Bytes of each article page."""
        pool = pool_dir(self.seed) / HOST
        return [(pool / _path_of(e.url)).stat().st_size for e in self.entries]

    def request_targets(self) -> list[str]:
        """Every URL path a crawl of this mirror asks for, as sent on the wire (for preloading)."""
        site = [
            f"/{path.relative_to(self.site_dir / HOST).as_posix()}"
            for path in (self.site_dir / HOST).rglob("*")
            if path.is_file()
        ]
        site = [target.removesuffix("index.html") for target in site]
        return site + [e.url[len(BASE) :] for e in self.entries]


def generated_mirror(pages: int, new: int = 0, seed: int = DEFAULT_SEED, progress=None) -> GeneratedMirror:
    """The mirror of ``pages`` articles (and ``new`` newer ones), generated on first use and cached."""
    return GeneratedMirror(pages, new, seed).build(progress)


def sample_articles(count: int, span: int = 20_000, seed: int = DEFAULT_SEED) -> list[Article]:
    """``count`` generated articles spread evenly over ranks 0..span-1 (every design), in memory."""
    step = max(1, span // count)
    return [make_article(rank, seed) for rank in range(0, step * count, step)]


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.mirror N``: build (or show) the mirror of N pages and print its roots."""
    import sys

    argv = sys.argv[1:] if argv is None else argv
    pages = int(argv[0]) if argv else 2000
    mirror = generated_mirror(
        pages, progress=lambda n, total: print(f"{n}/{total} pages written", file=sys.stderr)
    )
    print("\n".join(map(str, mirror.roots)))


if __name__ == "__main__":
    main()
