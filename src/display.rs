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

/// A match probability as the queue, the comparison and `crmwb queue` show
/// it: cut (never rounded up, so 0.999 is never a certain 1.00) to two
/// places, and past 0.99 to the first place that is not a 9 and one more
/// (0.9972, 0.99902), so clusters that all start 0.99 still read apart.
/// Six places at most.
pub fn probability(p: f64) -> String {
    if p.is_nan() || p <= 0.0 {
        return "0.00".into();
    }
    if p >= 1.0 {
        return "1.00".into();
    }
    let mut places = 2;
    while places < 6 && p >= 1.0 - 10f64.powi(-(places as i32)) {
        places += 1;
    }
    if places > 2 && places < 6 {
        places += 1;
    }
    let scale = 10f64.powi(places as i32);
    let cut = (p * scale).floor() / scale;
    format!("{cut:.places$}")
}

/// A probability as log-odds in bits (log2 of p / (1 − p)), the unit the
/// evidence adds up in: where probabilities all read 0.9999…, the bits
/// still tell 17 from 23. Signed, one place; "≥ +50" past what a float
/// keeps apart from 1.
pub fn odds_bits(p: f64) -> String {
    if p.is_nan() {
        return "?".into();
    }
    let b = crate::matching::Model::log2_odds(p);
    if b >= 50.0 {
        "≥+50".into()
    } else if b <= -50.0 {
        "≤−50".into()
    } else {
        bits(b)
    }
}

/// Bits with a sign; a real minus, as in "city differs −1.3".
pub fn bits(w: f64) -> String {
    if w < 0.0 {
        format!("−{:.1}", -w)
    } else {
        format!("+{w:.1}")
    }
}

#[cfg(test)]
mod probability_tests {
    use super::probability;

    /// Issue 16, finding 15: scores past 0.99 keep the places that tell them apart.
    #[test]
    fn finding_16_15_probabilities_past_0_99_keep_their_distinguishing_places() {
        for (p, shown) in [
            (0.0, "0.00"),
            (0.5, "0.50"),
            (0.9549, "0.95"),
            (0.98999, "0.98"),
            (0.99, "0.9900"),
            (0.99734, "0.9973"),
            (0.99902, "0.99902"),
            (0.999951, "0.999951"),
            (0.9999999, "0.999999"),
            (1.0, "1.00"),
        ] {
            assert_eq!(probability(p), shown, "{p}");
        }
        // Where six places are not enough, the bits still differ.
        let p = |bits: f64| 1.0 / (1.0 + (-bits).exp2());
        assert_eq!((probability(p(20.0)), probability(p(23.0))), ("0.999999".into(), "0.999999".into()));
        assert_eq!((super::odds_bits(p(20.0)).as_str(), super::odds_bits(p(23.0)).as_str()), ("+20.0", "+23.0"));
        assert_eq!(super::odds_bits(0.2), "−2.0");
        assert_eq!(super::odds_bits(1.0), "≥+50");
    }
}
