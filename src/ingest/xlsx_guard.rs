//! A check of an XLSX package before calamine opens it. calamine reads
//! every shared string into memory when it opens a workbook, and its XML
//! reader buffers each element's text whole: a 1 MB file holding one
//! 1 GiB string took 8 GB before failing with a message naming nothing.
//! This scan reads each XML part once, streamed through a small buffer,
//! and refuses a cell, a shared string or a part whose size no real sheet
//! has, naming where it is, before anything is allocated for it.

use std::io::Read;
use std::path::Path;

/// The most XML one cell (or one shared string) may take. Excel's own limit
/// is 32,767 characters a cell; escaped (`&#x…;`, up to 8 bytes a
/// character) plus rich-text markup that stays well under this.
pub const CELL_XML_MAX: u64 = 32_767 * 8 + 16 * 1024;
/// The longest single tag or text run in any part (styles, relationships…):
/// calamine's XML reader holds one whole.
const RUN_MAX: u64 = 1 << 20;
/// A part may unpack to this much whatever its compressed size...
const PART_FLOOR: u64 = 256 << 20;
/// ...and beyond it to this many times its compressed size. Real sheets
/// compress 5–20×; deflate's ceiling is about 1,000×.
const PART_RATIO: u64 = 100;

/// Why a workbook is refused: the message, and the sheet cell it is about.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    /// (sheet row, column letters), 1-based, as Excel shows them.
    pub cell: Option<(u64, String)>,
    pub message: String,
}

/// Scans every XML part of the package at `path`.
pub fn check(path: &Path) -> Result<(), Refusal> {
    let plain = |message: String| Refusal { cell: None, message };
    let file = std::fs::File::open(path).map_err(|e| plain(format!("cannot open: {e}")))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| plain(format!("cannot read the workbook: {e}")))?;
    let mut oversized_string: Option<u64> = None;
    let mut sheets = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| plain(format!("cannot read the workbook: {e}")))?;
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        if entry.is_dir() || !(lower.ends_with(".xml") || lower.ends_with(".rels")) {
            continue;
        }
        let kind = if lower.ends_with("sharedstrings.xml") {
            Part::SharedStrings
        } else if lower.contains("worksheets/") {
            sheets.push(i);
            Part::Sheet
        } else {
            Part::Other
        };
        let limit = PART_FLOOR.max(entry.compressed_size().saturating_mul(PART_RATIO));
        let mut scan = Scanner::new(kind);
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            let n = entry.read(&mut buf).map_err(|e| plain(format!("cannot unpack `{name}`: {e}")))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > limit {
                return Err(plain(format!(
                    "the workbook's part `{name}` unpacks to more than {} MB from {} KB: refused, no sheet is \
                     that repetitive (a damaged or hostile file?)",
                    limit >> 20,
                    entry.compressed_size() >> 10
                )));
            }
            match scan.feed(&buf[..n]) {
                Ok(()) => {}
                Err(Found::Cell(cell, size)) => {
                    return Err(cell_refusal(&cell, format!("the cell holds more than {size} bytes of text")))
                }
                Err(Found::SharedString(index)) => {
                    oversized_string = Some(index);
                    break;
                }
                Err(Found::Run) => {
                    return Err(plain(format!(
                        "the workbook's part `{name}` holds a single item of more than {} MB: refused",
                        RUN_MAX >> 20
                    )))
                }
            }
        }
        if oversized_string.is_some() {
            break;
        }
    }
    let Some(index) = oversized_string else { return Ok(()) };
    let why = format!(
        "the cell's text (shared string #{index}) is longer than {} KB; Excel itself allows 32,767 characters a cell",
        CELL_XML_MAX >> 10
    );
    // Which cell uses it: the worksheets are scanned again, for the first
    // cell that refers to that string.
    for i in 0..zip.len() {
        let Ok(mut entry) = zip.by_index(i) else { continue };
        let lower = entry.name().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
        if !lower.contains("worksheets/") || !lower.ends_with(".xml") {
            continue;
        }
        let mut scan = Scanner::new(Part::Sheet);
        scan.wanted_string = Some(index);
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = entry.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Err(Found::Cell(cell, _)) = scan.feed(&buf[..n]) {
                return Err(cell_refusal(&cell, why));
            }
        }
    }
    Err(plain(format!("shared string #{index}, used by no cell: {why}")))
}

