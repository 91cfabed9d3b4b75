"""Datasette for Persian readers, seen in a real browser.

``newsarchive demo`` fills an archive from the bundled offline replay (plus the reader
articles of :mod:`test_datasette`: a title that starts in Latin, an earlier version, a
capture), ``newsarchive serve`` runs Datasette on it on a free loopback port, and headless
Chromium (Debian's ``chromium`` and ``chromium-driver``, driven by Selenium) reads the
pages as a reader would: computed directions, where the Latin words of a Persian line
land, the columns of the table, the order of search results, the article page. The
screenshots go to ``build/screenshots/`` (not committed) for a person to look at.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from test_datasette import MIXED_TITLE, add_reader_articles

from newsarchive.datasette.plugin import READER_COLUMNS

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"
QUERY = "اینترنت ماهواره‌ای"

# The page box of each of two words of an element's text (None where the text lacks it).
WORD_BOXES = """
const [element, ...words] = arguments;
return words.map((word) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(word);
    if (at < 0) continue;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + word.length);
    const box = range.getBoundingClientRect();
    return {left: box.left, right: box.right, top: box.top};
  }
  return null;
});
"""


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    path = folder / "archive.db"
    subprocess.run(
        [sys.executable, "-m", "newsarchive", "demo", "--db", str(path), "--quiet"],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=300,
    )
    add_reader_articles(path)
    return path


@pytest.fixture(scope="module")
def server(demo_archive):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "serve", "--db", str(demo_archive), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"newsarchive serve did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1600"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def visit(browser, server: str, path: str, screenshot: str | None = None) -> None:
    """Open ``path``; fail on a console error of the page itself (article images on the
    publishers' hosts cannot load offline, and are no error of the page)."""
    browser.get(server + path)
    browser.execute_script("return document.fonts.ready")
    if screenshot:
        browser.save_screenshot(str(SCREENSHOTS / screenshot))
    errors = [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE"
        and not ("Failed to load resource" in entry["message"] and server not in entry["message"])
    ]
    assert errors == [], errors


def computed(browser, element, name: str) -> str:
    return browser.execute_script("return getComputedStyle(arguments[0])[arguments[1]]", element, name)


def test_table_page_reads_right_to_left_with_latin_words_in_place(browser, server):
    from selenium.webdriver.common.by import By

    visit(browser, server, "/archive/articles", "table.png")
    headers = [
        th.get_attribute("data-column")
        for th in browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns th")
    ]
    assert headers == list(READER_COLUMNS)  # body and the search forms are not there
    assert not browser.find_elements(By.CSS_SELECTOR, "td.col-body, td.col-search_body")

    title = browser.find_element(
        By.XPATH, f"//td[contains(@class, 'col-title')]//div[.//a[text()='{MIXED_TITLE}']]"
    )
    assert computed(browser, title, "direction") == "rtl"
    gta, verb = browser.execute_script(WORD_BOXES, title, "GTA", "منتشر")
    assert gta["top"] == pytest.approx(verb["top"], abs=4)  # one line
    assert gta["left"] > verb["right"]  # the sentence starts at the right: GTA 6 first, the verb after it
    cell = title.find_element(By.XPATH, "./ancestor::td")
    text_right = max(box["right"] for box in browser.execute_script(WORD_BOXES, title, "GTA", "6"))
    assert cell.rect["x"] + cell.rect["width"] - text_right < 12  # right-aligned in its cell

    # Every Persian title cell is right to left; the chips of a tag list too.
    for element in browser.find_elements(By.CSS_SELECTOR, "td.col-title .na-text")[:10]:
        assert computed(browser, element, "direction") == "rtl"
    chips = browser.find_element(By.CSS_SELECTOR, "td.col-tags ul.na-chips")
    assert computed(browser, chips, "direction") == "rtl" and "[" not in chips.text

    search = browser.find_element(By.ID, "_search")
    search.send_keys(QUERY)
    assert computed(browser, search, "direction") == "rtl"  # dir="auto" follows what is typed


def test_search_page_ranks_and_marks_and_orders_by_date_on_one_click(browser, server):
    from selenium.webdriver.common.by import By

    visit(browser, server, f"/archive/articles?_search={QUERY}", "search.png")
    titles = [hit.text for hit in browser.find_elements(By.CSS_SELECTOR, ".na-hit-title")]
    assert titles.index("اینترنت ماهواره‌ای برای همه") < titles.index("گزارش هفته")
    marks = browser.find_elements(By.CSS_SELECTOR, ".na-snippet mark")
    assert marks and any(mark.text == "ماهواره‌ای" for mark in marks)
    snippet = browser.find_element(By.CSS_SELECTOR, ".na-snippet")
    assert computed(browser, snippet, "direction") == "rtl"

    browser.find_element(By.CSS_SELECTOR, "a.na-date-order").click()
    assert "_sort_desc=published_at" in browser.current_url
    by_date = [link.text for link in browser.find_elements(By.CSS_SELECTOR, "td.col-title a.na-title-link")]
    assert by_date.index("گزارش هفته") < by_date.index("اینترنت ماهواره‌ای برای همه")


def test_facets_are_listed_once_with_persian_values(browser, server):
    from selenium.webdriver.common.by import By

    # source is a facet of the metadata too; one Jalali year selected.
    visit(browser, server, "/archive/articles?_facet=source&published_jalali__startswith=1403", "facets.png")
    assert len(browser.find_elements(By.CSS_SELECTOR, '.facet-info[data-column="source"]')) == 1
    selected = browser.find_element(By.CSS_SELECTOR, "#facet-published_jalali-jalali_year li:has(a.cross)")
    assert selected.text.startswith("1403")
    jalali = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "td.col-published_jalali")]
    assert jalali and all(text.startswith("1403-") for text in jalali)
    months = browser.find_elements(By.CSS_SELECTOR, ".facet-info bdi")
    persian = [
        bdi for bdi in months if "1403" in bdi.text and any("\u0600" <= c <= "\u06ff" for c in bdi.text)
    ]
    assert persian and computed(browser, persian[0], "direction") == "rtl"
    suggested = browser.find_elements(By.CSS_SELECTOR, ".suggested-facets")
    assert not any("field_sources" in p.text or "notes" in p.text for p in suggested)


