//! The checks, chapter by chapter: what each sends, what it expects, and the section
//! of the course that teaches it.
//!
//! This file is the grader's syllabus and holds no I/O: [`checks`] turns a chapter and
//! a [`Context`] (the server's port, the Host names to use, the time-outs) into a list
//! of [`Check`]s, each a [`Probe`] and an [`Expect`]. A check tests one thing a chapter
//! teaches, so that a failure names the lesson to re-read: a server that reads only
//! once fails chapter 4's split head, one that trusts `X-Forwarded-Host` fails chapter
//! 11's check of it, and so on.
//!
//! "Refused", for a Host, means any 4xx: the course's servers answer `400 Bad Request`
//! (hostecho, as Django does) or `421 Misdirected Request` (chapter 10, for a site it
//! does not have), and either keeps the request away from a site that would use its
//! Host. Where the RFC names the status (400 for a missing, doubled or empty Host, RFC
//! 9112 §3.2; 431 and 408 from RFC 9110 §15.5), the check expects that status.

use std::time::Duration;

use super::hosts::Verdict;
use super::judge::Expect;
use super::probe::Probe;

/// The chapters that have checks.
pub const CHAPTERS: std::ops::RangeInclusive<u8> = 3..=12;

/// A chapter of the course: its number, file and title.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chapter {
    /// Its number, 3 to 12.
    pub number: u8,
    /// Its file under `tutorial/src/`.
    pub file: &'static str,
    /// Its title, as in `SUMMARY.md`.
    pub title: &'static str,
}

/// Every chapter with checks, in order.
pub const ALL: [Chapter; 10] = [
    Chapter {
        number: 3,
        file: "ch03-response.md",
        title: "A response curl needn't guess",
    },
    Chapter {
        number: 4,
        file: "ch04-tcp-is-a-stream.md",
        title: "TCP is a stream",
    },
    Chapter {
        number: 5,
        file: "ch05-httparse.md",
        title: "Parsing with httparse",
    },
    Chapter {
        number: 6,
        file: "ch06-echo-and-logs.md",
        title: "The echo and the logs",
    },
    Chapter {
        number: 7,
        file: "ch07-slow-client.md",
        title: "One slow client blocks everyone",
    },
    Chapter {
        number: 8,
        file: "ch08-mio.md",
        title: "Non-blocking with mio",
    },
    Chapter {
        number: 9,
        file: "ch09-state-machine.md",
        title: "A connection is a state machine",
    },
    Chapter {
        number: 10,
        file: "ch10-host-header.md",
        title: "The Host header",
    },
    Chapter {
        number: 11,
        file: "ch11-host-attacks.md",
        title: "Host header attacks",
    },
    Chapter {
        number: 12,
        file: "ch12-allowed-hosts.md",
        title: "Allowed hosts",
    },
];

impl Chapter {
    /// The chapter with this number, if it has checks.
    pub fn find(number: u8) -> Option<Chapter> {
        ALL.iter().copied().find(|c| c.number == number)
    }

    /// A section of this chapter, by its heading as written.
    const fn section(self, heading: &'static str) -> Section {
        Section {
            file: self.file,
            heading,
        }
    }
}

/// A section of the course: the chapter's file and a heading in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    /// The chapter's file under `tutorial/src/`.
    pub file: &'static str,
    /// The heading, as written after its `#`s.
    pub heading: &'static str,
}

impl Section {
    /// `tutorial/src/ch04-tcp-is-a-stream.md#a-cap-on-the-head-and-431`: the path from
    /// the repository's root, and the anchor mdBook gives the heading.
    pub fn link(&self) -> String {
        format!("tutorial/src/{}#{}", self.file, anchor(self.heading))
    }
}

/// The anchor mdBook makes of a heading (its `normalize_id`): letters, digits, `_` and
/// `-` kept and lowercased, whitespace turned into `-`, everything else dropped.
pub fn anchor(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// One check: its name in words, what it sends and expects, and where it is taught.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// What it checks, as a sentence the report prints after `ok` or `FAIL`.
    pub name: String,
    /// What it sends, and how.
    pub probe: Probe,
    /// What it expects back.
    pub expect: Expect,
    /// The section that teaches it.
    pub section: Section,
}

