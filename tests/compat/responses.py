"""Every kind of response hostecho sends, read by a strict HTTP/1.1 parser (h11).

    python responses.py ADDR LIMITED_ADDR

ADDR is a hostecho started with `--header-timeout 1` (for the 408), LIMITED_ADDR one
started with `--max-connections 1` (for the 503); both on loopback. Each case sends
raw bytes (many of them malformed on purpose, which no HTTP client library would
write), and reads what comes back with h11 as the client: h11 refuses a status line,
a field, a framing (Content-Length against the bytes, a body on a HEAD's or a 204's
answer, Transfer-Encoding) that RFC 9110/9112 does not allow. The client side of h11
is told which request was sent (its method, whether it expects 100 Continue), so it
knows what may follow, but the bytes on the wire are the case's own.

Prints one line per response, `ok NAME STATUS BODY_BYTES`, and exits 1 at the first
one that h11 refuses or that is not what the case expects. cargo test runs it
(tests/compat/main.rs, `every_kind_of_response_passes_a_strict_parser`).
"""

import socket
import sys

import h11

HOST = b"Host: localhost\r\n"


def addr(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


class Failure(Exception):
    pass


def client(method, headers=()):
    """An h11 client that believes it sent `method` with `headers` and no more."""
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method=method, target="/", headers=[("Host", "localhost"), *headers]))
    if not any(name.lower() == "expect" for name, _ in headers):
        conn.send(h11.EndOfMessage())
    return conn


def read_response(sock, conn, name):
    """The next response (after any 1xx) as (status, headers, body); h11 checks each byte."""
    response, body = None, b""
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as e:
            raise Failure(f"{name}: h11 refused the response: {e}") from e
        if event is h11.NEED_DATA:
            data = sock.recv(65536)
            conn.receive_data(data)
            continue
        if isinstance(event, h11.InformationalResponse):
            return ("informational", event.status_code)
        if isinstance(event, h11.Response):
            response = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            return response, body
        elif isinstance(event, h11.ConnectionClosed):
            raise Failure(f"{name}: closed before a whole response")


def check(name, response, body, status):
    headers = {k.decode().lower(): v.decode() for k, v in response.headers}
    if response.status_code != status:
        raise Failure(f"{name}: status {response.status_code}, expected {status}: {body[:200]!r}")
    for required in ("date", "server", "cache-control"):
        if required not in headers:
            raise Failure(f"{name}: no {required} in {headers}")
    if status >= 400 and headers.get("connection") != "close":
        raise Failure(f"{name}: an error that does not close: {headers}")
    if status == 200 and headers.get("vary") != "Accept":
        raise Failure(f"{name}: an echo without Vary: Accept: {headers}")
    print(f"ok {name} {status} {len(body)}", flush=True)


def exchange(target, name, raw, status, method="GET", headers=()):
    """Sends `raw` on a new connection and checks the one response to it."""
    with socket.create_connection(target, timeout=10) as sock:
        conn = client(method, headers)
        sock.sendall(raw)
        response, body = read_response(sock, conn, name)
        check(name, response, body, status)


