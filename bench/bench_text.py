"""Throughput of ``normalize`` and ``fold`` on Persian news-like text, against hazm's Normalizer.

The target (issue 3) is >= 5 M chars/s for ``normalize`` and >= 5x hazm ``Normalizer().normalize``.
Text is generated deterministically from the sentence vocabulary below, which mixes
what real tech-news pages contain: ZWNJ words, Arabic yeh/kaf, Arabic-Indic and Persian
digits, Latin product names, URLs, kashida and the occasional RLM used as a half-space.
Documents are ~3 KB, one per call, like the articles the spider stores.

hazm is a bench-only dependency (``pip install hazm``); it pins old numpy/scipy, so
install it in a separate virtualenv created with ``--system-site-packages``.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from importlib.metadata import version

from newsarchive.persian.text import fold, normalize

SENTENCES = (
    "وزیر ارتباطات: مجموع کاربران فعال در پیامرسانهای داخلی ۱۵ میلیون است.",
    "سامسونگ از گوشی Galaxy S24 Ultra با تراشه Snapdragon 8 Gen 3 رونمایی کرد.",
    "به‌روزرسانی iOS 17.2 برای آیفون‌های قدیمی‌تر هم منتشر شد.",
    "پردازنده i9-13900K اینتل در آزمون‌های چندهسته‌ای عملکرد بهتری داشت.",
    "اپراتورهای همراه اول و ايرانسل پوشش 5G را در ۲۰ شهر گسترش مي‌دهند.",
    "طبق گزارش مرکز آمار، ضريب نفوذ اينترنت به ٨٥ درصد رسيده است.",
    "متن کامل گزارش در https://digiato.com/article/2024/05/17 در دسترس است.",
    "برای ارتباط با تحریریه به news@example.ir ایمیل بزنید.",
    "این خبر در تاریخ ۱۳۹۷/۰۵/۱۷ منتشر شده بود و اکنون به‌روز شده است.",
    "قیمت لپ‌تاپ‌های گیمینگ در بازار تهران حدود ۱۲,۵۰۰,۰۰۰ تومان افزایش یافت.",
    "«محمدجواد آذری جهرمی» در گفتوگوی خود از توسعه شبکه ملی اطلاعات گفت.",
    "شرکت‌های دانش‌بنیان می‌توانند از تسهیلات صندوق نوآوری استفاده کنند.",
    "مايكروسافت نسخه جديد ويندوز ۱۱ را با قابليت‌های هوش مصنوعی Copilot عرضه كرد.",
    "کاربران شبکه‌های اجتماعی از کندی اینترنت در ساعت‌های اوج مصرف گله دارند.",
    "فروشگاه‌های آنلاین در جشنواره پاییزی تا ٪۴۰ تخفیف ارائه کردند؛ آیا ادامه دارد؟",
    "ســـامانه جدید احراز هویت از اول مهر ماه فعال می‌شود.",
    "گوگل اعلام کرد Android 15 با پشتیبانی از eSIM و Wi-Fi 7 عرضه می‌شود.",
    "بررسی‌ها نشان می‌دهد فروش گوشی‌های میان‌رده ٣٠ درصد بیشتر شده است.",
    "رگولاتوری سقف سرعت اینترنت ثابت را به 100Mbps افزایش داد.",
    "اپل در کنفرانس WWDC 2024 از سیستم‌عامل visionOS 2 رونمایی کرد.",
    "استارتاپ‌های حوزه فین‌تک در سال ۱۴۰۲ بیش از ۳۰۰ میلیارد تومان جذب سرمایه کردند.",
    "پیام\u200fرسان بومی «بله» قابلیت تماس تصویری گروهی را اضافه کرد.",
    "خودروهای برقی BYD و تسلا در بازار جهانی رقابت سختی دارند.",
    "مدیرعامل شرکت گفت: «ما نمي‌خواهيم كاربران را از دست بدهيم.»",
    "تراشه‌های ۳ نانومتری TSMC در پردازنده‌های Apple M3 به کار رفته‌اند.",
)
DOCUMENT_CHARS = 3_000
FULL_CHARS = 1_000_000
QUICK_CHARS = 100_000
RUNS = 5
NORMALIZE_TARGET_CHARS_PER_S = 5_000_000
HAZM_RATIO_TARGET = 5.0


def build_documents(total_chars: int, seed: int = 1403) -> list[str]:
    """Deterministic ~3 KB articles of paragraphs of shuffled sentences, totalling ``total_chars``."""
    rng = random.Random(seed)
    documents, produced = [], 0
    while produced < total_chars:
        paragraphs, size = [], 0
        while size < min(DOCUMENT_CHARS, total_chars - produced):
            paragraph = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(2, 5)))
            paragraphs.append(paragraph)
            size += len(paragraph) + 2
        document = "\n\n".join(paragraphs)[: total_chars - produced]
        documents.append(document)
        produced += len(document)
    return documents


def chars_per_second(function: Callable[[str], str], documents: list[str]) -> float:
    """Median over ``RUNS`` runs of the whole corpus, one call per document."""
    total = sum(map(len, documents))
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for document in documents:
            function(document)
        timings.append(time.perf_counter() - start)
    return total / statistics.median(timings)


def _hazm_normalize() -> tuple[Callable[[str], str] | None, str]:
    """hazm's default normalizer and a note naming its version, or None and why it is missing."""
    try:
        import hazm
    except ImportError as error:
        return None, f"hazm missing ({error}): pip install hazm"
    return hazm.Normalizer().normalize, f"hazm {version('hazm')} Normalizer() defaults"


