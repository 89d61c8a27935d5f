//! The judge: what a check expects, and whether what its probe saw meets it.
//!
//! Pure: [`judge`] takes an [`Expect`] and an [`Observation`] and returns `Ok(())` or a
//! [`Failure`] in two phrases, what was expected and what came, so the report can say
//! `expected 431, got 200 OK after 16 of 9,035 bytes`. Everything the server may do
//! instead of answering — time out, close, reset, send garbage — has its own words
//! ([`describe_no_answer`]), so a failure always says what happened.

use super::client::{BodyLength, NoAnswer, Response, Trouble};
use super::probe::{Observation, group, quote_short};

/// What a check expects of the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A response with exactly this status.
    Status(u16),
    /// Refused: a 4xx status (`400 Bad Request`, `421 Misdirected Request`, `403` …).
    /// `why` is hostecho's own reason, where it has one.
    Refused {
        /// Why hostecho's policy refuses it, shown in the failure.
        why: Option<String>,
    },
    /// Answered: a 2xx status. `why` is the pattern that allows it, where one does.
    Answered {
        /// Why hostecho's policy allows it, shown in the failure.
        why: Option<String>,
    },
    /// A status line `HTTP/1.x NNN Reason` with a 2xx status.
    StatusLine,
    /// A header with this name and a value that is not empty.
    Header(&'static str),
    /// `Content-Length`, equal to the body that came.
    LengthMatchesBody,
    /// `Date` in the IMF-fixdate form, `Sun, 06 Nov 1994 08:49:37 GMT`.
    ImfDate,
    /// One answer, which began only after the whole request was sent, and no second.
    AnsweredOnceWhenComplete,
    /// A 2xx answer whose body holds each of these lines, in this order.
    Echo(Vec<String>),
    /// Every request of a [`Observation::Many`] or [`Observation::Crowd`] answered.
    AllAnswered,
    /// Every request answered, answer i naming marker i (its path) in its body.
    InOrder(Vec<String>),
}

/// Why a check failed, in two phrases.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What the check expected: `431`.
    pub expected: String,
    /// What came: `200 OK after 16 of 9,035 bytes`.
    pub got: String,
}

fn fail(expected: impl Into<String>, got: impl Into<String>) -> Result<(), Failure> {
    Err(Failure {
        expected: expected.into(),
        got: got.into(),
    })
}

/// Judges one observation.
pub fn judge(expect: &Expect, observation: &Observation) -> Result<(), Failure> {
    match observation {
        Observation::One {
            answer,
            sent,
            total,
            more,
        } => judge_one(expect, answer, *sent, *total, more.as_deref()),
        Observation::Many { answers, requests } => judge_many(expect, answers, *requests),
        Observation::Crowd {
            clients,
            answered,
            failed,
        } => match failed {
            None => Ok(()),
            Some((client, no)) => fail(
                format!("all {clients} answered"),
                format!(
                    "{answered} of {clients} answered; client {client} (counting in the order they \
                     connected) got {}",
                    describe_no_answer(no)
                ),
            ),
        },
    }
}