def echoes(target):
    for accept in ("*/*", "application/json", "text/html"):
        for method in ("GET", "HEAD"):
            request = f"{method} /x?a=1&b=%C3%A9 HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\n\r\n"
            exchange(target, f"{method} {accept}", request.encode(), 200, method)
        # A form body, a chunked body, one that is not UTF-8, and one larger than what
        # the echo shows.
        for label, body in (
            ("form", b"name=jack&age=18"),
            ("binary", bytes(range(256))),
            ("large", b"x\x00\xff<&\"" * 50_000),
        ):
            raw = (
                f"POST /f HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            exchange(target, f"POST {label} {accept}", raw, 200, "POST")
        raw = (
            f"POST /c HTTP/1.1\r\nHost: localhost\r\nAccept: {accept}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n5;a=\"b\"\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"
        ).encode()
        exchange(target, f"POST chunked {accept}", raw, 200, "POST")
    exchange(target, "HTTP/1.0 keep-alive", b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200)
    exchange(target, "HTTP/1.0", b"GET / HTTP/1.0\r\n\r\n", 200)
    exchange(target, "OPTIONS *", b"OPTIONS * HTTP/1.1\r\n" + HOST + b"\r\n", 200, "OPTIONS")


def favicon(target):
    for method in ("GET", "HEAD"):
        raw = f"{method} /favicon.ico HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
        exchange(target, f"{method} favicon", raw, 204, method)


def continue_then_echo(target):
    """`Expect: 100-continue`: the interim 100, then the echo, both through h11."""
    name = "100 Continue"
    headers = [("Expect", "100-continue"), ("Content-Length", "5")]
    with socket.create_connection(target, timeout=10) as sock:
        conn = client("POST", headers)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        if read_response(sock, conn, name) != ("informational", 100):
            raise Failure(f"{name}: no 100 first")
        print(f"ok {name} 100 0", flush=True)
        conn.send(h11.Data(data=b"hello"))
        conn.send(h11.EndOfMessage())
        sock.sendall(b"hello")
        response, body = read_response(sock, conn, name)
        check(f"{name}, then", response, body, 200)


def pipeline(target):
    """Three requests in one write, read as three responses on one h11 connection."""
    name = "pipeline"
    with socket.create_connection(target, timeout=10) as sock:
        sock.sendall(
            b"GET /1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
            b"HEAD /2 HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n\r\n"
            b"GET /3 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        conn = client("GET")
        for i, method in enumerate(("GET", "HEAD", "GET")):
            if i:
                conn.start_next_cycle()
                conn.send(h11.Request(method=method, target="/", headers=[("Host", "localhost")]))
                conn.send(h11.EndOfMessage())
            response, body = read_response(sock, conn, name)
            check(f"{name} {i + 1} {method}", response, body, 200)


def errors(target):
    cases = [
        ("malformed request line", b"GET  / HTTP/1.1\r\n" + HOST + b"\r\n", 400, "GET"),
        ("refused host", b"GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n", 400, "GET"),
        ("refused host, HEAD", b"HEAD / HTTP/1.1\r\nHost: evil.example\r\n\r\n", 400, "HEAD"),
        ("no host", b"GET / HTTP/1.1\r\n\r\n", 400, "GET"),
        ("fragment", b"GET /#x HTTP/1.1\r\n" + HOST + b"\r\n", 400, "GET"),
        ("non-ASCII target", b"GET /caf\xc3\xa9 HTTP/1.1\r\n" + HOST + b"\r\n", 400, "GET"),
        ("bad chunk extension", b"POST / HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n", 400, "POST"),
        ("chunked not last", b"POST / HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked, gzip\r\n\r\n", 400, "POST"),
        ("length and coding", b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "POST"),
        ("body too large", b"POST / HTTP/1.1\r\n" + HOST + b"Content-Length: 99999999\r\n\r\n", 413, "POST"),
        ("URI too long", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + HOST + b"\r\n", 414, "GET"),
        ("head too large", b"GET / HTTP/1.1\r\n" + HOST + b"X: " + b"a" * 9000 + b"\r\n\r\n", 431, "GET"),
        ("unknown coding", b"POST / HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: gzip\r\n\r\n", 501, "POST"),
        ("CONNECT", b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 501, "CONNECT"),
        ("HTTP/2.0", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "GET"),
        ("head timeout", b"GET / HTTP/1.1\r\n" + HOST, 408, "GET"),
    ]
    for name, raw, status, method in cases:
        exchange(target, name, raw, status, method)


def service_unavailable(limited):
    """The 503 a connection past `--max-connections` gets, before any request."""
    with socket.create_connection(limited, timeout=10) as first:
        first.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        read_response(first, client("GET"), "the connection that counts")
        # The server has seen the first connection (it answered on it): the second is
        # one too many.
        exchange(limited, "past --max-connections", b"", 503)


def main():
    target, limited = addr(sys.argv[1]), addr(sys.argv[2])
    try:
        echoes(target)
        favicon(target)
        continue_then_echo(target)
        pipeline(target)
        errors(target)
        service_unavailable(limited)
    except Failure as e:
        print(f"FAILED {e}", flush=True)
        sys.exit(1)
    print(f"h11 {h11.__version__}: every response accepted", flush=True)


if __name__ == "__main__":
    main()
