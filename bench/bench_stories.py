"""Stories: accuracy on the labelled set, and what the index costs at scale (issue "Stories, not copies").

Targets: on the labelled set (``tests/stories_labelled.py``), pairwise precision >= 0.98
and recall >= 0.95 for copies, shared-boilerplate pairs never joined; assigning a story
to a new article <= 2 ms at 1,000,000 archived articles; memory for the index <= 300 MB
at 1,000,000; a full rebuild of 1,000,000 articles <= 10 minutes.

**Accuracy.** Every labelled pair through :func:`newsarchive.stories.compare` (on
``story_text``), and every labelled article stored one by one with
``Archive.store_article`` (seeded random order) with precision and recall counted over
all pairs of articles by story membership. Baseline: datasketch's MinHash of the raw
text's word 3-grams (no Persian folding), a copy at estimated Jaccard >= 0.5: what a
researcher gets from datasketch out of the box.

**Scale.** ``NEWSARCHIVE_BENCH_STORIES`` articles (default 1,000,000; ``--quick``
20,000): synthetic Persian articles (:func:`bench.bench_search.synthetic_articles`:
Zipf words from the recorded pages and a synthetic tail, mixed spellings), of which
:data:`COPY_SHARE` are copies of a recent article edited as the labelled set edits
(respelled, a paragraph added or removed, another site's boilerplate). Built with
``Archive.bulk_insert(..., stories=False)`` (the rebuild below gives every story) and
cached in ``$NEWSARCHIVE_BENCH_DIR`` (the next run reuses it; the figures say so). Then:

* rebuild: ``Archive.rebuild_stories()`` over the whole archive, timed;
* assignment: a fresh process opens the archive and stores :data:`NEW_ARTICLES` new
  articles (half of them copies of stored ones) with ``store_article``, each in its own
  transaction rolled back (each is assigned against the same archive, and the cached
  archive is left as it was); the time of the story assignment inside each store
  (``_assign_story``: fingerprint, LSH look-up, pairs, story) is the figure, the whole
  store its note; :data:`ROUNDS` such processes, their median p50 and its spread, and
  the CPU time beside the wall clock (other processes' load shows in the wall clock only);
* memory: that process's peak RSS (the index is SQLite tables, read through SQLite's page
  cache: no index is held in Python), and the index tables' size on disk (dbstat);
* planted copies found: the share of the generated copies that ended in their source's story.

Baseline for assignment and memory: datasketch's in-memory ``MinHashLSH`` with the same
bands and rows, holding the archive's signatures (at most :data:`BASELINE_CAP`; its
memory is extrapolated linearly to the archive's size), timed for fingerprint + query +
insert of the same new articles.

The machine is shared: load averages are in the notes.

Run: ``python -m bench stories [--quick]`` or ``python3 bench/bench_stories.py [--quick]``.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from stories_labelled import (  # noqa: E402 (tests/ goes on sys.path first, as in bench_unseen)
    CLOSING_LINES,
    SEED,
    arabic_letters,
    flip_digits,
    labelled_set,
    membership_scores,
    scores,
    store_shuffled,
    with_opening,
    zwnj_as_space,
)

from bench import row, summarize  # noqa: E402
from bench.bench_search import synthetic_articles, vocabulary  # noqa: E402
from newsarchive.archive import Archive  # noqa: E402

BENCHMARK = "stories"
TARGET_PRECISION = 0.98
TARGET_RECALL = 0.95
TARGET_ASSIGN_MS = 2.0
TARGET_INDEX_MB = 300
TARGET_REBUILD_S = 600
FULL = 1_000_000
QUICK = 20_000
SCALE_VARIABLE = "NEWSARCHIVE_BENCH_STORIES"
#: Share of the synthetic articles that copy a recent one.
COPY_SHARE = 0.05
#: Articles stored (and timed) in the assignment measurement.
NEW_ARTICLES = 300
#: Fresh processes the assignment is measured in (the machine may be shared: their median).
ROUNDS = 3
#: Most signatures the in-memory baseline index holds.
BASELINE_CAP = 100_000
#: Planted copies checked for their story.
PLANTED_CHECKED = 2_000
_VERSION = 1
_TABLES = ("story_signatures", "story_bands", "story_pairs", "stories", "story_settings")


def bench_dir() -> Path:
    return Path(os.environ.get("NEWSARCHIVE_BENCH_DIR") or Path(tempfile.gettempdir()) / "newsarchive-bench")


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


# --- accuracy on the labelled set --------------------------------------------------------


def _raw_minhash(text: str):
    """The baseline's signature: datasketch MinHash of the raw text's word 3-grams."""
    from datasketch import MinHash

    from newsarchive.stories import NUM_PERM

    words = text.split()
    grams = {" ".join(words[i : i + 3]).encode("utf-8") for i in range(max(1, len(words) - 2))}
    sig = MinHash(num_perm=NUM_PERM, seed=SEED)
    sig.update_batch(list(grams))
    return sig


def accuracy_rows() -> list[dict]:
    from newsarchive.stories import EXACT, NEAR, SHARED, compare, story_text

    labelled = labelled_set()
    texts = {item.key: story_text(item.article) for item in labelled.articles}
    raw = {key: _raw_minhash(text) for key, text in texts.items()}
    ours = {"tp": 0, "fp": 0, "fn": 0}
    theirs = {"tp": 0, "fp": 0, "fn": 0}
    boilerplate_joined = boilerplate_pairs = shared_named = shared_pairs = 0
    compare_seconds = 0.0
    for pair in labelled.pairs:
        started = time.perf_counter()
        sameness = compare(texts[pair.a], texts[pair.b])
        compare_seconds += time.perf_counter() - started
        for counts, found in (
            (ours, sameness.kind in (EXACT, NEAR)),
            (theirs, raw[pair.a].jaccard(raw[pair.b]) >= 0.5),
        ):
            if found:
                counts["tp" if pair.copy else "fp"] += 1
            elif pair.copy:
                counts["fn"] += 1
        if not pair.copy and pair.why in ("boilerplate", "release", "same-donor", "roundup"):
            boilerplate_pairs += 1
            boilerplate_joined += sameness.kind in (EXACT, NEAR)
        if pair.kind == "shared":
            shared_pairs += 1
            shared_named += sameness.kind == SHARED
    compare_ms = compare_seconds / len(labelled.pairs) * 1e3
    precision, recall = scores(**ours)
    base_precision, base_recall = scores(**theirs)
    copies = sum(pair.copy for pair in labelled.pairs)
    where = (
        f"{len(labelled.articles)} articles, {len(labelled.pairs)} labelled pairs ({copies} copies); "
        f"ours TP {ours['tp']} FP {ours['fp']} FN {ours['fn']}, baseline TP {theirs['tp']} "
        f"FP {theirs['fp']} FN {theirs['fn']}; compare {compare_ms:.2f} ms per pair"
    )
    baseline = "datasketch MinHash, raw word 3-grams, Jaccard >= 0.5"
    rows = [
        row(
            BENCHMARK,
            "labelled set: copy precision (compare)",
            round(precision, 4),
            "",
            baseline=baseline,
            baseline_value=round(base_precision, 4),
            target=f">= {TARGET_PRECISION}",
            met=precision >= TARGET_PRECISION,
            note=where,
        ),
        row(
            BENCHMARK,
            "labelled set: copy recall (compare)",
            round(recall, 4),
            "",
            baseline=baseline,
            baseline_value=round(base_recall, 4),
            target=f">= {TARGET_RECALL}",
            met=recall >= TARGET_RECALL,
        ),
        row(
            BENCHMARK,
            "labelled set: boilerplate / shared-source pairs judged copies",
            boilerplate_joined,
            "pairs",
            target="0",
            met=boilerplate_joined == 0,
            note=f"of {boilerplate_pairs} pairs sharing a site's standard lines, a quoted release, "
            f"an added paragraph or a digest's paragraph; {shared_named} of {shared_pairs} shared-source "
            "pairs named SHARED (no target: a pair under SHARED_THRESHOLD is not kept)",
        ),
    ]
    with (
        tempfile.TemporaryDirectory(prefix="bench-stories-") as work,
        Archive(Path(work) / "labelled.db") as archive,
    ):
        started = time.perf_counter()
        stories = store_shuffled(labelled, archive)
        seconds = time.perf_counter() - started
    tp, fp, fn = membership_scores({item.key: item.group for item in labelled.articles}, stories)
    precision, recall = scores(tp, fp, fn)
    note = (
        f"store_article of the {len(stories)} labelled articles in a seeded random order "
        f"({seconds / len(stories) * 1e3:.1f} ms each); pairs of articles: TP {tp} FP {fp} FN {fn}"
    )
    rows += [
        row(
            BENCHMARK,
            "labelled set: story membership precision (store_article)",
            round(precision, 4),
            "",
            target=f">= {TARGET_PRECISION}",
            met=precision >= TARGET_PRECISION,
            note=note,
        ),
        row(
            BENCHMARK,
            "labelled set: story membership recall (store_article)",
            round(recall, 4),
            "",
            target=f">= {TARGET_RECALL}",
            met=recall >= TARGET_RECALL,
        ),
    ]
    return rows


# --- the synthetic archive ----------------------------------------------------------------


def _edited(body: str, other: str, rng: random.Random) -> str:
    """A copy of ``body`` edited as the labelled set edits (``other``: a donor text)."""
    paragraphs = body.split("\n\n")
    edit = rng.randrange(5)
    if edit == 0:
        spell = rng.choice((flip_digits, arabic_letters, zwnj_as_space))
        paragraphs = [spell(p) for p in paragraphs]
    elif edit == 1:
        paragraphs.insert(rng.randint(1, len(paragraphs)), other.split("\n\n")[0])
    elif edit == 2 and len(paragraphs) >= 3:
        del paragraphs[rng.randrange(1, len(paragraphs))]
    elif edit == 3:
        paragraphs = [*with_opening(paragraphs, "خبرگزاری نمونه"), CLOSING_LINES[0].format(name="نمونه")]
    return "\n\n".join(paragraphs)


def synthetic_stories(count: int, planted: list[tuple[str, str]], seed: int = 7) -> Iterator[dict]:
    """``count`` synthetic articles, :data:`COPY_SHARE` of them copies of one of the last
    5,000; each (original URL, copy URL) is appended to ``planted``."""
    words, cumulative = vocabulary()
    rng = random.Random(seed)
    recent: deque[tuple[str, str]] = deque(maxlen=5_000)
    for article in synthetic_articles(count, words, cumulative, seed=seed):
        if recent and rng.random() < COPY_SHARE:
            url, body = rng.choice(recent)
            article["body"] = _edited(body, article["body"], rng)
            planted.append((url, article["url"]))
        recent.append((article["url"], article["body"]))
        yield article


def cached_archive(size: int) -> tuple[Path, list[tuple[str, str]], float | None]:
    """The synthetic archive of ``size`` articles (built unless cached), its planted copies,
    and the build's seconds (None when it was cached)."""
    folder = bench_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"stories-{size}-v{_VERSION}.db"
    planted_path = path.with_suffix(".planted.json")
    if path.exists() and planted_path.exists():
        return path, [tuple(pair) for pair in json.loads(planted_path.read_text())], None
    for leftover in folder.glob(f"{path.name}*"):
        leftover.unlink()
    planted: list[tuple[str, str]] = []
    started = time.perf_counter()
    with Archive(path) as archive:
        archive.bulk_insert(
            synthetic_stories(size, planted),
            fetched_at="2025-06-01T00:00:00Z",
            batch_size=2000,
            stories=False,
        )
        archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    seconds = time.perf_counter() - started
    planted_path.write_text(json.dumps(planted))
    return path, planted, seconds


