//! A check of delimited text as it streams into the CSV parser. The parser
//! takes a lone `"` at the start of a field as an opening quote and reads on,
//! across line breaks, until the next `"`, or to the end of the file, where
//! it quietly closes the field: an unbalanced quote once merged four rows
//! into one customer's name, reported as a clean batch. It also holds a
//! whole record in memory, so a field that never ends costs the whole file.
//!
//! This reader follows the parser's own quoting rules (a field is quoted
//! when it starts with `"`; `""` inside is a quote; the field ends at the
//! next lone `"`) over the bytes as they pass, and fails, with where the
//! field opened, when one cell grows past what any spreadsheet cell holds:
//! Excel's limits, 32,767 characters and 253 line breaks a cell, the same
//! bound the XLSX check puts on a cell, or when the end of the file comes
//! inside a quoted field.

use std::io::Read;

/// The most characters one cell may hold (Excel's limit, as for XLSX).
pub const FIELD_MAX_CHARS: u64 = 32_767;
/// The most line breaks one quoted cell may hold (Excel's limit).
pub const FIELD_MAX_LINE_BREAKS: u64 = 253;

/// Why the text was refused, and the line (1-based, of the file as
/// decoded) where the offending cell starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runaway {
    pub line: u64,
    pub why: Why,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The end of the file came inside a quoted field.
    Unterminated,
    /// A quoted field passed the line-break bound.
    TooManyLineBreaks,
    /// A field (quoted or not) passed the length bound.
    TooLong { quoted: bool },
}

impl std::fmt::Display for Runaway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let line = self.line;
        match self.why {
            Why::Unterminated => write!(
                f,
                "a quoted cell opens on line {line} and runs to the end of the file without its closing quote \
                 (an unbalanced `\"`?); nothing from this row on was imported"
            ),
            Why::TooManyLineBreaks => write!(
                f,
                "a quoted cell opens on line {line} and runs across more than {FIELD_MAX_LINE_BREAKS} line breaks, \
                 more than any spreadsheet cell holds: probably an unbalanced `\"` that swallows the rows after it \
                 (its closing quote is missing or misplaced); nothing from this row on was imported"
            ),
            Why::TooLong { quoted: true } => write!(
                f,
                "a quoted cell opens on line {line} and runs past 32,767 characters, Excel's own limit a cell: \
                 probably an unbalanced `\"` that swallows the rows after it (its closing quote is missing or \
                 misplaced); nothing from this row on was imported"
            ),
            Why::TooLong { quoted: false } => write!(
                f,
                "a cell on line {line} is longer than 32,767 characters, Excel's own limit a cell (a damaged \
                 file?); nothing from this row on was imported"
            ),
        }
    }
}

impl std::error::Error for Runaway {}

/// The `Runaway` an I/O error from [`QuoteGuard`] carries, if it is one.
pub fn runaway(e: &std::io::Error) -> Option<&Runaway> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<Runaway>())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field (or record).
    Start,
    /// In a field that did not start with a quote.
    Unquoted,
    /// In a quoted field.
    Quoted,
    /// Just after a `"` in a quoted field: `""` is a quote, anything
    /// else ends the quoting.
    QuoteInQuoted,
}

/// Passes UTF-8 text through unchanged, failing with a [`Runaway`] (as an
/// `InvalidData` I/O error) once a cell passes the bounds. The bytes before
/// the one that passes a bound are still handed out first, so the parser
/// fails inside the record where the cell opened.
pub struct QuoteGuard<R> {
    inner: R,
    delimiter: u8,
    state: State,
    /// The current line (1-based).
    line: u64,
    /// Where the current field started, its characters and line breaks.
    field_line: u64,
    field_chars: u64,
    field_breaks: u64,
    failed: Option<Runaway>,
}

impl<R: Read> QuoteGuard<R> {
    pub fn new(inner: R, delimiter: u8) -> Self {
        QuoteGuard {
            inner,
            delimiter,
            state: State::Start,
            line: 1,
            field_line: 1,
            field_chars: 0,
            field_breaks: 0,
            failed: None,
        }
    }

    fn error(&self) -> std::io::Error {
        let r = self.failed.clone().unwrap_or(Runaway { line: self.line, why: Why::Unterminated });
        std::io::Error::new(std::io::ErrorKind::InvalidData, r)
    }

    fn fail(&mut self, why: Why) {
        self.failed = Some(Runaway { line: self.field_line, why });
    }

