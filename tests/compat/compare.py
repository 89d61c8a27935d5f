"""What the real Django and Starlette answer for a corpus of Host values.

Run by tests/compat/main.rs (`cargo test --test compat`) in the virtualenv that
tests/compat/venv.sh makes from tests/compat/requirements.txt. It prints one JSON
object per line and (pattern list, value):

    {"allowed_hosts": [...] or null, "django_debug": bool, "value": "...",
     "django": {"allowed": bool, "message": str or null},
     "starlette": {"allowed": bool, "message": str or null}}

then one per value with what the two parsers alone make of it:

    {"value": "...", "split_domain_port": [domain, port],
     "parse_host_header": [host, port or null] or null}

`value` is the Host header's bytes decoded as Latin-1, one character per byte, which
is how both frameworks see it (PEP 3333 for WSGI; Starlette's Headers). The Rust
test feeds the same bytes to `hostecho check --compare --json` and requires every
verdict and message to be equal.

The corpus is the reference tables hostecho's unit tests port (Django, Starlette,
Rails, Go, nginx), then values generated from a small grammar with a fixed seed, so
every run checks the same values: `python compare.py --count` prints their number.
"""

import asyncio
import json
import random
import sys

import django
import starlette
from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.http.request import split_domain_port
from starlette._utils import parse_host_header
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import PlainTextResponse

# The versions the Rust models name. A different install fails loudly rather than
# comparing against something else.
DJANGO_VERSION = "5.2.19"
STARLETTE_VERSION = "1.10.0"

# The accepting socket, as `hostecho check` assumes by default (--local).
SERVER = ("127.0.0.1", 8090)

SEED = 20260521
GENERATED = 2400

# ---------------------------------------------------------------------------------
# Pattern lists. Each is valid for hostecho (it refuses bad patterns at start), and
# together they hold every pattern form: exact, .x, *.x, *, IPv4, IPv6 with and
# without brackets, CIDR, IDNA, upper case, and a www. pattern for Starlette's
# redirect. `None` is "no --allowed-hosts": each framework's own default.
# ---------------------------------------------------------------------------------
PATTERN_LISTS = [
    ([".example.com", "*.example.org"], False),
    (["example.com"], False),
    (["*"], False),
    ([".localhost", "127.0.0.1", "[::1]"], False),
    # Starlette, tests/middleware/test_trusted_host.py
    (["testserver", "*.testserver"], False),
    # Django, tests/requests_tests/tests.py, test_http_get_host
    (
        [
            "forward.com",
            "example.com",
            "internal.com",
            "12.34.56.78",
            "[2001:19f0:feee::dead:beef:cafe]",
            "xn--4ca9at.com",
            ".multitenant.com",
            "INSENSITIVE.com",
            "[::ffff:169.254.169.254]",
        ],
        False,
    ),
    (["10.0.0.0/8", "::1", "bücher.example", "www.example.net", "xn--bcher-kva.example"], False),
    (["[::ffff:1.2.3.4]", "[2001:DB8::1]", "*.Example.COM", ".Example.ORG."], False),
    (None, False),
    (None, True),
]

