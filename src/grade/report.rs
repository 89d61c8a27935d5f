//! The report: one line per check, the details of each failure, a summary; or one
//! JSON object per check.
//!
//! A failure says four things, CodeCrafters-style, so that a learner can act on it
//! without reading the grader: what was sent, what was expected and what came, the
//! command that does the same by hand, and the section of the course that teaches it:
//!
//! ```text
//! FAIL  a head over 8 KiB is refused with 431
//!       sent:      a head of 9,068 bytes: 'GET /grade/oversized HTTP/1.1\r\n…'
//!       expected:  431, got 200 OK after 31 of 9,068 bytes
//!       reproduce: (printf 'GET /grade/oversized …'; head -c 9000 /dev/zero | tr '\0' 'a'; printf '\r\n\r\n') | nc -N 127.0.0.1 8094
//!       read:      tutorial/src/ch04-tcp-is-a-stream.md#a-cap-on-the-head-and-431
//! ```
//!
//! Pure: it renders strings; `mod.rs` prints them as the checks run.

use serde::Serialize;

use super::checks::Chapter;
use super::judge::Failure;

/// One check's result, with everything the report says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The check's name.
    pub name: String,
    /// What was sent, in words.
    pub sent: String,
    /// The shell command that sends it.
    pub reproduce: String,
    /// The section that teaches it (path and anchor).
    pub section: String,
    /// Passed, or why not.
    pub result: Result<(), Failure>,
}

/// The line before the checks: which server, which chapter, how many checks.
pub fn heading(addr: &str, chapter: Chapter, count: usize) -> String {
    format!(
        "grading {addr} on chapter {}, \"{}\": {}\n",
        chapter.number,
        chapter.title,
        checks(count)
    )
}

/// One check as text: `ok` or `FAIL` and its name; for a failure, four more lines.
pub fn render_text(outcome: &Outcome) -> String {
    match &outcome.result {
        Ok(()) => format!("ok    {}\n", outcome.name),
        Err(failure) => format!(
            "FAIL  {}\n      sent:      {}\n      expected:  {}, got {}\n      reproduce: {}\n      read:      {}\n",
            outcome.name,
            outcome.sent,
            failure.expected,
            failure.got,
            outcome.reproduce,
            outcome.section
        ),
    }
}

#[derive(Serialize)]
struct JsonOutcome<'a> {
    chapter: u8,
    check: &'a str,
    ok: bool,
    sent: &'a str,
    expected: Option<&'a str>,
    got: Option<&'a str>,
    reproduce: &'a str,
    section: &'a str,
}

/// One check as one line of JSON: `chapter`, `check`, `ok`, `sent`, `expected` and `got`
/// (null when it passed), `reproduce`, `section`.
pub fn render_json(chapter: Chapter, outcome: &Outcome) -> String {
    let failure = outcome.result.as_ref().err();
    let json = JsonOutcome {
        chapter: chapter.number,
        check: &outcome.name,
        ok: failure.is_none(),
        sent: &outcome.sent,
        expected: failure.map(|f| f.expected.as_str()),
        got: failure.map(|f| f.got.as_str()),
        reproduce: &outcome.reproduce,
        section: &outcome.section,
    };
    // Serialising strings, bools and a number cannot fail.
    serde_json::to_string(&json).unwrap_or_default() + "\n"
}

/// The closing line: `chapter 4: 2 of 3 checks passed, 1 failed`.
pub fn summary(chapter: Chapter, outcomes: &[Outcome]) -> String {
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    let passed = outcomes.len() - failed;
    if failed == 0 {
        format!(
            "chapter {}: {} passed\n",
            chapter.number,
            match passed {
                1 => "the one check".to_string(),
                n => format!("all {n} checks"),
            }
        )
    } else {
        format!(
            "chapter {}: {passed} of {} checks passed, {failed} failed\n",
            chapter.number,
            outcomes.len()
        )
    }
}

/// `1 check`, `4 checks`.
fn checks(n: usize) -> String {
    if n == 1 {
        "1 check".to_string()
    } else {
        format!("{n} checks")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(result: Result<(), Failure>) -> Outcome {
        Outcome {
            name: "a head over 8 KiB is refused with 431".to_string(),
            sent: "a head of 9,068 bytes".to_string(),
            reproduce: "printf 'x' | nc -N 127.0.0.1 8094".to_string(),
            section: "tutorial/src/ch04-tcp-is-a-stream.md#a-cap-on-the-head-and-431".to_string(),
            result,
        }
    }

    #[test]
    fn a_failure_says_what_was_sent_expected_got_how_to_reproduce_and_where_to_read() {
        let failed = outcome(Err(Failure {
            expected: "431".to_string(),
            got: "200 OK after 31 of 9,068 bytes".to_string(),
        }));
        assert_eq!(
            render_text(&failed),
            "FAIL  a head over 8 KiB is refused with 431\n\
             \x20     sent:      a head of 9,068 bytes\n\
             \x20     expected:  431, got 200 OK after 31 of 9,068 bytes\n\
             \x20     reproduce: printf 'x' | nc -N 127.0.0.1 8094\n\
             \x20     read:      tutorial/src/ch04-tcp-is-a-stream.md#a-cap-on-the-head-and-431\n"
        );
        assert_eq!(
            render_text(&outcome(Ok(()))),
            "ok    a head over 8 KiB is refused with 431\n"
        );
        let chapter = Chapter::find(4).expect("chapter 4");
        let json: serde_json::Value =
            serde_json::from_str(&render_json(chapter, &failed)).expect("JSON");
        assert_eq!(json["chapter"], 4);
        assert_eq!(json["ok"], false);
        assert_eq!(json["expected"], "431");
        let passed: serde_json::Value =
            serde_json::from_str(&render_json(chapter, &outcome(Ok(())))).expect("JSON");
        assert_eq!(passed["ok"], true);
        assert!(passed["got"].is_null());
        assert_eq!(
            summary(chapter, &[failed, outcome(Ok(()))]),
            "chapter 4: 1 of 2 checks passed, 1 failed\n"
        );
    }
}