    /// Follows one byte; false when it takes a cell past a bound.
    fn step(&mut self, b: u8) -> bool {
        let terminator = b == b'\n' || b == b'\r';
        // A UTF-8 continuation byte is not a character of its own.
        let chars = u64::from(b & 0xC0 != 0x80);
        match self.state {
            State::Start => {
                self.field_line = self.line;
                self.field_chars = 0;
                self.field_breaks = 0;
                if b == b'"' {
                    self.state = State::Quoted;
                } else if b != self.delimiter && !terminator {
                    self.state = State::Unquoted;
                    self.field_chars = chars;
                }
            }
            State::Unquoted => {
                if b == self.delimiter || terminator {
                    self.state = State::Start;
                } else {
                    self.field_chars += chars;
                }
            }
            State::Quoted => {
                if b == b'"' {
                    self.state = State::QuoteInQuoted;
                } else {
                    self.field_chars += chars;
                    if b == b'\n' {
                        self.field_breaks += 1;
                    }
                }
            }
            State::QuoteInQuoted => {
                if b == b'"' {
                    self.state = State::Quoted;
                    self.field_chars += 1;
                } else if b == self.delimiter || terminator {
                    self.state = State::Start;
                } else {
                    // As the parser does: text after the closing quote is
                    // part of the field, unquoted.
                    self.state = State::Unquoted;
                    self.field_chars += chars;
                }
            }
        }
        if b == b'\n' {
            self.line += 1;
        }
        let quoted = matches!(self.state, State::Quoted | State::QuoteInQuoted);
        if quoted && self.field_breaks > FIELD_MAX_LINE_BREAKS {
            self.fail(Why::TooManyLineBreaks);
            return false;
        }
        if self.field_chars > FIELD_MAX_CHARS {
            self.fail(Why::TooLong { quoted });
            return false;
        }
        true
    }
}

impl<R> QuoteGuard<R> {
    /// The fast path: inside a field, the run of bytes that cannot change
    /// the state (anything but a quote in a quoted field; anything but a
    /// delimiter or line end in an unquoted one) is counted in one go, as
    /// `step` would count it byte by byte. Returns how many bytes it took;
    /// none when the run would pass a bound, so `step` finds the byte.
    fn skip_plain(&mut self, bytes: &[u8]) -> usize {
        let d = self.delimiter;
        let end = match self.state {
            State::Unquoted => bytes.iter().position(|&b| b == d || b == b'\n' || b == b'\r'),
            State::Quoted => bytes.iter().position(|&b| b == b'"'),
            State::Start | State::QuoteInQuoted => return 0,
        }
        .unwrap_or(bytes.len());
        let run = &bytes[..end];
        let chars = run.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64;
        let breaks = if self.state == State::Quoted { run.iter().filter(|&&b| b == b'\n').count() as u64 } else { 0 };
        if self.field_chars + chars > FIELD_MAX_CHARS || self.field_breaks + breaks > FIELD_MAX_LINE_BREAKS {
            return 0;
        }
        self.field_chars += chars;
        self.field_breaks += breaks;
        self.line += breaks;
        end
    }
}

impl<R: Read> Read for QuoteGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.failed.is_some() {
            return Err(self.error());
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            if self.state == State::Quoted {
                self.fail(Why::Unterminated);
                return Err(self.error());
            }
            return Ok(0);
        }
        let mut i = 0;
        while i < n {
            i += self.skip_plain(&buf[i..n]);
            if i == n {
                break;
            }
            if !self.step(buf[i]) {
                return if i == 0 { Err(self.error()) } else { Ok(i) };
            }
            i += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(text: &str) -> Result<String, Runaway> {
        let mut out = String::new();
        // One byte at a time and all at once must agree.
        let mut g = QuoteGuard::new(text.as_bytes(), b',');
        let whole = g.read_to_string(&mut out).map(|_| out.clone()).map_err(|e| runaway(&e).unwrap().clone());
        let mut bytes = Vec::new();
        let mut g = QuoteGuard::new(text.as_bytes(), b',');
        let mut one = [0u8; 1];
        let single = loop {
            match g.read(&mut one) {
                Ok(0) => break Ok(String::from_utf8(bytes).unwrap()),
                Ok(_) => bytes.push(one[0]),
                Err(e) => break Err(runaway(&e).unwrap().clone()),
            }
        };
        assert_eq!(whole, single, "{text:?}");
        whole
    }

    #[test]
    fn balanced_text_passes_unchanged() {
        for t in ["a,b\n1,2\n", "a,\"x\ny\"\n", "a,\"say \"\"hi\"\"\"\n", "a,b\"c\n", "a,\"q\"tail\n", "\"\"\n", ""] {
            assert_eq!(pass(t), Ok(t.to_string()));
        }
    }

    #[test]
    fn an_open_quote_at_the_end_is_refused_where_it_opened() {
        assert_eq!(pass("a,b\n1,2\n\"3,4\n5,6\n"), Err(Runaway { line: 3, why: Why::Unterminated }));
        assert_eq!(pass("a,b\n1,\"x\"\"\n"), Err(Runaway { line: 2, why: Why::Unterminated }));
        // A quote inside an unquoted field is text, as the parser reads it.
        assert!(pass("a,b\n1,5\" screen\n").is_ok());
    }

    #[test]
    fn bounds_are_excel_limits() {
        let ok = format!("a\n\"{}\"\n", "\n".repeat(FIELD_MAX_LINE_BREAKS as usize));
        assert!(pass(&ok).is_ok());
        let many = format!("a\n\"{}\"\n", "\n".repeat(FIELD_MAX_LINE_BREAKS as usize + 1));
        assert_eq!(pass(&many), Err(Runaway { line: 2, why: Why::TooManyLineBreaks }));
        let ok = format!("a\n{}\n", "字".repeat(FIELD_MAX_CHARS as usize));
        assert!(pass(&ok).is_ok(), "characters, not bytes");
        let long = format!("a\n{}\n", "字".repeat(FIELD_MAX_CHARS as usize + 1));
        assert_eq!(pass(&long), Err(Runaway { line: 2, why: Why::TooLong { quoted: false } }));
    }
}
