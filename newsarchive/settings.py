"""Scrapy settings for newsarchive: polite defaults for unattended scheduled runs.

Project settings (override with ``-s NAME=VALUE``):

* ``NEWSARCHIVE_DB``: archive path (else ``$NEWSARCHIVE_DB``, else ``archive.db``).
* ``NEWSARCHIVE_SITES_FILE``: a TOML file of the user's own sites (else ``$NEWSARCHIVE_SITES_FILE``),
  besides ``./sites.toml`` and the bundled sites (see :mod:`newsarchive.sites.loader`).
* ``NEWSARCHIVE_REPLAY_URL``: send every request to this replay server (offline runs).
* ``NEWSARCHIVE_MAX_LISTING_PAGES``: how many listing pages a run follows.
* ``NEWSARCHIVE_MAX_SITEMAP_DEPTH``, ``NEWSARCHIVE_MAX_SITEMAPS``, ``CLOSESPIDER_TIMEOUT``:
  bounded discovery and run time (see SECURITY.md).
* ``NEWSARCHIVE_WARC`` (``0`` turns it off), ``NEWSARCHIVE_WARC_DIR``,
  ``NEWSARCHIVE_WARC_MAX_SIZE``: WARC records of every response (see below).
* ``NEWSARCHIVE_REDIS_URL``, ``NEWSARCHIVE_REDIS_PREFIX``: distributed crawling (see below).
* ``NEWSARCHIVE_HEALTH_MIN_COVERAGE`` (JSON dict with ``-s``),
  ``NEWSARCHIVE_HEALTH_MAX_EXTRACTION_DROPS``, ``NEWSARCHIVE_HEALTH_MIN_SAMPLE``,
  ``NEWSARCHIVE_HEALTH_MAX_ERRORS``, ``NEWSARCHIVE_HEALTH_MAX_FAILED_REQUESTS``,
  ``NEWSARCHIVE_HEALTH_MAX_VALIDATION_ERRORS``: the end-of-run health check (see :mod:`newsarchive.health`).
* ``NEWSARCHIVE_MONITORS``, ``NEWSARCHIVE_ALERT_*``: the health checks as Spidermon
  monitors and alerts to Telegram or webhooks, off by default (see :mod:`newsarchive.monitors`);
  ``NEWSARCHIVE_ITEM_VALIDATION``: Spidermon's item validation, off by default.

Exit codes of ``scrapy crawl`` (``COMMANDS_MODULE`` below) and ``newsarchive crawl``:
0 finished and healthy, 1 could not start or failed (Scrapy's; also a held run lock),
2 usage error, 3 degraded (a health check failed), 4 the archive cannot be written
(read-only file system, disk full, I/O error).
"""

import os

from scrapy.settings import default_settings

from newsarchive import __version__
from newsarchive.processes import configured_workers

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["newsarchive.spiders"]
NEWSPIDER_MODULE = "newsarchive.spiders"
# The bundled sites' spiders come from SPIDER_MODULES; this loader adds one per site of the
# user's ./sites.toml and NEWSARCHIVE_SITES_FILE, so `scrapy list` and `scrapy crawl` know them.
SPIDER_LOADER_CLASS = "newsarchive.spiderloader.SiteSpiderLoader"
NEWSARCHIVE_SITES_FILE = os.environ.get("NEWSARCHIVE_SITES_FILE") or None