fn cell_refusal(cell: &str, why: String) -> Refusal {
    let letters: String = cell.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let row: Option<u64> = cell[letters.len()..].parse().ok();
    match row {
        Some(row) if !letters.is_empty() => Refusal {
            cell: Some((row, letters.to_ascii_uppercase())),
            message: format!(
                "cell {cell} (sheet row {row}, column {}): {why}; refused before reading it",
                letters.to_ascii_uppercase()
            ),
        },
        _ => Refusal { cell: None, message: format!("a cell ({cell:?}): {why}; refused before reading it") },
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    SharedStrings,
    Sheet,
    Other,
}

enum Found {
    /// A sheet cell (its reference) bigger than the cap, or the cell
    /// referring to the wanted shared string.
    Cell(String, u64),
    SharedString(u64),
    Run,
}

/// A byte-level scan of XML: tags and text runs, and the `<c>` / `<si>`
/// elements they make up. Nothing it keeps grows with the input, beyond
/// the first bytes of a tag.
struct Scanner {
    part: Part,
    in_tag: bool,
    /// Length of the current tag or text run.
    run: u64,
    /// The first bytes of the current tag.
    tag: Vec<u8>,
    /// Bytes since the open `<c>` / `<si>` began, if one is open.
    element: Option<u64>,
    /// Shared strings begun so far.
    strings: u64,
    /// The open cell's reference and whether it refers to a shared string.
    cell_ref: String,
    cell_shared: bool,
    /// Inside the open cell's `<v>`, and its text so far (a few digits).
    in_value: bool,
    value: Vec<u8>,
    wanted_string: Option<u64>,
}

const TAG_KEEP: usize = 512;

impl Scanner {
    fn new(part: Part) -> Scanner {
        Scanner {
            part,
            in_tag: false,
            run: 0,
            tag: Vec::new(),
            element: None,
            strings: 0,
            cell_ref: String::new(),
            cell_shared: false,
            in_value: false,
            value: Vec::new(),
            wanted_string: None,
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), Found> {
        for &b in bytes {
            if let Some(n) = self.element.as_mut() {
                *n += 1;
                if *n > CELL_XML_MAX {
                    self.element = None;
                    return Err(match self.part {
                        Part::SharedStrings => Found::SharedString(self.strings - 1),
                        _ => Found::Cell(self.cell_ref.clone(), CELL_XML_MAX),
                    });
                }
            }
            match (self.in_tag, b) {
                (false, b'<') => {
                    self.in_tag = true;
                    self.run = 0;
                    self.tag.clear();
                }
                (true, b'>') => {
                    self.in_tag = false;
                    self.run = 0;
                    self.end_tag()?;
                }
                _ => {
                    self.run += 1;
                    if self.run > RUN_MAX {
                        return Err(Found::Run);
                    }
                    if self.in_tag {
                        if self.tag.len() < TAG_KEEP {
                            self.tag.push(b);
                        }
                    } else if self.in_value && self.value.len() < 24 {
                        self.value.push(b);
                    }
                }
            }
        }
        Ok(())
    }

    /// A tag `<…>` just closed; `self.tag` holds what was between.
    fn end_tag(&mut self) -> Result<(), Found> {
        let tag = &self.tag;
        let closing = tag.first() == Some(&b'/');
        let self_closing = tag.last() == Some(&b'/');
        let body = if closing { &tag[1..] } else { &tag[..] };
        let name_len = body.iter().position(|b| b.is_ascii_whitespace() || *b == b'/').unwrap_or(body.len());
        let name = &body[..name_len];
        // A namespace prefix (`x:c`) is allowed.
        let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
        match (self.part, local) {
            (Part::SharedStrings, b"si") => {
                if closing {
                    self.element = None;
                } else {
                    self.strings += 1;
                    self.element = (!self_closing).then_some(0);
                }
            }
            (Part::Sheet, b"c") => {
                if closing {
                    self.element = None;
                } else {
                    self.cell_ref = attr(body, b"r").unwrap_or_default();
                    self.cell_shared = attr(body, b"t").as_deref() == Some("s");
                    self.element = (!self_closing).then_some(0);
                }
            }
            (Part::Sheet, b"v") if self.element.is_some() => {
                if closing {
                    self.in_value = false;
                    if let (true, Some(wanted)) = (self.cell_shared, self.wanted_string) {
                        let text = std::str::from_utf8(&self.value).unwrap_or("").trim();
                        if text.parse::<u64>().ok() == Some(wanted) {
                            return Err(Found::Cell(self.cell_ref.clone(), 0));
                        }
                    }
                } else if !self_closing {
                    self.in_value = true;
                    self.value.clear();
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The value of attribute `name` in a tag's text, unescaped only as far as
/// cell references and types need (they are plain ASCII).
fn attr(tag: &[u8], name: &[u8]) -> Option<String> {
    let mut i = 0;
    while i + name.len() + 2 <= tag.len() {
        let before_ok = i > 0 && tag[i - 1].is_ascii_whitespace();
        if before_ok && tag[i..].starts_with(name) {
            let rest = &tag[i + name.len()..];
            let rest = rest.strip_prefix(b"=").or_else(|| {
                let t = rest.iter().position(|b| !b.is_ascii_whitespace())?;
                rest[t..].strip_prefix(b"=")
            });
            if let Some(rest) = rest {
                let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
                let quote = rest[start];
                if quote == b'"' || quote == b'\'' {
                    let value = &rest[start + 1..];
                    let end = value.iter().position(|b| *b == quote)?;
                    return Some(String::from_utf8_lossy(&value[..end]).into_owned());
                }
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(part: Part, xml: &[u8], chunk: usize) -> Result<(), Found> {
        let mut s = Scanner::new(part);
        for piece in xml.chunks(chunk.max(1)) {
            s.feed(piece)?;
        }
        Ok(())
    }

    #[test]
    fn attributes_are_read_from_tags() {
        assert_eq!(attr(b"c r=\"B3\" t=\"s\"", b"r").as_deref(), Some("B3"));
        assert_eq!(attr(b"c r = 'B3' t=\"s\"", b"t").as_deref(), Some("s"));
        assert_eq!(attr(b"c rr=\"B3\"", b"r"), None);
    }

    #[test]
    fn a_big_cell_is_found_with_its_reference_whatever_the_chunking() {
        let mut xml = b"<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>ok</t></is></c>".to_vec();
        xml.extend_from_slice(b"<c r=\"XFD7\" t=\"inlineStr\"><is><t>");
        xml.extend(std::iter::repeat_n(b'x', CELL_XML_MAX as usize));
        xml.extend_from_slice(b"</t></is></c></row></sheetData>");
        for chunk in [1, 7, 4096, xml.len()] {
            match scan(Part::Sheet, &xml, chunk) {
                Err(Found::Cell(r, _)) => assert_eq!(r, "XFD7"),
                _ => panic!("not found with chunks of {chunk}"),
            }
        }
    }

    #[test]
    fn a_big_shared_string_is_found_by_index_and_its_cell_named() {
        let mut sst = b"<sst><si><t>a</t></si><si/><si><r><t>".to_vec();
        sst.extend(std::iter::repeat_n(b'y', CELL_XML_MAX as usize));
        sst.extend_from_slice(b"</t></r></si></sst>");
        assert!(matches!(scan(Part::SharedStrings, &sst, 333), Err(Found::SharedString(2))));
        let sheet = b"<row><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"C9\" t=\"s\"><v> 2 </v></c></row>";
        let mut s = Scanner::new(Part::Sheet);
        s.wanted_string = Some(2);
        assert!(matches!(s.feed(sheet), Err(Found::Cell(r, _)) if r == "C9"));
    }

    #[test]
    fn cell_refusals_name_row_and_column() {
        let r = cell_refusal("XFD1048576", "too big".into());
        assert_eq!(r.cell, Some((1_048_576, "XFD".to_string())));
        assert!(r.message.contains("XFD1048576"), "{}", r.message);
    }
}