fn judge_one(
    expect: &Expect,
    answer: &Result<Response, NoAnswer>,
    sent: usize,
    total: usize,
    more: Option<&[u8]>,
) -> Result<(), Failure> {
    let early = sent < total;
    // `after 16 of 9,035 bytes`, when the answer came before the request was all sent.
    let when = if early {
        format!(" after {} of {} bytes", group(sent), group(total))
    } else {
        String::new()
    };
    let response = match answer {
        Ok(response) => response,
        Err(no) => {
            return fail(
                expected_words(expect),
                format!("{}{when}", describe_no_answer(no)),
            );
        }
    };
    let got = format!("{}{when}", response.status_text());
    match expect {
        Expect::Status(code) if response.status == *code => Ok(()),
        Expect::Status(code) => fail(code.to_string(), got),
        Expect::Refused { .. } if (400..500).contains(&response.status) => Ok(()),
        Expect::Answered { .. } if (200..300).contains(&response.status) => Ok(()),
        Expect::Refused { .. } | Expect::Answered { .. } => fail(expected_words(expect), got),
        Expect::StatusLine => {
            if (200..300).contains(&response.status) && !response.reason.is_empty() {
                Ok(())
            } else if response.reason.is_empty() {
                fail(
                    "a status line like 'HTTP/1.1 200 OK'",
                    format!(
                        "'HTTP/1.{} {}' without a reason phrase",
                        response.minor, response.status
                    ),
                )
            } else {
                fail("a 2xx status", got)
            }
        }
        Expect::Header(name) => match response.header(name) {
            Some(value) if !value.trim().is_empty() => Ok(()),
            Some(_) => fail(format!("a {name} header"), format!("an empty {name}")),
            None => fail(
                format!("a {name} header"),
                format!("{got} without one (headers: {})", header_names(response)),
            ),
        },
        Expect::LengthMatchesBody => match (response.length, more) {
            // The body was read to exactly its declared length, and nothing came after.
            (BodyLength::Declared(_), None) => Ok(()),
            (BodyLength::Declared(n), Some(extra)) => fail(
                format!("a Content-Length equal to the body ({n} bytes declared)"),
                format!(
                    "more bytes after those {n}: {}",
                    quote_short(&extra[..extra.len().min(60)])
                ),
            ),
            (BodyLength::UntilClose(true), _) => fail(
                "a Content-Length equal to the body",
                format!(
                    "no Content-Length; the body ran {} bytes until the server closed",
                    group(response.body.len())
                ),
            ),
            (BodyLength::UntilClose(false), _) => fail(
                "a Content-Length equal to the body",
                format!(
                    "no Content-Length, and the connection stayed open after {} bytes of body: \
                     a client cannot tell where the body ends",
                    group(response.body.len())
                ),
            ),
            (BodyLength::Chunked, _) => fail(
                "a Content-Length equal to the body",
                "Transfer-Encoding: chunked (fine for HTTP/1.1, but this chapter's answer \
                 says how long it is)",
            ),
            (BodyLength::None, _) => fail("a Content-Length equal to the body", got),
        },
        Expect::ImfDate => match response.header("date") {
            Some(date) if is_imf_fixdate(date) => Ok(()),
            Some(date) => fail(
                "Date in the form 'Sun, 06 Nov 1994 08:49:37 GMT'",
                format!("Date: {date}"),
            ),
            None => fail(
                "a Date header",
                format!("{got} without one (headers: {})", header_names(response)),
            ),
        },
        Expect::AnsweredOnceWhenComplete => {
            if early {
                fail("no answer before the head was complete", got)
            } else if let Some(extra) = more {
                fail(
                    "one answer",
                    format!(
                        "{got}, then more: {}",
                        quote_short(&extra[..extra.len().min(60)])
                    ),
                )
            } else if (200..300).contains(&response.status) {
                Ok(())
            } else {
                fail("a 2xx answer", got)
            }
        }
        Expect::Echo(lines) => {
            if !(200..300).contains(&response.status) {
                return fail("a 2xx answer that echoes the request", got);
            }
            let body = String::from_utf8_lossy(&response.body);
            let mut from = 0;
            for line in lines {
                match body[from..].find(line.as_str()) {
                    Some(at) => from += at + line.len(),
                    None => {
                        let missing = if body.contains(line.as_str()) {
                            format!("{line:?} out of order")
                        } else {
                            format!("no {line:?}")
                        };
                        return fail(
                            format!("the request's lines as sent, in order: {lines:?}"),
                            format!("a body with {missing}: {}", quote_short(&response.body)),
                        );
                    }
                }
            }
            Ok(())
        }
        Expect::AllAnswered | Expect::InOrder(_) => fail(
            expected_words(expect),
            "one answer where several were expected",
        ),
    }
}