# ---------------------------------------------------------------------------------
# The reference tables, with their sources.
# ---------------------------------------------------------------------------------
REFERENCE = [
    # Django's docs and the issue's own example: validate_host's session.
    "example.com", "www.example.com", "evilexample.com", "EVIL.example.com:8080",
    "example.com:evil", "www.example.org", "example.org",
    # Starlette's TrustedHostMiddleware table: example.com, localhost, malicious.com, empty.
    "localhost", "malicious.com", "",
    # Django, tests/requests_tests/tests.py: test_http_get_host (legit and poisoned).
    "example.com:80", "12.34.56.78", "12.34.56.78:443",
    "[2001:19f0:feee::dead:beef:cafe]", "[2001:19f0:feee::dead:beef:cafe]:8080",
    "xn--4ca9at.com", "anything.multitenant.com", "multitenant.com", "insensitive.com",
    "example.com.", "example.com.:80", "[::ffff:169.254.169.254]",
    "example.com@evil.tld", "example.com:dr.frankenstein@evil.tld",
    "example.com:dr.frankenstein@evil.tld:80", "example.com:80/badpath",
    "example.com: recovermypassword.com", "other.com", "example.com..",
    "invalid_hostname.com", "forward.com",
    # Django, test_split_domain_port.
    "<invalid>", "<invalid>:8080", "example.com 8080", "example.com:invalid",
    "[::1]", "[::1]:8080", "[::ffff:127.0.0.1]", "[::ffff:127.0.0.1]:8080",
    "[1851:0000:3238:DEF1:0177:0000:0000:0125]",
    "[1851:0000:3238:DEF1:0177:0000:0000:0125]:8080",
    "127.0.0.1", "127.0.0.1:8080", "example.com:8080", "example.com.:8080",
    "xn--n28h.test", "xn--n28h.test:8080", "subdomain.example.com",
    "subdomain.example.com:8080",
    # Django, tests/utils_tests/test_http.py, IsSameDomainTests (hosts).
    "foo.example.com", "example.com:8888", "foo.example.com:8888", "example2.com",
    "example.com:9999",
    # Starlette, tests/middleware/test_trusted_host.py.
    "testserver", "subdomain.testserver", "invalidhost", "TestServer",
    "[::1]:8000", "[2001:db8::1]", "[::1", "[::1]evil.com", "[::1]@attacker", "[::1].",
    "[::1]:evil", "[::1]evil.example.com", "[::1]:\xb2",
    # Rails, actionpack/test/dispatch/host_authorization_test.rb ("lots of NG hosts").
    "hacker%E3%80%82com", "hacker%00.com", "www.theirsite.com@yoursite.com",
    "hacker.com/test/", "hacker%252ecom", ".hacker.com", "////hacker.com/",
    "/hacker.com", "../hacker.com", "@hacker.com", "hacker.com",
    "hacker.com%23@example.com", "hacker.com/.jpg", "hacker.com\texample.com/",
    "hacker.com/example.com", "hacker.com@example.com", "hacker.com/",
    "//randomhost.com", "attacker.com#x.example.com", ".example.com",
    "Example.local", "host.test:3000", "sub-example.com", "my-sub.domain.com",
    "secondary.sub.domain.com", "localhost:3000", "127.0.0.1:3000", "[::1]:3000",
    "0.0.0.0", "[::]:3000",
    # Go, src/net/http/serve_test.go, TestServerValidatesHostHeader.
    "1.2.3.4", "foo.com", "foo.com:80", "[::1]:80", "\x06", "\xff", "{", "}",
    "foo-bar_baz.com", "::1", "[::1%25en0]:80",
    # nginx-tests, http_host.t.
    "www.abcd-ef.g02.xyz", "abcd-ef.g02.xyz:8080", "www.abcd-ef.g02.xyz:10",
    "www.abcd-ef.g02.xyz.", "abcd-ef.g02.xyz.:88", "abcd-ef.g02.xyz.:2",
    "AbC-d93.0.34ZhGt-s.nk.Ru", "AbC-d93.0.34ZhGt-s.nk.Ru:88", "123.40.56.78",
    "123.49.0.78:987", "[abcd::ef98:0:7654:321]", "[abcd::ef98:0:7654:321]:80",
    "[::ffff:12.30.67.89]", "[::ffff:12.30.67.89]:4321", "[::123.45.67.89]:4321",
    "example.com/\\:552", "\\e/xample.com", "..examp-LE.com", "com.exa-m.45..:",
    "[abcd::e\\f98:0/:7654:321]", "[abcd\\::ef98:0:7654:321/]:12",
    "[abcd::ef98:0:7654:321]..:98", "[ab..cd::ef98:0:7654:321]", "localhost\x02",
    "[v0123456789aBcDeF.!$&'()*+,;=-._~AbCdEfGhIjKlMnOpQrStUvWxYz0123456789:]",
    "123.40.56.78:9000:80",
]