# --- measurements on it ----------------------------------------------------------------------


def _new_articles(archive: Archive, count: int) -> list[dict]:
    """``count`` articles not in the archive: every other one a copy of a stored article."""
    words, cumulative = vocabulary()
    rng = random.Random(99)
    total = archive.count()
    fresh = list(synthetic_articles(count, words, cumulative, seed=4242))
    for number, article in enumerate(fresh):
        article["url"] = f"https://bench.example/new/{number}"
        if number % 2 == 0:
            stored = archive.db.execute(
                "select body from articles where rowid = ?", [rng.randint(1, total)]
            ).fetchone()
            if stored and stored[0]:
                article["body"] = _edited(stored[0], article["body"], rng)
    return fresh


class _Rollback(Exception):
    """Leaves the assignment measurement's transaction without a trace."""


def _memory_kb() -> dict[str, int]:
    """This process's VmRSS and VmHWM (peak RSS), in KB."""
    status = Path("/proc/self/status").read_text().splitlines()
    return {
        line.split(":")[0]: int(line.split()[1]) for line in status if line.startswith(("VmHWM", "VmRSS"))
    }


def measure_assignment(path: str, articles_file: str) -> dict:
    """In this process: store each article of ``articles_file`` (JSON) in ``path`` in its own
    transaction, rolled back (each is assigned against the same archive, which is left as it
    was), timing the story assignment inside the store, wall clock and CPU (this process's:
    other processes' load on a shared machine shows in the first only); RSS before the
    first store and the peak after. Run in a fresh process (the caller's memory is not the
    index's)."""
    import newsarchive.stories  # noqa: F401 (loaded before the baseline RSS: numpy, datasketch)

    articles = json.loads(Path(articles_file).read_text("utf-8"))
    with Archive(path) as archive:
        archive.count()
        before = _memory_kb()["VmRSS"]
        assign_ms: list[float] = []
        assign_cpu_ms: list[float] = []
        store_ms: list[float] = []
        assign = archive._assign_story

        def timed(*args, **kwargs):
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return assign(*args, **kwargs)
            finally:
                assign_ms.append((time.perf_counter() - started) * 1e3)
                assign_cpu_ms.append((time.process_time() - cpu) * 1e3)

        archive._assign_story = timed  # type: ignore[method-assign]
        joined = 0
        for article in articles:
            with contextlib.suppress(_Rollback), archive.write():
                started = time.perf_counter()
                archive.store_article(article, fetched_at="2025-07-01T00:00:00Z")
                store_ms.append((time.perf_counter() - started) * 1e3)
                stored = archive.find_article(article["url"]) or {}
                joined += stored.get("story_id") != stored.get("id")
                raise _Rollback
    return {
        "assign_ms": assign_ms,
        "assign_cpu_ms": assign_cpu_ms,
        "store_ms": store_ms,
        "joined": joined,
        "before_kb": before,
        "peak_kb": _memory_kb()["VmHWM"],
    }


