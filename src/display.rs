//! Making untrusted text safe and measurable for a terminal. Everything
//! shown comes from imported files, so every string passes through
//! `sanitize` where it becomes display text (TUI and CLI alike).

use std::borrow::Cow;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Characters that reorder or hide text: bidi controls and zero-width
/// characters. Shown as `<U+XXXX>` so a reader sees they are there.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}' | '\u{00AD}' | '\u{180E}')
}

/// One line of inert text: C0/C1 controls and DEL in caret notation (`^[`,
/// `^?`, `<U+0085>`), tabs as spaces, newlines as `⏎`, bidi overrides and
/// zero-width characters as `<U+202E>`.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if s.chars().all(|c| !c.is_control() && !is_invisible_format(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str("    "),
            '\n' => out.push('⏎'),
            '\r' => out.push_str("^M"),
            '\u{0}'..='\u{1F}' => {
                out.push('^');
                out.push((b'@' + c as u8) as char);
            }
            '\u{7F}' => out.push_str("^?"),
            c if c.is_control() || is_invisible_format(c) => {
                out.push_str(&format!("<U+{:04X}>", c as u32));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Like `sanitize`, but splits on newlines so multi-line cells show as lines.
pub fn sanitize_lines(s: &str) -> Vec<String> {
    s.split('\n').map(|l| sanitize(l.strip_suffix('\r').unwrap_or(l)).into_owned()).collect()
}

/// Display width in terminal columns (CJK characters take two).
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Cuts `s` to at most `max` columns, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    Cow::Owned(out)
}

/// Pads (or cuts) to exactly `cols` columns.
pub fn fit(s: &str, cols: usize) -> String {
    let t = truncate(s, cols);
    let pad = cols.saturating_sub(width(&t));
    format!("{t}{}", " ".repeat(pad))
}

/// Right-aligns (or cuts) to exactly `cols` columns: `{:>n}` counts
/// characters, which puts a Chinese heading out of line.
pub fn rfit(s: &str, cols: usize) -> String {
    let t = truncate(s, cols);
    let pad = cols.saturating_sub(width(&t));
    format!("{}{t}", " ".repeat(pad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises_escapes_and_bidi() {
        assert_eq!(sanitize("ok"), "ok");
        assert_eq!(sanitize("a\x1b[31mred"), "a^[[31mred");
        assert_eq!(sanitize("evil\u{202E}txt.exe"), "evil<U+202E>txt.exe");
        assert_eq!(sanitize("a\tb"), "a    b");
        assert_eq!(sanitize("x\u{9b}y"), "x<U+009B>y");
        assert_eq!(sanitize("z\u{200B}w"), "z<U+200B>w");
        assert_eq!(sanitize_lines("one\ntwo\x07"), vec!["one", "two^G"]);
    }

    #[test]
    fn widths_and_fitting() {
        assert_eq!(width("北京星辰"), 8);
        assert_eq!(truncate("北京星辰科技", 7), "北京星…");
        assert_eq!(width(&fit("北京星辰科技", 7)), 7);
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(rfit("批次", 7), "   批次");
        assert_eq!(width(&rfit("批次", 7)), 7);
    }
}
