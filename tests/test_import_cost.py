"""Commands that only read the archive do not pay for Scrapy: the archive and the CLI import
no crawling machinery (Scrapy and Twisted cost ~0.4 s and ~30 MB per command, and every
encoder process an export forks inherits them)."""

import subprocess
import sys


def test_the_archive_and_the_cli_import_without_scrapy():
    code = (
        "import sys, newsarchive.archive, newsarchive.cli, newsarchive.outcomes; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"
