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


def test_the_archive_loads_neither_pandas_nor_numpy_yet_both_still_load():
    code = (
        "import sys, newsarchive.archive; before = {'pandas', 'numpy'} & set(sys.modules); "
        "import pandas, sqlite_utils; "
        "print(sorted(before), sqlite_utils.db.pd is None, pandas.DataFrame({'a': [1]}).shape)"
    )
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert printed.split() == ["[]", "True", "(1,", "1)"]


def test_page_workers_load_no_scrapy():
    """The fork server preloads newsarchive.page for every page worker (newsarchive.workers)."""
    code = (
        "import sys, newsarchive.workers; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
