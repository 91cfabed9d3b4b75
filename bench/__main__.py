"""``python -m bench [NAME ...] [--quick] [--json PATH]``: run the benchmarks, print one table."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import discover, format_table, machine, run_benchmarks


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    available = discover()
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run the benchmarks (bench/bench_*.py) and print each figure beside its baseline and target.",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run (default: all): {', '.join(available)}"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller inputs and fewer runs: checks the harness, not the figures",
    )
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="also write the results, machine and command as JSON"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run each module N times; each figure is then the median run, with its spread",
    )
    parser.add_argument(
        "--pages",
        type=int,
        metavar="N",
        help="pages of the generated mirror for the crawl throughput (default 2000; --quick 500)",
    )
    parser.add_argument(
        "--runs", type=int, metavar="N", help="measurements per figure in the crawl and extraction benchmarks"
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(f"{name}\t{module}" for name, module in available.items()))
        return 0
    if args.pages:
        os.environ["NEWSARCHIVE_BENCH_PAGES"] = str(args.pages)
    if args.runs:
        os.environ["NEWSARCHIVE_BENCH_RUNS"] = str(args.runs)
    command = "python -m bench " + shlex.join(argv) if argv else "python -m bench"
    info = machine()
    started = datetime.now(UTC)
    clock = time.perf_counter()
    rows, problems = run_benchmarks(args.names or None, quick=args.quick, repeat=args.repeat)
    info["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print(format_table(rows, problems, info, command))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "command": command,
                    "started": started.isoformat(timespec="seconds"),
                    "seconds": round(time.perf_counter() - clock, 1),
                    "machine": info,
                    "rows": rows,
                    "problems": problems,
                },
                ensure_ascii=False,
                indent=1,
                default=str,
            ),
            "utf-8",
        )
        print(f"Results written to {args.json}", file=sys.stderr)
    return 1 if problems and not rows else 0


if __name__ == "__main__":
    sys.exit(main())
