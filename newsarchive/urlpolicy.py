"""The one rule every request of a crawl passes: which URLs the crawler may fetch.

Every byte a site sends is untrusted, and sitemaps, feeds, listings, pages and
redirects all name URLs. Without one rule at the wire, a sitemap index naming
``http://169.254.169.254/latest/meta-data/`` or ``file:///etc/hostname`` makes
the crawler fetch it and keep the answer in the archive and the WARC files that
users attach to bug reports. :func:`refusal` is that rule, pure and tested
without Scrapy; :class:`newsarchive.middlewares.AllowRuleMiddleware` applies it
to every request (robots.txt and redirects included, ``dont_filter`` or not) and
:class:`PublicAddressResolver` applies its address part to what DNS answers.

A URL may be fetched when:

* its scheme is ``http`` or ``https`` and it has no user name or password;
* its host is one of the site's hosts or a subdomain of one (a site entry
  names its other hosts, such as a CDN, in ``extra_hosts``);
* its port is the scheme's default;
* its host is not an IP address in a loopback, private, link-local, shared,
  multicast, reserved or unspecified range, nor ``localhost``. This holds during
  replays too: their requests carry the real site's URLs, and only the download
  handler sends them to the loopback replay server (whose address the resolver
  then lets through);
* it is no longer than ``URLLENGTH_LIMIT``.

Each refusal has a reason counted under ``newsarchive/dropped/<reason>``:
``unsafe-url`` (scheme, credentials, port, address), ``offsite-url`` (another
host) and ``url-too-long``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from newsarchive.outcomes import Drop

ALLOWED_SCHEMES = {"http": 80, "https": 443}
#: Host names that always mean this machine, whatever DNS says.
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def is_public_address(address: str) -> bool:
    """True when ``address`` (an IPv4 or IPv6 literal) is a global unicast address.

    ``ipaddress`` knows the special ranges (RFC 6890): loopback, RFC 1918, link-local
    (cloud metadata at 169.254.169.254), CGNAT, documentation, multicast, reserved.
    IPv4-mapped IPv6 addresses are judged by their IPv4 part.
    """
    try:
        ip = ipaddress.ip_address(address.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _address_of_literal(host: str) -> str | None:
    """The address an IP literal host means, legacy IPv4 forms included (``0x7f000001``,
    ``2130706433``, ``0177.0.0.1``: the C resolver reads them all as 127.0.0.1), else None."""
    literal = host.strip("[]").split("%", 1)[0]
    try:
        return str(ipaddress.ip_address(literal))
    except ValueError:
        pass
    if not re.fullmatch(r"[0-9a-fA-Fx.]+", literal) or not literal[:1].isdigit():
        return None
    try:
        return socket.inet_ntoa(socket.inet_aton(literal))
    except OSError:
        return None


def host_allowed(host: str, hosts: Iterable[str]) -> bool:
    """True when ``host`` is one of ``hosts`` or a subdomain of one (``www.`` included)."""
    host = host.lower().rstrip(".")
    return any(host == allowed or host.endswith("." + allowed) for allowed in hosts)


def refusal(url: str, hosts: Iterable[str], *, max_length: int = 2083) -> tuple[str, str] | None:
    """``(reason, detail)`` when the crawler must not fetch ``url``, else None.

    ``hosts`` are the site's hosts (empty: any public host); ``max_length`` is
    ``URLLENGTH_LIMIT`` (0 for none).
    """
    if max_length and len(url) > max_length:
        return Drop.URL_TOO_LONG, f"URL of {len(url)} characters (URLLENGTH_LIMIT {max_length})"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return Drop.UNSAFE_URL, f"unreadable URL ({error})"
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        return Drop.UNSAFE_URL, f"scheme {scheme or '(none)'!r} is not http or https"
    if parts.username is not None or parts.password is not None:
        return Drop.UNSAFE_URL, "credentials in the URL"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return Drop.UNSAFE_URL, "no host"
    if port is not None and port != ALLOWED_SCHEMES[scheme]:
        return Drop.UNSAFE_URL, f"port {port} is not the default of {scheme}"
    address = _address_of_literal(host)
    if (
        host in LOCAL_NAMES
        or host.endswith(".localhost")
        or (address is not None and not is_public_address(address))
    ):
        return Drop.UNSAFE_URL, f"host {host} is a local, private or reserved address"
    if hosts and not host_allowed(host, hosts):
        return Drop.OFFSITE_URL, f"host {host} is not one of the site's hosts"
    return None