def test_article_page_from_the_table(browser, server):
    from selenium.webdriver.common.by import By

    visit(browser, server, "/archive/articles")
    browser.find_element(By.LINK_TEXT, MIXED_TITLE).click()
    visit(browser, server, browser.current_url.removeprefix(server), "article.png")
    heading = browser.find_element(By.CSS_SELECTOR, "h1.na-article-title")
    assert heading.text == MIXED_TITLE and computed(browser, heading, "direction") == "rtl"
    paragraphs = browser.find_elements(By.CSS_SELECTOR, ".na-body p")
    assert len(paragraphs) == 2 and all(computed(browser, p, "direction") == "rtl" for p in paragraphs)
    sections = [h2.text for h2 in browser.find_elements(By.CSS_SELECTOR, "section h2")]
    assert sections == ["Earlier versions (1)", "Captures in the WARC files (1)"]
    chips = [chip.text for chip in browser.find_elements(By.CSS_SELECTOR, ".na-tags .na-chip")]
    assert chips == ["بازی ویدیویی", "GTA 6"]

    # A demo article, crawled from the replay: its captures are in the demo's WARC files.
    visit(browser, server, "/archive/articles?_search=iOS 17.2")
    browser.find_element(By.CSS_SELECTOR, ".na-hit-title a").click()
    visit(browser, server, browser.current_url.removeprefix(server), "article-demo.png")
    captures = browser.find_elements(By.CSS_SELECTOR, "#captures tbody tr")
    assert captures and ".warc.gz" in captures[0].text


def test_chart_of_articles_per_month(browser, server):
    from selenium.webdriver.common.by import By

    visit(browser, server, "/archive/articles_per_month", "chart.png")
    chart = browser.find_element(By.CSS_SELECTOR, "figure.na-chart svg")
    assert chart.size["width"] > 300 and "digiato" in chart.text