fn judge_many(
    expect: &Expect,
    answers: &[Result<Response, NoAnswer>],
    requests: usize,
) -> Result<(), Failure> {
    for (i, answer) in answers.iter().enumerate() {
        let nth = ordinal(i + 1);
        let response = match answer {
            Ok(response) => response,
            Err(no) => {
                // A server that closed after the first answer (the client's write may then
                // meet a reset instead of the close): say what that answer announced.
                let closed = matches!(no.trouble, Trouble::Closed | Trouble::Reset(_));
                let after = if i > 0 && closed && no.partial.is_empty() {
                    match answers[i - 1]
                        .as_ref()
                        .ok()
                        .and_then(|r| r.header("connection"))
                    {
                        Some(value) => format!(" (the answer before said Connection: {value})"),
                        None => String::new(),
                    }
                } else {
                    String::new()
                };
                return fail(
                    format!("{requests} answers"),
                    format!("for the {nth} request, {}{after}", describe_no_answer(no)),
                );
            }
        };
        if !(200..300).contains(&response.status) {
            return fail(
                format!("{requests} 2xx answers"),
                format!("{} for the {nth} request", response.status_text()),
            );
        }
        if let Expect::InOrder(markers) = expect {
            let body = String::from_utf8_lossy(&response.body);
            let Some(marker) = markers.get(i) else {
                continue;
            };
            if !body.contains(marker.as_str()) {
                let other = markers
                    .iter()
                    .find(|m| body.contains(m.as_str()))
                    .map_or("neither path".to_string(), |m| m.to_string());
                return fail(
                    format!("the {nth} answer to be for {marker}"),
                    format!(
                        "an answer that names {other}: {}",
                        quote_short(&response.body)
                    ),
                );
            }
        }
    }
    if answers.len() < requests {
        return fail(format!("{requests} answers"), format!("{}", answers.len()));
    }
    Ok(())
}

/// The words for what a check expects, when the server did not answer at all.
fn expected_words(expect: &Expect) -> String {
    match expect {
        Expect::Status(code) => code.to_string(),
        Expect::Refused { why: None } => "refused with a 4xx".to_string(),
        Expect::Refused { why: Some(why) } => format!("refused with a 4xx (hostecho: {why})"),
        Expect::Answered { why: None } => "answered with a 2xx".to_string(),
        Expect::Answered { why: Some(why) } => format!("answered with a 2xx (hostecho: {why})"),
        Expect::StatusLine => "a status line like 'HTTP/1.1 200 OK'".to_string(),
        Expect::Header(name) => format!("a {name} header"),
        Expect::LengthMatchesBody => "a Content-Length equal to the body".to_string(),
        Expect::ImfDate => "a Date header".to_string(),
        Expect::AnsweredOnceWhenComplete => "one answer, once the head was complete".to_string(),
        Expect::Echo(_) => "an answer that echoes the request".to_string(),
        Expect::AllAnswered | Expect::InOrder(_) => "every request answered".to_string(),
    }
}

/// What came instead of an answer, in words.
pub fn describe_no_answer(no: &NoAnswer) -> String {
    let partial = if no.partial.is_empty() {
        String::new()
    } else {
        format!(
            " after {} bytes of an answer: {}",
            group(no.partial.len()),
            quote_short(&no.partial[..no.partial.len().min(80)])
        )
    };
    match &no.trouble {
        Trouble::Refused => "connection refused (is the server still running?)".to_string(),
        Trouble::ConnectFailed(why) => format!("no connection: {why}"),
        Trouble::TimedOut if no.partial.is_empty() => "no answer in time".to_string(),
        Trouble::TimedOut => format!("nothing more in time{partial}"),
        Trouble::Closed if no.partial.is_empty() => {
            "the connection closed without an answer".to_string()
        }
        Trouble::Closed => format!("the connection closed{partial}"),
        Trouble::Reset(why) => format!("{why}{partial}"),
        Trouble::Garbage(why) => format!(
            "{} bytes that are not an HTTP response ({why}): {}",
            group(no.partial.len()),
            quote_short(&no.partial[..no.partial.len().min(80)])
        ),
    }
}