/// What the checks are built from: the server's port, the Host names to use, and the
/// time-outs it is meant to enforce.
#[derive(Clone, Debug)]
pub struct Context {
    /// The server's port, put in `Host` as a browser would.
    pub port: u16,
    /// A name the server answers for (from `--allowed-hosts`; for chapters 10 and 11
    /// the first the server really answered), without the port.
    pub served: String,
    /// Why hostecho allows `served`: `allowed by .localhost`.
    pub served_why: String,
    /// A name it must refuse: `evil.example`.
    pub foreign: String,
    /// Suffix look-alikes of an allowed domain: `evil-localhost`, `localhost.evil`.
    pub look_alikes: Vec<String>,
    /// `--header-timeout`: the head time-out the server is meant to enforce.
    pub header_timeout: Duration,
    /// Chapter 12's corpus: each value with hostecho's verdict on it.
    pub corpus: Vec<(String, Verdict)>,
}

impl Context {
    /// `served:port`, the Host of every plain request.
    fn host(&self) -> String {
        format!("{}:{}", self.served, self.port)
    }
}

/// A request for `target`, with `Host` (when given) and the other header lines.
fn request(target: &str, host: Option<&str>, headers: &[&str]) -> Vec<u8> {
    let mut text = format!("GET {target} HTTP/1.1\r\n");
    if let Some(host) = host {
        text.push_str(&format!("Host: {host}\r\n"));
    }
    for line in headers {
        text.push_str(line);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.into_bytes()
}

/// A request that asks the server to close after answering, so a server that keeps
/// connections open does not make the grader wait.
fn closing(target: &str, host: &str) -> Vec<u8> {
    request(target, Some(host), &["Connection: close"])
}

/// One request in one write.
fn once(bytes: Vec<u8>) -> Probe {
    Probe::Request {
        pieces: vec![bytes],
        half_close: false,
    }
}

/// The checks of `chapter`.
pub fn checks(chapter: Chapter, cx: &Context) -> Vec<Check> {
    let host = cx.host();
    let check = |name: &str, probe: Probe, expect: Expect, heading: &'static str| Check {
        name: name.to_string(),
        probe,
        expect,
        section: chapter.section(heading),
    };
    match chapter.number {
        3 => {
            let get = || once(closing("/", &host));
            vec![
                check(
                    "the status line is HTTP/1.x, a 2xx code and a reason phrase",
                    get(),
                    Expect::StatusLine,
                    "A complete head",
                ),
                check(
                    "Content-Type says what the body is",
                    get(),
                    Expect::Header("Content-Type"),
                    "A complete head",
                ),
                check(
                    "Content-Length is the body's length",
                    get(),
                    Expect::LengthMatchesBody,
                    "What curl does without `Content-Length`",
                ),
                check(
                    "Date gives the time of the answer, as an IMF-fixdate",
                    get(),
                    Expect::ImfDate,
                    "A complete head",
                ),
            ]
        }
        4 => {
            // Cut inside the request line and inside a header: nothing may assume that
            // one read is one line, or one request.
            let whole = closing("/grade/split", &host);
            let pieces = vec![
                whole[..18].to_vec(),
                whole[18..whole.len() - 8].to_vec(),
                whole[whole.len() - 8..].to_vec(),
            ];
            vec![
                check(
                    "a head sent in three pieces is answered once, and only when complete",
                    Probe::Request {
                        pieces,
                        half_close: false,
                    },
                    Expect::AnsweredOnceWhenComplete,
                    "Reading until the head is complete",
                ),
                check(
                    "a head over 8 KiB is refused with 431",
                    Probe::Oversized {
                        start: format!(
                            "GET /grade/oversized HTTP/1.1\r\nHost: {host}\r\nX-Padding: "
                        )
                        .into_bytes(),
                        filler: b'a',
                        count: 9000,
                        end: b"\r\n\r\n".to_vec(),
                    },
                    Expect::Status(431),
                    "A cap on the head, and 431",
                ),
            ]
        }
        5 => {
            let malformed = |name: &str, bytes: String| {
                check(
                    name,
                    once(bytes.into_bytes()),
                    Expect::Status(400),
                    "Complete, Partial and errors",
                )
            };
            vec![
                malformed(
                    "a request line that is not METHOD TARGET VERSION is refused with 400",
                    "HELLO\r\n\r\n".to_string(),
                ),
                malformed(
                    "a request line without a version is refused with 400",
                    format!("GET /\r\nHost: {host}\r\n\r\n"),
                ),
                malformed(
                    "a header line without a colon is refused with 400",
                    format!("GET / HTTP/1.1\r\nHost: {host}\r\nX-Grade no colon\r\n\r\n"),
                ),
                malformed(
                    "a space between a header's name and its colon is refused with 400",
                    format!("GET / HTTP/1.1\r\nHost: {host}\r\nX-Grade : 1\r\n\r\n"),
                ),
            ]
        }
        6 => {
            let line = "GET /grade/echo?q=Ch6&x=%41 HTTP/1.1";
            let headers = [
                format!("Host: {host}"),
                "X-Grade-Token: MiXeD case, 42".to_string(),
                "accept: */*".to_string(),
                "Connection: close".to_string(),
            ];
            let bytes = format!("{line}\r\n{}\r\n\r\n", headers.join("\r\n")).into_bytes();
            vec![
                check(
                    "the echo shows the request line as sent",
                    once(bytes.clone()),
                    Expect::Echo(vec![line.to_string()]),
                    "The echo",
                ),
                check(
                    "the echo shows every header as sent: names' case, values, order",
                    once(bytes),
                    Expect::Echo(
                        std::iter::once(line.to_string())
                            .chain(headers[..3].iter().cloned())
                            .collect(),
                    ),
                    "The echo",
                ),
            ]
        }
        7 => vec![check(
            "a client that sends nothing does not hold up another",
            Probe::SilentNeighbour {
                request: closing("/grade/neighbour", &host),
            },
            Expect::Answered { why: None },
            "A thread per connection",
        )],
        8 => vec![check(
            "100 clients connected at once are all answered, the last to connect first",
            Probe::Crowd {
                clients: 100,
                first: format!("GET /grade/crowd HTTP/1.1\r\nHost: {host}\r\n").into_bytes(),
                rest: b"Connection: close\r\n\r\n".to_vec(),
            },
            Expect::AllAnswered,
            "One thread, everyone served",
        )],
        9 => vec![
            check(
                "two requests on one connection are both answered (keep-alive)",
                Probe::KeepAlive {
                    requests: vec![
                        request("/grade/keep-alive/1", Some(&host), &[]),
                        closing("/grade/keep-alive/2", &host),
                    ],
                },
                Expect::AllAnswered,
                "Keep-alive, pipelining, half-close",
            ),
            check(
                "two requests in one write are answered in order (pipelining)",
                Probe::Pipelined {
                    requests: vec![
                        request("/grade/pipelined/1", Some(&host), &[]),
                        closing("/grade/pipelined/2", &host),
                    ],
                },
                Expect::InOrder(vec![
                    "/grade/pipelined/1".to_string(),
                    "/grade/pipelined/2".to_string(),
                ]),
                "Keep-alive, pipelining, half-close",
            ),
            check(
                "a request followed by a half-close is still answered",
                Probe::Request {
                    pieces: vec![request("/grade/half-close", Some(&host), &[])],
                    half_close: true,
                },
                Expect::Answered { why: None },
                "Keep-alive, pipelining, half-close",
            ),
            check(
                "a head that stops half-way is answered 408 within --header-timeout",
                Probe::Stall {
                    partial: format!("GET /grade/stall HTTP/1.1\r\nHost: {host}\r\n").into_bytes(),
                    wait: cx.header_timeout,
                },
                Expect::Status(408),
                "One deadline per connection, one heap for all",
            ),
        ],
        10 => {
            let foreign = &cx.foreign;
            let absolute = |name: &str| format!("http://{name}:{}/grade/absolute", cx.port);
            let allowed = Expect::Answered {
                why: Some(cx.served_why.clone()),
            };
            vec![
                check(
                    &format!("Host: {host}, a name the server is for, is answered"),
                    once(closing("/", &host)),
                    allowed.clone(),
                    "Many sites, one address",
                ),
                check(
                    "HTTP/1.1 without Host is refused with 400",
                    once(request("/", None, &["Connection: close"])),
                    Expect::Status(400),
                    "Without Host",
                ),
                check(
                    "two Host lines are refused with 400, even with the same value",
                    once(request(
                        "/",
                        Some(&host),
                        &[&format!("Host: {host}"), "Connection: close"],
                    )),
                    Expect::Status(400),
                    "Two Host lines",
                ),
                check(
                    "an empty Host is refused with 400",
                    once(b"GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n".to_vec()),
                    Expect::Status(400),
                    "An empty Host",
                ),
                check(
                    &format!(
                        "an absolute-form target names the host: {}, with Host: {foreign}, is answered",
                        absolute(&cx.served)
                    ),
                    once(closing(&absolute(&cx.served), foreign)),
                    allowed,
                    "An absolute-form target",
                ),
                check(
                    &format!(
                        "an absolute-form target names the host: {}, with Host: {host}, is refused",
                        absolute(foreign)
                    ),
                    once(closing(&absolute(foreign), &host)),
                    Expect::Refused { why: None },
                    "An absolute-form target",
                ),
                // A scheme is case-insensitive (RFC 3986, section 3.1): a server that
                // recognises only a lowercase `http://` judges `HTTP://evil/` by its Host,
                // the bypass chapter 10 warns about.
                check(
                    &format!(
                        "the scheme's case does not matter: {}, with Host: {host}, is refused",
                        absolute(foreign).replacen("http://", "HTTP://", 1)
                    ),
                    once(closing(
                        &absolute(foreign).replacen("http://", "HTTP://", 1),
                        &host,
                    )),
                    Expect::Refused { why: None },
                    "An absolute-form target",
                ),
            ]
        }
        11 => {
            let foreign = &cx.foreign;
            let refused = |value: &str, name: &str, heading: &'static str| {
                check(
                    &format!("{name}: Host: {value} is refused"),
                    once(closing("/", value)),
                    Expect::Refused { why: None },
                    heading,
                )
            };
            let mut list = vec![
                check(
                    &format!("Host: {host}, a name the server is for, is answered"),
                    once(closing("/", &host)),
                    Expect::Answered {
                        why: Some(cx.served_why.clone()),
                    },
                    "The check",
                ),
                refused(
                    foreign,
                    "a foreign Host (cache and reset poisoning)",
                    "Web-cache poisoning",
                ),
                check(
                    &format!("X-Forwarded-Host: {host} does not let Host: {foreign} in"),
                    once(request(
                        "/",
                        Some(foreign),
                        &[&format!("X-Forwarded-Host: {host}"), "Connection: close"],
                    )),
                    Expect::Refused { why: None },
                    "X-Forwarded-Host overrides Host",
                ),
                refused(
                    &format!("{}:@{foreign}", cx.served),
                    "port injection",
                    "Port injection and suffix confusion",
                ),
            ];
            for look_alike in &cx.look_alikes {
                list.push(refused(
                    look_alike,
                    "suffix confusion",
                    "Port injection and suffix confusion",
                ));
            }
            list.push(refused(
                &format!("{foreign}:{}", cx.port),
                "DNS rebinding (a foreign name that resolved to this server)",
                "DNS rebinding",
            ));
            list
        }
        12 => cx
            .corpus
            .iter()
            .map(|(value, verdict)| {
                let (word, expect) = if verdict.allowed {
                    (
                        "answered",
                        Expect::Answered {
                            why: Some(verdict.why.clone()),
                        },
                    )
                } else {
                    (
                        "refused",
                        Expect::Refused {
                            why: Some(verdict.why.clone()),
                        },
                    )
                };
                check(
                    &format!("Host: {value} is {word}, as hostecho decides"),
                    once(closing("/", value)),
                    expect,
                    "The patterns",
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_mdbooks() {
        assert_eq!(
            anchor("A cap on the head, and 431"),
            "a-cap-on-the-head-and-431"
        );
        assert_eq!(
            anchor("What curl does without `Content-Length`"),
            "what-curl-does-without-content-length"
        );
        assert_eq!(
            anchor("\"Invalid HTTP_HOST header\""),
            "invalid-http_host-header"
        );
    }

    #[test]
    fn every_chapter_from_3_to_12_has_checks() {
        let cx = Context {
            port: 8094,
            served: "localhost".to_string(),
            served_why: "allowed by .localhost".to_string(),
            foreign: "evil.example".to_string(),
            look_alikes: vec!["evil-localhost".to_string()],
            header_timeout: Duration::from_secs(10),
            corpus: vec![(
                "localhost".to_string(),
                Verdict {
                    allowed: true,
                    why: "allowed by .localhost".to_string(),
                },
            )],
        };
        for number in CHAPTERS {
            let chapter = Chapter::find(number).expect("a chapter");
            assert!(!checks(chapter, &cx).is_empty(), "chapter {number}");
        }
        assert_eq!(Chapter::find(2), None);
        assert_eq!(Chapter::find(13), None);
    }
}