# ---------------------------------------------------------------------------------
# The grammar: a Host is a host part and a port part, each drawn from rules that
# aim at the places where the three checks differ.
# ---------------------------------------------------------------------------------
NAMES = [
    "example.com", "example.org", "example.net", "www.example.net", "localhost",
    "testserver", "multitenant.com", "insensitive.com", "forward.com",
    "bücher.example", "xn--bcher-kva.example", "xn--4ca9at.com", "evilexample.com",
    "example.com.evil", "com", "a",
]
ODD_BYTES = [
    "\x00", "\x01", "\t", "\x0b", "\x0c", "\r", "\x1b", "\x7f", " ", "%", "%2e", "%00",
    "_", "~", "!", "$", "&", "'", '"', "(", ")", "*", "+", ",", ";", "=", "@", "/",
    "\\", "?", "#", "[", "]", "{", "}", "<", ">", "^", "`", "|", "\x80", "\xa0",
    "\xad", "\xe9", "\xff", "\xc3\xbc", "\xe2\x80\x8b", "Ä", "ü", "K", "ſ",
]
PORTS = [
    "", "", "", "", ":", ":0", ":1", ":80", ":8080", ":443", ":65535", ":65536",
    ":99999", ":100000", ":000080", ":0000000000080", ":123456789012", ":-1", ":8o",
    ":80:80", ": 80", ":80 ", ":+80", ":٣", ":80/", ":0x50", "::80",
]


def latin1(text):
    """Text as the bytes a client would send, decoded back as Latin-1. Characters
    above U+00FF (written in the tables for readability) go out as UTF-8."""
    return text.encode("utf-8").decode("latin-1") if any(ord(c) > 0xFF for c in text) else text


def label(rng):
    kind = rng.randrange(10)
    if kind == 0:
        return "xn--" + rng.choice(["bcher-kva", "4ca9at", "n28h", "", "-", "ab"])
    if kind == 1:
        return rng.choice(["a" * 63, "a" * 64, "b" * 70, "-a", "a-", "-", "a-b", "0", "00"])
    if kind == 2:
        return rng.choice(["WWW", "Www", "EXAMPLE", "Example", "LOCALHOST"])
    if kind == 3:
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-_") for _ in range(rng.randint(1, 8)))
    if kind == 4:
        return rng.choice(["0x7f", "127", "1", "255", "256", "010", "4294967295"])
    return rng.choice(["www", "api", "a", "b", "sub", "deep", "x1", "evil"])


def name(rng):
    base = rng.choice(NAMES)
    kind = rng.randrange(12)
    if kind == 0:
        return base
    if kind == 1:
        return label(rng) + "." + base
    if kind == 2:
        return ".".join(label(rng) for _ in range(rng.randint(1, 4)))
    if kind == 3:
        # Dots where they should not be.
        return rng.choice([".", "..", ""]) + base + rng.choice([".", "..", "", "..."])
    if kind == 4:
        return "".join(c.upper() if rng.random() < 0.5 else c for c in base)
    if kind == 5:
        i = rng.randrange(len(base) + 1)
        return base[:i] + rng.choice(ODD_BYTES) + base[i:]
    if kind == 6:
        return rng.choice(["*", "*.", ".*"]) + base
    if kind == 7:
        # Long names: 253, 254 and more characters.
        return ".".join(["a" * 63] * 3 + ["b" * rng.choice([57, 58, 61, 62, 63])])
    if kind == 8:
        return "www." + rng.choice(["example.net", "Example.NET", "example.com"])
    if kind == 9:
        return label(rng) + "." + label(rng) + "." + base
    return base + "." + label(rng)