def _assignment_in_a_fresh_process(path: Path, articles: list[dict]) -> dict:
    script = (
        "import json, sys; from bench.bench_stories import measure_assignment; "
        "print(json.dumps(measure_assignment(sys.argv[1], sys.argv[2])))"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as file:
        json.dump(articles, file, ensure_ascii=False)
        file.flush()
        done = subprocess.run(
            [sys.executable, "-c", script, str(path), file.name],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=3600,
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _index_bytes(archive: Archive) -> int:
    """The story tables and their indexes on disk (dbstat), plus articles.story_id's index."""
    names = [
        row[0]
        for row in archive.db.execute(
            "select name from sqlite_master where tbl_name in ({}) or name = 'idx_articles_story_id'".format(
                ", ".join("?" for _ in _TABLES)
            ),
            _TABLES,
        )
    ]
    marks = ", ".join("?" for _ in names)
    return archive.db.execute(
        f"select coalesce(sum(pgsize), 0) from dbstat where name in ({marks})", names
    ).fetchone()[0]


def baseline_lsh(path: Path, new_articles: list[dict]) -> dict:
    """datasketch's in-memory MinHashLSH holding the archive's signatures (at most BASELINE_CAP):
    fingerprint + query + insert per new article, and the memory it took."""
    import tracemalloc

    from datasketch import MinHashLSH

    from newsarchive.search import index_text
    from newsarchive.stories import BANDS, NUM_PERM, ROWS, signature_from_bytes, story_text
    from newsarchive.stories.sketch import fingerprint
    from newsarchive.stories.text import folded_part

    lsh = MinHashLSH(num_perm=NUM_PERM, params=(BANDS, ROWS))
    with Archive(path, readonly=True) as archive:
        rows = archive.db.execute(
            "select article_id, minhash from story_signatures order by id limit ?", [BASELINE_CAP]
        ).fetchall()
    tracemalloc.start()
    with lsh.insertion_session() as session:
        for key, minhash in rows:
            session.insert(key, signature_from_bytes(minhash), check_duplication=False)
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    timings = []
    for number, article in enumerate(new_articles):
        started = time.perf_counter()
        print_ = fingerprint(folded_part(index_text(story_text(article))))
        if print_ is not None:
            sig = signature_from_bytes(print_.minhash)
            lsh.query(sig)
            lsh.insert(f"new-{number}", sig, check_duplication=False)
        timings.append((time.perf_counter() - started) * 1e3)
    return {"held": len(rows), "bytes": held, "ms": timings}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def scale_rows(size: int) -> list[dict]:
    label = f"{size:,} articles"
    at_full = size >= FULL
    path, planted, build_seconds = cached_archive(size)
    rows = [
        row(
            BENCHMARK,
            f"{label}: build (bulk_insert: rows and FTS; the stories come from the rebuild below)",
            round(build_seconds, 1) if build_seconds is not None else None,
            "s",
            note=f"{COPY_SHARE:.0%} of the articles are edited copies ({len(planted):,} planted); "
            + ("built in this run" if build_seconds is not None else f"cached: {path}")
            + f"; load {_load()}",
        )
    ]
    load_before = _load()
    with Archive(path) as archive:
        started = time.perf_counter()
        rebuilt = archive.rebuild_stories()
        rebuild_seconds = time.perf_counter() - started
        archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        index_bytes = _index_bytes(archive)
        checked = planted[:PLANTED_CHECKED]
        found = sum(
            (archive.find_article(a) or {}).get("story_id") == (archive.find_article(b) or {}).get("story_id")
            for a, b in checked
        )
        new_articles = _new_articles(archive, NEW_ARTICLES)
    per_million = rebuild_seconds / size * FULL
    rows.append(
        row(
            BENCHMARK,
            f"{label}: full rebuild (rebuild_stories)",
            round(rebuild_seconds, 1),
            "s",
            target=f"<= {TARGET_REBUILD_S} s at {FULL:,}",
            met=rebuild_seconds <= TARGET_REBUILD_S if at_full else None,
            note=f"{rebuilt['articles']:,} articles, {rebuilt['stories']:,} stories, {rebuilt['pairs']:,} pairs; "
            f"{rebuild_seconds / size * 1e3:.2f} ms per article"
            + ("" if at_full else f" ({per_million:,.0f} s at {FULL:,} if linear: not the target's measure)")
            + f"; load before {load_before}, after {_load()}",
        )
    )
    rows.append(
        row(
            BENCHMARK,
            f"{label}: planted copies found in their original's story",
            round(found / len(checked), 4) if checked else None,
            "",
            note=f"checked: the first {len(checked):,} of the {len(planted):,} generated copies (respelled, a "
            "paragraph added or removed, another site's boilerplate), after the rebuild",
        )
    )
    rounds = [_assignment_in_a_fresh_process(path, new_articles) for _ in range(ROUNDS)]
    base = baseline_lsh(path, new_articles)
    assign_p50, assign_spread = summarize(statistics.median(r["assign_ms"]) for r in rounds)
    pooled = [ms for r in rounds for ms in r["assign_ms"]]
    cpu_p50 = statistics.median(ms for r in rounds for ms in r["assign_cpu_ms"])
    base_p50 = statistics.median(base["ms"])
    rows.append(
        row(
            BENCHMARK,
            f"{label}: story assignment of a new article, p50",
            round(assign_p50, 3),
            "ms",
            baseline=f"datasketch MinHashLSH in memory ({base['held']:,} signatures): fingerprint+query+insert",
            baseline_value=round(base_p50, 3),
            ratio=round(assign_p50 / base_p50, 2) if base_p50 else None,
            target=f"<= {TARGET_ASSIGN_MS} ms at {FULL:,}",
            met=assign_p50 <= TARGET_ASSIGN_MS if at_full else None,
            runs=ROUNDS,
            spread=assign_spread,
            note=f"{NEW_ARTICLES} new articles (half copies of stored ones: {rounds[0]['joined']} joined a story), "
            "each stored with store_article in its own transaction, rolled back, in a fresh process; the "
            "time inside _assign_story (fingerprint, LSH look-up, pairs, story row); median of "
            f"{ROUNDS} processes' p50; CPU time p50 {cpu_p50:.2f} ms (this process's own: other processes' "
            f"load shows in the wall clock only); whole store_article p50 "
            f"{statistics.median(ms for r in rounds for ms in r['store_ms']):.2f} ms; load {_load()}",
        )
    )
    rows.append(
        row(
            BENCHMARK,
            f"{label}: story assignment of a new article, p95",
            round(_percentile(pooled, 0.95), 3),
            "ms",
            baseline="datasketch MinHashLSH in memory",
            baseline_value=round(_percentile(base["ms"], 0.95), 3),
        )
    )
    measured = max(rounds, key=lambda r: r["peak_kb"])
    peak_mb = measured["peak_kb"] / 1024
    base_mb = base["bytes"] / 1e6 * size / max(base["held"], 1)
    rows.append(
        row(
            BENCHMARK,
            f"{label}: memory while assigning (peak RSS of the process)",
            round(peak_mb, 1),
            "MB",
            baseline="datasketch MinHashLSH in memory (Python heap, extrapolated to the archive's size)",
            baseline_value=round(base_mb, 1),
            ratio=round(peak_mb / base_mb, 2) if base_mb else None,
            target=f"<= {TARGET_INDEX_MB} MB at {FULL:,}",
            met=peak_mb <= TARGET_INDEX_MB if at_full else None,
            note="the whole process (Python, numpy, datasketch, SQLite's page cache; the index is SQLite "
            f"tables): {measured['before_kb'] / 1024:,.0f} MB once the archive is open, before the first "
            f"store; the baseline held {base['held']:,} signatures in {base['bytes'] / 1e6:,.0f} MB (tracemalloc)",
        )
    )
    rows.append(
        row(
            BENCHMARK,
            f"{label}: index tables on disk",
            round(index_bytes / 1e6, 1),
            "MB",
            note="story_signatures, story_bands, story_pairs, stories and their indexes, articles.story_id's "
            f"index (dbstat): {index_bytes / size:,.0f} bytes per article; on disk, not in memory",
        )
    )
    return rows


def run(quick: bool = False) -> list[dict]:
    size = int(os.environ.get(SCALE_VARIABLE) or (QUICK if quick else FULL))
    return accuracy_rows() + scale_rows(size)


if __name__ == "__main__":
    from bench import format_table, machine

    print(format_table(run(quick="--quick" in sys.argv), [], machine(), " ".join(sys.argv)))