NEWSARCHIVE_DB = os.environ.get("NEWSARCHIVE_DB") or "archive.db"
NEWSARCHIVE_REPLAY_URL = os.environ.get("NEWSARCHIVE_REPLAY_URL") or None
NEWSARCHIVE_MAX_LISTING_PAGES = 5
# Template learning (newsarchive.templates): a short paragraph found in this many articles of a
# source is its template and is removed from bodies (0 switches it off).
NEWSARCHIVE_TEMPLATE_MIN_ARTICLES = 5
# Bounded discovery: a site that generates sitemap indexes without end must not keep a run
# (and its lock) alive for ever. Indexes nest at most this deep (robots.txt's sitemaps are
# depth 0; WordPress and Yoast use 1), and a run reads at most this many sitemaps.
NEWSARCHIVE_MAX_SITEMAP_DEPTH = 3
NEWSARCHIVE_MAX_SITEMAPS = 2000
# A run stops after this many seconds whatever it is doing (Scrapy's CloseSpider extension);
# the run is recorded failed with the reason, and the next run goes on. Raise it for backfills.
CLOSESPIDER_TIMEOUT = 6 * 3600
# Incremental runs (see newsarchive.freshness): re-fetch articles younger than the
# window when last fetched longer than the interval ago.
NEWSARCHIVE_REFRESH_WINDOW_HOURS = 48
NEWSARCHIVE_REFETCH_INTERVAL_HOURS = 6
# Crawl health (newsarchive.health): below these a finished run is "degraded" and exits 3.
# Shares are judged only on runs with at least MIN_SAMPLE article pages.
NEWSARCHIVE_HEALTH_MIN_COVERAGE = {"title": 1.0, "body": 0.95, "published": 1.0}
NEWSARCHIVE_HEALTH_MAX_EXTRACTION_DROPS = 0.05
NEWSARCHIVE_HEALTH_MIN_SAMPLE = 5
NEWSARCHIVE_HEALTH_MAX_ERRORS = 0
NEWSARCHIVE_HEALTH_MAX_FAILED_REQUESTS = 0.2
NEWSARCHIVE_HEALTH_MAX_VALIDATION_ERRORS = 0
# `scrapy crawl` exits non-zero for degraded runs and unwritable archives (newsarchive.commands.crawl).
COMMANDS_MODULE = "newsarchive.commands"

# An honest User-Agent that names the project and where to read about it.
USER_AGENT = f"newsarchive/{__version__} (+https://github.com/newsarchive/newsarchive; Persian news archive for research)"
ROBOTSTXT_OBEY = True

# Politeness: few parallel requests per site, AutoThrottle adapts to the server.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Items processed in parallel per response. An article page yields one item and a listing
# none, yet Scrapy starts this many asyncio tasks for every callback's output (default 100:
# most of the engine's CPU per page in a profile).
CONCURRENT_ITEMS = 4
# Bytes of responses Scrapy holds while callbacks and pipelines work on them (default 5 MB).
# Article pages wait there for their worker and the archive writer; past about ten
# 100 KB pages in waiting, more only costs memory (a 2,000-page crawl: 5 MB → 2 MB -13 MB
# of peak, 2 MB → 1 MB -5 MB, at the same rate; BENCHMARKS.md).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
# Processes that share a crawl's work (newsarchive.workers, newsarchive.writer): N > 1 parses
# and extracts article pages in N - 1 worker processes, and writes the archive in the one
# worker (N = 2) or a writer process (N > 2), while the crawl's own process fetches, checks
# and records WARC; 1 does everything in the crawl's process. Default: the cores this process may run on.
NEWSARCHIVE_WORKERS = configured_workers()
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
# A news page is ~100 KB; nothing legitimate comes near these caps.
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
# Retries wait (newsarchive.middlewares.BackoffRetryMiddleware): Retry-After when sent and
# at most NEWSARCHIVE_RETRY_AFTER_MAX seconds, else BASE * 2^attempt (jittered, capped at MAX).
NEWSARCHIVE_RETRY_BACKOFF_BASE = 2.0
NEWSARCHIVE_RETRY_BACKOFF_MAX = 60.0
NEWSARCHIVE_RETRY_AFTER_MAX = 300.0
# Every failed page is counted under its reason and judged by the end-of-run health
# check; ERROR is kept for what needs a person (a degraded run, an unwritable archive).
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
# A redirect chain longer than this is a loop (Scrapy's default is 20).
REDIRECT_MAX_TIMES = 5
# Images are never downloaded: only their URLs are archived.
MEDIA_ALLOW_REDIRECTS = False

