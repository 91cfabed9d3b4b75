"""The chart: articles per month, one lane per source, as a self-contained SVG.

:func:`chart_svg` draws every month from the first to the last, so a month without
articles inside a source's range stands out (shaded as a gap); the export draws one
beside each data file, and ``newsarchive stats --chart`` one for a whole archive
(:func:`archive_chart`). No dependencies, deterministic output, Persian names isolated
so they render right to left inside the left-to-right layout.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from newsarchive.archive import Archive, ArticleFilter
from newsarchive.export.errors import UnsafeDestination
from newsarchive.export.paths import special_kind, temp_path

#: Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999933", "#000000")
GAP_COLOUR = "#f6d5d5"
FSI, PDI = "\u2068", "\u2069"  # Unicode isolates: RTL names keep their order inside LTR layout


def month_range(first: str, last: str) -> list[str]:
    """Every ``YYYY-MM`` from ``first`` to ``last`` inclusive."""
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def chart_svg(per_month: dict[str, dict[str, int]], *, title: str = "Articles per month per source") -> str:
    """A bar chart of articles per month, one lane and one colour per source, as SVG text.

    ``per_month`` maps source → ``{"YYYY-MM": count}``. Every month between the first
    and the last is drawn, so a month without articles stands out: inside a source's
    own range it is shaded as a gap. Each lane has its own scale (its busiest month is
    labelled). Text is isolated (FSI…PDI) so Persian names render right-to-left
    while the layout stays left-to-right. No dependencies, deterministic output.
    """
    sources = sorted(source for source, counts in per_month.items() if any(counts.values()))
    months_seen = sorted(
        {m for s in sources for m, n in per_month[s].items() if n and re.fullmatch(r"\d{4}-\d\d", m)}
    )
    font = "font-family=\"Vazirmatn, Tahoma, 'DejaVu Sans', sans-serif\""
    if not months_seen:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="60" viewBox="0 0 480 60" '
            f'direction="ltr" {font} font-size="13">\n<title>{escape(title)}</title>\n'
            '<text x="10" y="35">no dated articles</text>\n</svg>\n'
        )
    months = month_range(months_seen[0], months_seen[-1])
    # right: room for the last month label (~48 px at 11 px), which starts at its tick.
    left, right, top, lane, gap, bottom = 150, 56, 40, 64, 14, 46
    bar = max(2.0, min(22.0, 900 / len(months)))
    width = max(left + bar * len(months) + right, 640)
    height = top + len(sources) * (lane + gap) + bottom
    step = max(1, -(-52 // int(bar)))  # months per label: labels ~52 px wide
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height}" '
        f'viewBox="0 0 {width:.0f} {height}" direction="ltr" {font} font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width:.0f}" height="{height}" fill="#ffffff"/>',
        f'<text x="10" y="22" font-size="13" font-weight="bold">{escape(FSI + title + PDI)}</text>',
    ]
    for number, source in enumerate(sources):
        colour = PALETTE[number % len(PALETTE)]
        counts = per_month[source]
        peak = max(counts.get(m, 0) for m in months)
        active = [m for m in months if counts.get(m, 0)]
        y0 = top + number * (lane + gap)
        base = y0 + lane
        total = sum(counts.get(m, 0) for m in months)
        out.append(f"<g aria-label={quoteattr(f'{source}: {total} articles')}>")
        out.append(
            f'<text x="{left - 8}" y="{y0 + lane / 2:.1f}" text-anchor="end" font-size="12" '
            f'fill="{colour}">{escape(FSI + source + PDI)}</text>'
        )
        out.append(
            f'<text x="{left - 8}" y="{y0 + lane / 2 + 14:.1f}" text-anchor="end" fill="#555">'
            f"{total:,} · max {peak:,}</text>"
        )
        for index, month in enumerate(months):
            x = left + index * bar
            value = counts.get(month, 0)
            if value:
                h = max(1.0, (lane - 4) * value / peak)
                out.append(
                    f'<rect x="{x + 0.5:.1f}" y="{base - h:.1f}" width="{max(bar - 1, 1):.1f}" '
                    f'height="{h:.1f}" fill="{colour}"><title>{escape(source)} {month}: {value}</title></rect>'
                )
            elif active[0] < month < active[-1]:
                out.append(
                    f'<rect x="{x:.1f}" y="{y0}" width="{bar:.1f}" height="{lane}" fill="{GAP_COLOUR}">'
                    f"<title>{escape(source)} {month}: 0 (gap)</title></rect>"
                )
        out.append(
            f'<line x1="{left}" y1="{base}" x2="{left + bar * len(months):.1f}" y2="{base}" '
            'stroke="#888" stroke-width="0.5"/>'
        )
        out.append("</g>")
    axis = top + len(sources) * (lane + gap)
    for index, month in enumerate(months):
        if index % step == 0:
            x = left + index * bar
            out.append(
                f'<line x1="{x:.1f}" y1="{axis - gap}" x2="{x:.1f}" y2="{axis - gap + 4}" stroke="#888"/>'
            )
            out.append(f'<text x="{x:.1f}" y="{axis + 6}" fill="#333">{month}</text>')
    out.append(
        f'<text x="10" y="{height - 8}" fill="#555">Gregorian months (UTC); shaded: no articles '
        "that month</text>"
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def archive_chart(archive: Archive, path: Path, *, filters: ArticleFilter | None = None) -> Path:
    """Write the articles-per-month chart of (the filtered part of) an archive to ``path``,
    a regular file or a new name (as the export's files: see :class:`UnsafeDestination`)."""
    per_month: dict[str, dict[str, int]] = defaultdict(dict)
    for row in archive.monthly_counts(filters, calendar="gregorian"):
        per_month[row["source"]][row["month"]] = row["articles"]
    svg = chart_svg(
        dict(per_month), title=f"{archive.path.name}: articles per month (Gregorian, UTC) per source"
    )
    kind = special_kind(path)
    if kind:
        raise UnsafeDestination(path, kind)
    temp = temp_path(path)
    try:
        temp.write_text(svg, encoding="utf-8")
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path