def ipv4(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return ".".join(str(rng.choice([0, 1, 10, 12, 34, 56, 78, 127, 169, 254, 255])) for _ in range(4))
    if kind == 1:
        return rng.choice(["127.1", "127.0.1", "0x7f.0.0.1", "0177.0.0.1", "2130706433", "010.0.0.1", "1.2.3.04", "256.1.1.1", "1.2.3.4.5", "1.2.3", "10.0.0.1", "10.255.255.255", "11.0.0.1", "1.2.3.4", "169.254.169.254"])
    if kind == 2:
        return "10." + ".".join(str(rng.randrange(300)) for _ in range(3))
    return ".".join(str(rng.randrange(256)) for _ in range(4))


def valid_ipv6(rng):
    """1 to 9 valid hextets (or an IPv4 tail worth two) with '::' at any place, so
    that the count around '::' is sometimes one too many."""
    count = rng.randint(1, 9)
    groups = [rng.choice(["0", "1", "a", "ffff", "DB8", "2001", "0000"]) for _ in range(count)]
    if rng.random() < 0.3 and count >= 2:
        groups[-2:] = [rng.choice(["1.2.3.4", "127.0.0.1", "01.2.3.4", "1.2.3.256"])]
    if rng.random() < 0.8:
        i = rng.randint(0, len(groups))
        return ":".join(groups[:i]) + "::" + ":".join(groups[i:])
    return ":".join(groups)


def hextet(rng):
    return rng.choice(["0", "1", "db8", "DB8", "2001", "ffff", "FFFF", "dead", "beef", "cafe", "0000", "00000", "abcd", "g", "12345", ""])


def ipv6(rng):
    kind = rng.randrange(12)
    if kind == 0:
        inner = rng.choice(["::1", "::", "0:0::1", "0:0:0:0:0:0:0:1", "::ffff:1.2.3.4", "::ffff:0102:0304", "2001:db8::1", "2001:DB8::1", "::ffff:169.254.169.254", "2001:19f0:feee::dead:beef:cafe", "fe80::1", "fd12::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "1::", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"])
    elif kind == 1:
        inner = ":".join(hextet(rng) for _ in range(rng.randint(2, 9)))
    elif kind == 2:
        left = ":".join(hextet(rng) for _ in range(rng.randint(0, 4)))
        right = ":".join(hextet(rng) for _ in range(rng.randint(0, 4)))
        inner = left + "::" + right
    elif kind == 3:
        inner = rng.choice(["::ffff:", "::", "1:2:3:4:5:6:", "1::", "1:2:3:4:5:6:7:"]) + ipv4(rng)
    elif kind == 4:
        inner = rng.choice([":::", "::1::", ":1::", "1:", ":", "1:2", "::1%25eth0", "::1%eth0", "fe80::1%1", "v1.x", "V1.x", "v1.", "vg.x", "v1.a:b", "v1.a/b", "1.2.3.4", ":1.2.3.4", "::1.2.3.4.5", "::01.2.3.4", "::1.2.3.04"])
    elif kind == 5:
        inner = "::" + ":".join(hextet(rng) for _ in range(rng.randint(1, 8)))
    elif kind == 6:
        inner = ":".join(hextet(rng) for _ in range(rng.randint(1, 7))) + "::"
    elif kind < 10:
        inner = valid_ipv6(rng)
    else:
        inner = ":".join(rng.choice(["1", "0", "a", "ffff", "0:0"]) for _ in range(rng.randint(2, 8)))
        if rng.random() < 0.3:
            inner = "::" + inner
    if rng.random() < 0.1:
        return inner  # no brackets
    shape = rng.randrange(12)
    if shape == 0:
        return "[" + inner
    if shape == 1:
        return "[" + inner + "]" + rng.choice([".", "x", "evil.com", "@a", "]"])
    return "[" + inner + "]"


def value(rng):
    kind = rng.randrange(10)
    if kind < 5:
        host = name(rng)
    elif kind < 7:
        host = ipv4(rng)
    elif kind < 9:
        host = ipv6(rng)
    else:
        host = rng.choice(["", " ", "\t", ":", ":80", "-", "[", "]", "[]", "*", ".", "..", "@", "%"])
    text = host + rng.choice(PORTS)
    if rng.random() < 0.05:
        text = rng.choice([" ", "\t"]) + text
    if rng.random() < 0.05:
        i = rng.randrange(len(text) + 1)
        text = text[:i] + rng.choice(ODD_BYTES) + text[i:]
    return latin1(text)


def corpus():
    """The reference values, then the generated ones; no duplicates, no line breaks
    (values travel one per line), nothing ending in CR (stripped as a CRLF line end)."""
    rng = random.Random(SEED)
    seen = []
    seen_set = set()

    def add(v):
        v = latin1(v)
        if "\n" in v or v.endswith("\r") or v in seen_set:
            return False
        seen.append(v)
        seen_set.add(v)
        return True

    for v in REFERENCE:
        add(v)
    generated = 0
    while generated < GENERATED:
        if add(value(rng)):
            generated += 1
    return seen


def django_verdict(host):
    request = HttpRequest()
    request.META = {"HTTP_HOST": host, "SERVER_NAME": SERVER[0], "SERVER_PORT": str(SERVER[1])}
    try:
        request.get_host()
    except DisallowedHost as e:
        return {"allowed": False, "message": str(e)}
    return {"allowed": True, "message": None}


async def starlette_verdict(middleware, host):
    messages = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", host.encode("latin-1"))],
        "server": SERVER,
        "client": ("127.0.0.1", 50000),
    }
    await middleware(scope, receive, send)
    status = messages[0]["status"]
    body = b"".join(m.get("body", b"") for m in messages[1:]).decode()
    if status == 200:
        return {"allowed": True, "message": None}
    if status == 400:
        return {"allowed": False, "message": body}
    if status == 307:
        location = dict(messages[0]["headers"])[b"location"].decode("latin-1")
        return {"allowed": False, "message": f"307 Temporary Redirect to {location}"}
    raise AssertionError(f"unexpected status {status} for {host!r}")