def _normalize_target_met(speed: float, ratio: float | None) -> bool | None:
    """Both halves of the target; None when speed passes but hazm is not there to compare."""
    if speed < NORMALIZE_TARGET_CHARS_PER_S:
        return False
    return None if ratio is None else ratio >= HAZM_RATIO_TARGET


def run(quick: bool = False) -> list[dict]:
    """Time normalize, fold and (if installed) hazm on the same documents; one row per figure."""
    documents = build_documents(QUICK_CHARS if quick else FULL_CHARS)
    corpus = f"{sum(map(len, documents)):,} chars in {len(documents)} docs of ~3 KB, median of {RUNS} runs"
    hazm_normalize, hazm_note = _hazm_normalize()
    hazm_speed = chars_per_second(hazm_normalize, documents) if hazm_normalize else None
    baseline = "hazm Normalizer().normalize" if hazm_normalize else None

    rows = []
    for name, function in (("normalize", normalize), ("fold", fold)):
        speed = chars_per_second(function, documents)
        ratio = speed / hazm_speed if hazm_speed else None
        if name == "normalize":
            target = f">= {NORMALIZE_TARGET_CHARS_PER_S / 1e6:g}M chars/s and >= {HAZM_RATIO_TARGET:g}x hazm"
            met = _normalize_target_met(speed, ratio)
        else:
            target, met = "none (reported for the index build)", None
        rows.append(
            {
                "benchmark": "text",
                "figure": f"{name} chars/s",
                "value": speed,
                "unit": "chars/s",
                "baseline": baseline,
                "baseline_value": hazm_speed,
                "ratio": ratio,
                "target": target,
                "met": met,
                "note": f"{corpus}; {hazm_note}",
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        ratio = f"{row['ratio']:.1f}x" if row["ratio"] is not None else "n/a"
        baseline = f"{row['baseline_value']:,.0f}" if row["baseline_value"] is not None else "missing"
        print(
            f"{row['figure']}: {row['value']:,.0f} {row['unit']} | {row['baseline'] or 'baseline'}: {baseline}"
            f" | ratio {ratio} | target {row['target']} | met {row['met']} | {row['note']}"
        )