# No listening ports on an unattended crawler.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# Only the web: Scrapy's file, data, FTP and S3 handlers would let a sitemap name
# file:///etc/passwd (see newsarchive.urlpolicy).
DOWNLOAD_HANDLERS = {
    "http": "newsarchive.middlewares.ReplayDownloadHandler",
    "https": "newsarchive.middlewares.ReplayDownloadHandler",
    "file": None,
    "data": None,
    "ftp": None,
    "s3": None,
}
# DNS answers in private, loopback or link-local ranges are refused (newsarchive.resolver).
TWISTED_DNS_RESOLVER = "newsarchive.resolver.PublicAddressResolver"
# URLs longer than URLLENGTH_LIMIT are refused and counted (url-too-long) by the allow-rule
# below, instead of Scrapy's spider middleware, which drops them with an INFO line only.
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
}
DOWNLOADER_MIDDLEWARES = {
    # First of all: every request (robots.txt, sitemaps, feeds, redirects) passes one
    # allow-rule: http(s), the site's hosts, no private addresses (newsarchive.urlpolicy).
    "newsarchive.middlewares.AllowRuleMiddleware": 50,
    # Scrapy's robots.txt rules; its fetch of robots.txt also answers the spider's request.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newsarchive.middlewares.SharedRobotsTxtMiddleware": 100,
    # Retries after a pause (Retry-After, else exponential backoff), in the built-in's place.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsarchive.middlewares.BackoffRetryMiddleware": 550,
    # After decompression (590), before retries (550): challenge pages, soft 404s, empty
    # bodies and lying charsets never reach the spider, and a challenge is not retried.
    "newsarchive.middlewares.PageCheckMiddleware": 560,
    # After RedirectMiddleware (600) in the request chain, so before it for responses.
    "newsarchive.middlewares.RedirectAliasMiddleware": 650,
    "newsarchive.middlewares.RedirectGuardMiddleware": 640,
    # On the downloader side of every built-in middleware: sees each response as
    # delivered, before retries (550), decompression (590) and redirects (600).
    "newsarchive.warc.WarcMiddleware": 950,
}
# WARC records of every response (newsarchive.warc): on unless NEWSARCHIVE_WARC=0;
# files under NEWSARCHIVE_WARC_DIR (default: warc/ beside the archive), rolled over
# at NEWSARCHIVE_WARC_MAX_SIZE bytes.
NEWSARCHIVE_WARC = os.environ.get("NEWSARCHIVE_WARC", "1")
NEWSARCHIVE_WARC_DIR = os.environ.get("NEWSARCHIVE_WARC_DIR") or None
NEWSARCHIVE_WARC_MAX_SIZE = 1_000_000_000
ITEM_PIPELINES = {
    "newsarchive.pipelines.ValidationPipeline": 100,
    "newsarchive.pipelines.NormalizationPipeline": 200,
    "newsarchive.pipelines.DatePipeline": 300,
    "newsarchive.pipelines.TemplatePipeline": 800,
    # Spidermon's ItemValidationPipeline when NEWSARCHIVE_ITEM_VALIDATION (newsarchive.monitors.validation).
    "newsarchive.monitors.validation.ArticleValidation": 850,
    "newsarchive.pipelines.StoragePipeline": 900,
}
# Scrapy's own extensions but the two that listen on a port, which are off (above) and are not
# even imported: Scrapy imports every listed extension to read its order, disabled or not, and
# the remote control brings aiohttp (about 0.4 s of start-up and 9 MB in every crawl).
_LISTENING = {"scrapy.extensions.remote_control.RemoteControl", "scrapy.extensions.telnet.TelnetConsole"}
EXTENSIONS_BASE = {
    path: order for path, order in default_settings.EXTENSIONS_BASE.items() if path not in _LISTENING
}
EXTENSIONS = {
    "newsarchive.extensions.CrawlRun": 500,
    "newsarchive.extensions.FrozenStartupHeap": 900,
    # Before CrawlRun (500) and Spidermon's: publishes field coverage under Spidermon's names;
    # runs the health monitors and alerts once the run is recorded (newsarchive.monitors).
    "newsarchive.monitors.extension.CrawlHealthMonitors": 100,
}
# Crawl health as Spidermon monitors and alerts (newsarchive.monitors; pip install
# 'newsarchive[alerts]'). Nothing runs and nothing is sent unless set: NEWSARCHIVE_MONITORS
# runs the monitors alone; a Telegram bot token and chat id, a Slack-compatible webhook or a
# plain JSON webhook send each failed rule, again only after NEWSARCHIVE_ALERT_REPEAT_HOURS.
# The bot token and chat id may come from the environment, to keep the token off command lines.
NEWSARCHIVE_MONITORS = False
NEWSARCHIVE_ALERT_TELEGRAM_TOKEN = os.environ.get("NEWSARCHIVE_ALERT_TELEGRAM_TOKEN") or None
NEWSARCHIVE_ALERT_TELEGRAM_CHAT_ID = os.environ.get("NEWSARCHIVE_ALERT_TELEGRAM_CHAT_ID") or None
NEWSARCHIVE_ALERT_TELEGRAM_API = "https://api.telegram.org"
NEWSARCHIVE_ALERT_SLACK_URL = None
NEWSARCHIVE_ALERT_WEBHOOK_URL = None
# Email (newsarchive.monitors.mail): all three of _EMAIL_TO (commas between addresses),
# _EMAIL_FROM and _SMTP_HOST, or none; a login is _SMTP_USER with _SMTP_PASSWORD (which may
# come from the environment). STARTTLS unless NEWSARCHIVE_ALERT_SMTP_STARTTLS=False; TLS from the
# first byte (SMTPS) with NEWSARCHIVE_ALERT_SMTP_SSL=True, or by default on port 465.
NEWSARCHIVE_ALERT_EMAIL_TO = None
NEWSARCHIVE_ALERT_EMAIL_FROM = None
NEWSARCHIVE_ALERT_SMTP_HOST = None
NEWSARCHIVE_ALERT_SMTP_PORT = 587
NEWSARCHIVE_ALERT_SMTP_USER = None
NEWSARCHIVE_ALERT_SMTP_PASSWORD = os.environ.get("NEWSARCHIVE_ALERT_SMTP_PASSWORD") or None
NEWSARCHIVE_ALERT_SMTP_STARTTLS = True
NEWSARCHIVE_ALERT_SMTP_SSL = None
NEWSARCHIVE_ALERT_LANGUAGE = "en"
NEWSARCHIVE_ALERT_REPEAT_HOURS = 24
# Spidermon's HTML report of each degraded run, as reports/<site>-run-<id>.html beside the archive.
NEWSARCHIVE_HEALTH_REPORTS = False
# Every article checked against its JSON schema by Spidermon's ItemValidationPipeline (needs
# 'newsarchive[alerts]'; ~0.3 ms of CPU per article); judged by NEWSARCHIVE_HEALTH_MAX_VALIDATION_ERRORS.
NEWSARCHIVE_ITEM_VALIDATION = False
# Distributed crawling (newsarchive.distributed): NEWSARCHIVE_REDIS_URL=redis://HOST:PORT/DB makes
# this process a worker (scrapy-redis scheduler and dupe filter, items to Redis for
# `newsarchive ingest`); unset, the add-on changes nothing and Redis is never imported.
NEWSARCHIVE_REDIS_URL = os.environ.get("NEWSARCHIVE_REDIS_URL") or None
NEWSARCHIVE_REDIS_PREFIX = "newsarchive:"
# Set by that add-on, so not here (a project setting outranks an add-on's):
# NEWSARCHIVE_CRAWL_MEMORY, the class the spider asks what earlier runs have seen
# (newsarchive.memory; default newsarchive.memory.ArchiveMemory, the archive at NEWSARCHIVE_DB),
# and NEWSARCHIVE_QUEUE_ALL_SITEMAPS (default False: an index's sitemaps one at a time).
ADDONS = {
    "newsarchive.distributed.DistributedAddon": 0,
}
# scrapy check <site>: sample pages per site (Site.contract_urls), see newsarchive.contracts.
SPIDER_CONTRACTS = {
    "newsarchive.contracts.FillsContract": 10,
}

# JSON feeds (scrapy crawl digiato -O items.jsonl) readable as Persian, not \uXXXX.
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
