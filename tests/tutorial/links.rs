//! The book's internal links: every relative link names a file that mdBook publishes,
//! and every `#anchor` a heading that exists.

use std::collections::BTreeSet;

use super::{Page, book_src};

/// One link of a page: where it is and its target as written.
pub struct Link {
    pub at: String,
    pub target: String,
}

/// Every link target in a page's prose: `[text](target)`, `![alt](target)` and
/// reference definitions `[name]: target`. Code blocks and inline code are skipped, as
/// mdBook renders them verbatim.
pub fn links(page: &Page) -> Vec<Link> {
    let mut found = Vec::new();
    let mut fence: Option<String> = None;
    for (index, line) in page.text.lines().enumerate() {
        let at = format!("tutorial/src/{}:{}", page.name, index + 1);
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            let marker: String = trimmed
                .chars()
                .take_while(|&c| c == '`' || c == '~')
                .collect();
            match &fence {
                Some(open) if marker.starts_with(open.as_str()) => fence = None,
                Some(_) => {}
                None => fence = Some(marker),
            }
            continue;
        }
        if fence.is_some() {
            continue;
        }
        let prose = without_inline_code(line);
        // Reference definitions: `[name]: target`.
        if let Some(rest) = prose.trim_start().strip_prefix('[')
            && let Some((_, target)) = rest.split_once("]: ")
        {
            found.push(Link {
                at: at.clone(),
                target: target
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        let mut rest = prose.as_str();
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let end = after.find(')').unwrap_or(after.len());
            let target = after[..end].split_whitespace().next().unwrap_or_default();
            found.push(Link {
                at: at.clone(),
                target: target.trim_matches(['<', '>']).to_owned(),
            });
            rest = &after[end..];
        }
    }
    found
}

/// The line with every `` `code` `` span blanked out.
fn without_inline_code(line: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
            out.push(' ');
        } else {
            out.push(if in_code { ' ' } else { c });
        }
    }
    out
}

/// Whether a link leaves the book (a URL with a scheme) rather than pointing into it.
pub fn is_external(target: &str) -> bool {
    let scheme = target.split_once(':').map(|(s, _)| s);
    scheme.is_some_and(|s| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// The anchors mdBook gives a page's headings: the heading's text, lowercased, with
/// white space turned into `-` and everything but letters, digits, `-` and `_` dropped;
/// a repeated id gets `-1`, `-2`… (mdBook's `normalize_id` and `unique_id_from_content`).
pub fn anchors(page: &Page) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut in_fence = false;
    for line in page.text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let text = heading.trim_start_matches('#');
        if !text.starts_with(' ') {
            continue;
        }
        let id = heading_id(&heading_text(text.trim()));
        let mut unique = id.clone();
        let mut n = 1;
        while ids.contains(&unique) {
            unique = format!("{id}-{n}");
            n += 1;
        }
        ids.insert(unique);
    }
    ids
}

/// The text a heading renders to: backticks and emphasis marks removed, a link replaced
/// by its text.
fn heading_text(markdown: &str) -> String {
    let mut out = String::new();
    let mut rest = markdown;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](") else {
            break;
        };
        let Some(end) = rest[open + close..].find(')') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..open + close]);
        rest = &rest[open + close + end + 1..];
    }
    out.push_str(rest);
    out.chars().filter(|c| *c != '`' && *c != '*').collect()
}

fn heading_id(text: &str) -> String {
    text.chars()
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

/// Checks one internal link; `Err` says what is wrong.
pub fn check(page: &Page, target: &str, all: &[Page]) -> Result<(), String> {
    let (file, anchor) = match target.split_once('#') {
        Some((file, anchor)) => (file, Some(anchor)),
        None => (target, None),
    };
    let linked = if file.is_empty() {
        Some(page)
    } else {
        if file.starts_with('/') || file.split('/').any(|part| part == "..") {
            return Err(format!(
                "{target} leaves tutorial/src, which is all mdBook publishes; link to the \
                 repository's file with a full URL, or name it in `code`"
            ));
        }
        if !book_src().join(file).exists() {
            return Err(format!("{target}: tutorial/src/{file} does not exist"));
        }
        all.iter().find(|p| p.name == file)
    };
    if let (Some(anchor), Some(linked)) = (anchor, linked)
        && !anchors(linked).contains(anchor)
    {
        return Err(format!(
            "{target}: {} has no heading with the id #{anchor} (it has: {})",
            linked.name,
            anchors(linked).into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(())
}