fn header_names(response: &Response) -> String {
    if response.headers.is_empty() {
        return "none".to_string();
    }
    response
        .headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn ordinal(n: usize) -> String {
    match n {
        1 => "first".to_string(),
        2 => "second".to_string(),
        3 => "third".to_string(),
        _ => format!("{n}th"),
    }
}

/// Whether `value` is an IMF-fixdate (RFC 9110 §5.6.7), the one form a server sends:
/// `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn is_imf_fixdate(value: &str) -> bool {
    const DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    // Bytes, not `str` slices: a server's bytes may put a multi-byte character where
    // a slice would cut it, and slicing a `str` there panics.
    let b = value.as_bytes();
    if b.len() != 29 {
        return false;
    }
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    DAYS.contains(&&b[0..3])
        && &b[3..5] == b", "
        && digits(5..7)
        && b[7] == b' '
        && MONTHS.contains(&&b[8..11])
        && b[11] == b' '
        && digits(12..16)
        && b[16] == b' '
        && digits(17..19)
        && b[19] == b':'
        && digits(20..22)
        && b[22] == b':'
        && digits(23..25)
        && &b[25..] == b" GMT"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, reason: &str) -> Response {
        Response {
            minor: 1,
            status,
            reason: reason.to_string(),
            headers: vec![("Content-Length".to_string(), "0".to_string())],
            body: Vec::new(),
            length: BodyLength::Declared(0),
        }
    }

    fn one(answer: Result<Response, NoAnswer>, sent: usize, total: usize) -> Observation {
        Observation::One {
            answer,
            sent,
            total,
            more: None,
        }
    }

    #[test]
    fn an_early_answer_says_how_far_the_request_got() {
        let failure = judge(
            &Expect::Status(431),
            &one(Ok(response(200, "OK")), 16, 9035),
        )
        .expect_err("200 is not 431");
        assert_eq!(failure.expected, "431");
        assert_eq!(failure.got, "200 OK after 16 of 9,035 bytes");
    }

    #[test]
    fn refused_is_any_4xx_and_answered_any_2xx() {
        let refused = Expect::Refused { why: None };
        let answered = Expect::Answered { why: None };
        for (status, reason) in [
            (400, "Bad Request"),
            (421, "Misdirected Request"),
            (403, ""),
        ] {
            assert_eq!(
                judge(&refused, &one(Ok(response(status, reason)), 1, 1)),
                Ok(())
            );
            assert!(judge(&answered, &one(Ok(response(status, reason)), 1, 1)).is_err());
        }
        assert!(judge(&refused, &one(Ok(response(200, "OK")), 1, 1)).is_err());
        assert!(judge(&refused, &one(Ok(response(500, "Oops")), 1, 1)).is_err());
        assert_eq!(
            judge(&answered, &one(Ok(response(204, "No Content")), 1, 1)),
            Ok(())
        );
    }

    #[test]
    fn every_kind_of_silence_is_named() {
        let cases = [
            (Trouble::TimedOut, &b""[..], "no answer in time"),
            (
                Trouble::Closed,
                b"",
                "the connection closed without an answer",
            ),
            (
                Trouble::Reset("the connection was reset".into()),
                b"",
                "the connection was reset",
            ),
            (
                Trouble::Garbage("it does not start with HTTP/".into()),
                b"hello",
                "5 bytes that are not an HTTP response (it does not start with HTTP/): 'hello'",
            ),
            (
                Trouble::Refused,
                b"",
                "connection refused (is the server still running?)",
            ),
        ];
        for (trouble, partial, words) in cases {
            let no = NoAnswer {
                trouble,
                partial: partial.to_vec(),
            };
            let failure =
                judge(&Expect::Status(200), &one(Err(no), 10, 10)).expect_err("no answer");
            assert_eq!(failure.got, words);
        }
    }

    #[test]
    fn imf_fixdate_is_the_one_form_accepted() {
        assert!(is_imf_fixdate("Sun, 06 Nov 1994 08:49:37 GMT"));
        for bad in [
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "1994-11-06T08:49:37Z",
            "Sun, 06 Nov 1994 08:49:é GMT",
            "Sé, 06 Nov 1994 08:49:37 GMT",
            // 29 bytes whose é ends at byte 11: slicing the str [8..11] would panic.
            "Sun, 06 Noé 994 08:49:37 GMT",
            "",
        ] {
            assert!(!is_imf_fixdate(bad), "{bad}");
        }
    }

    #[test]
    fn an_echo_must_hold_the_lines_in_order() {
        let mut echo = response(200, "OK");
        echo.body = b"GET /a HTTP/1.1\nHost: x\nX-B: 1\n".to_vec();
        let lines = |l: &[&str]| Expect::Echo(l.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            judge(
                &lines(&["GET /a HTTP/1.1", "Host: x", "X-B: 1"]),
                &one(Ok(echo.clone()), 1, 1)
            ),
            Ok(())
        );
        let out_of_order = judge(&lines(&["X-B: 1", "Host: x"]), &one(Ok(echo.clone()), 1, 1))
            .expect_err("out of order");
        assert!(
            out_of_order.got.contains("out of order"),
            "{}",
            out_of_order.got
        );
        assert!(judge(&lines(&["x-b: 1"]), &one(Ok(echo), 1, 1)).is_err());
    }
}
