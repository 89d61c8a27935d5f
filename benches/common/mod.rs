//! Requests the benchmarks (and the allocation test) share, so every figure is for the
//! same bytes: the four-line head `curl` sends (as is, and asking for JSON), the one the
//! load harness's `wrk` sends, and a 15-field head like Chromium's; and [`serve`], one
//! request through the whole path without a socket.

#![allow(dead_code)]

use hostecho::exchange::{self, Endpoints};
use hostecho::host::HostPolicy;
use hostecho::http::framing::{self, Limits, Preamble};
use hostecho::http::{Head, Request};

/// `curl 'http://localhost:8000/index.html?name=jack&age=18'`
pub const CURL: &[u8] = b"GET /index.html?name=jack&age=18 HTTP/1.1\r\n\
Host: localhost:8000\r\n\
User-Agent: curl/8.5.0\r\n\
Accept: */*\r\n\
\r\n";

/// What `wrk` sends in the load runs (`scripts/bench-load.sh`): a bare `/`, a Host that
/// is an IPv4 address and a port, and the two fields the harness adds with `-H`, so
/// that the server answers with the text echo, as it does for curl.
pub const WRK: &[u8] = b"GET / HTTP/1.1\r\n\
Host: 127.0.0.1:8000\r\n\
User-Agent: wrk\r\n\
Accept: */*\r\n\
\r\n";

/// `curl -H 'Accept: application/json' 'http://localhost:8000/index.html?name=jack&age=18'`:
/// a script asking for the JSON echo.
pub const SCRIPT: &[u8] = b"GET /index.html?name=jack&age=18 HTTP/1.1\r\n\
Host: localhost:8000\r\n\
User-Agent: curl/8.5.0\r\n\
Accept: application/json\r\n\
\r\n";

/// Chromium opening a page, 15 header fields.
pub const BROWSER: &[u8] = b"GET /articles/framing?lang=en&page=2 HTTP/1.1\r\n\
Host: localhost:8000\r\n\
Connection: keep-alive\r\n\
sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n\
sec-ch-ua-mobile: ?0\r\n\
sec-ch-ua-platform: \"Linux\"\r\n\
Upgrade-Insecure-Requests: 1\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n\
Sec-Fetch-Site: same-origin\r\n\
Sec-Fetch-Mode: navigate\r\n\
Sec-Fetch-User: ?1\r\n\
Sec-Fetch-Dest: document\r\n\
Referer: http://localhost:8000/articles\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Accept-Language: en-GB,en;q=0.9\r\n\
\r\n";

/// The buffers one request borrows on the whole path, reused from one request to the
/// next as the server reuses its own (`server::scratch::Scratch`): the response's
/// bytes, the echo's body, and the head the request is framed into.
#[derive(Debug, Default)]
pub struct Buffers {
    /// The response's bytes, as the connection would send them.
    pub out: Vec<u8>,
    /// The buffer the echo is rendered into.
    pub body: Vec<u8>,
    /// The head the next request is framed into.
    pub head: Head,
}

/// One request through the whole path; the response bytes are left in `buffers.out`.
pub fn serve(bytes: &[u8], policy: &HostPolicy, at: Endpoints, buffers: &mut Buffers) {
    let limits = Limits::default();
    let Ok(Preamble::RequestAt(start)) = framing::skip_empty_lines(bytes) else {
        panic!("not a request");
    };
    let Ok(Some((framed, _used))) =
        framing::parse_head_into(&bytes[start..], &limits, &mut buffers.head)
    else {
        panic!("not a complete head");
    };
    // The request is put together before the Host decision: the allowed host borrows
    // from its head.
    let request = Request {
        head: framed.head,
        body: hostecho::http::Body::default(),
    };
    let response = match exchange::admit(&request.head, at, policy) {
        Ok(host) => {
            let buffer = std::mem::take(&mut buffers.body);
            exchange::respond_into(&request, &host, framed.persistence, at, buffer)
        }
        Err(err) => exchange::refuse(&err, Some(&request.head)),
    };
    buffers.out.clear();
    response.write_to(&mut buffers.out, "Thu, 26 Nov 2026 12:00:00 GMT");
    // The echo's buffer and the head, back for the next request.
    buffers.body = response.body;
    buffers.head = request.head;
}