async def app(scope, receive, send):
    await PlainTextResponse("ok")(scope, receive, send)


def parsers(values, out):
    """The two parsers alone, whose verdicts only show through the middleware when a
    pattern could match: Django's split_domain_port and Starlette's
    parse_host_header."""
    for host in values:
        parsed = parse_host_header(host)
        line = {
            "value": host,
            "split_domain_port": list(split_domain_port(host)),
            "parse_host_header": None if parsed is None else [parsed.host, parsed.port],
        }
        out.write(json.dumps(line) + "\n")


async def run(values, out):
    for allowed_hosts, debug in PATTERN_LISTS:
        settings.ALLOWED_HOSTS = [] if allowed_hosts is None else list(allowed_hosts)
        settings.DEBUG = debug
        middleware = TrustedHostMiddleware(app, allowed_hosts=allowed_hosts)
        for host in values:
            line = {
                "allowed_hosts": allowed_hosts,
                "django_debug": debug,
                "value": host,
                "django": django_verdict(host),
                "starlette": await starlette_verdict(middleware, host),
            }
            out.write(json.dumps(line) + "\n")


def main():
    if django.get_version() != DJANGO_VERSION or starlette.__version__ != STARLETTE_VERSION:
        sys.exit(
            f"expected Django {DJANGO_VERSION} and Starlette {STARLETTE_VERSION}, "
            f"found {django.get_version()} and {starlette.__version__}"
        )
    settings.configure(ALLOWED_HOSTS=[], DEBUG=False, USE_X_FORWARDED_HOST=False)
    values = corpus()
    if sys.argv[1:] == ["--count"]:
        print(len(values))
        return
    asyncio.run(run(values, sys.stdout))
    parsers(values, sys.stdout)


if __name__ == "__main__":
    main()
