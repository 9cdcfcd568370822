//! The 360° view of one customer as display lines. Built once when the
//! selection changes, so render only slices and clips; every imported string
//! passes through `display::sanitize` here.

use crate::display::{fit, sanitize, sanitize_lines, width};
use crate::domain::Field;
use crate::domain::Reminder;
use crate::service::MergeEvent;
use crate::store::{CustomerDetail, FieldIssue};

/// What the 360° view shows beyond the customer's own record.
#[derive(Debug, Default)]
pub struct Extra {
    /// Validation findings on its source rows, shown at their field.
    pub issues: Vec<FieldIssue>,
    pub merges: Vec<MergeEvent>,
    /// Open and upcoming follow-ups.
    pub reminders: Vec<Reminder>,
    /// The day its reminders start from (its import's `--reminders-from`).
    pub counts_from: Option<chrono::NaiveDate>,
}

/// How a piece of text should look; the theme turns it into a style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Heading,
    Label,
    Dim,
    Flag,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seg {
    pub text: String,
    pub tone: Tone,
}

pub type DLine = Vec<Seg>;

fn seg(text: impl Into<String>, tone: Tone) -> Seg {
    Seg { text: text.into(), tone }
}

/// Columns of the field labels: the longest label is four CJK characters.
const LABEL_COLS: usize = 8;
const INDENT: &str = "    ";
const DEEP: &str = "        ";

struct Builder {
    lines: Vec<DLine>,
}

impl Builder {
    fn heading(&mut self, title: &str, count: Option<usize>) {
        if !self.lines.is_empty() {
            self.lines.push(Vec::new());
        }
        let t = match count {
            Some(n) => format!("── {title} ({n}) ──"),
            None => format!("── {title} ──"),
        };
        self.lines.push(vec![seg(t, Tone::Heading)]);
    }

    /// A label and a value that may span lines; continuation lines align
    /// under the value.
    fn field(&mut self, label: &str, value: Option<&str>) {
        // A label wider than the column (联系人职务) is shown whole: its
        // value starts further right rather than the label being cut.
        let label = sanitize(label);
        let label =
            if width(&label) > LABEL_COLS { format!("{label}  ") } else { format!("{}  ", fit(&label, LABEL_COLS)) };
        match value.filter(|v| !v.trim().is_empty()) {
            None => self.lines.push(vec![seg(label, Tone::Label), seg("—", Tone::Dim)]),
            Some(v) => {
                let pad = " ".repeat(width(&label));
                for (i, l) in sanitize_lines(v).into_iter().enumerate() {
                    let lead = if i == 0 { label.clone() } else { pad.clone() };
                    self.lines.push(vec![seg(lead, Tone::Label), seg(l, Tone::Plain)]);
                }
            }
        }
    }

    fn text(&mut self, parts: Vec<Seg>) {
        self.lines.push(parts);
    }

    /// An indented block of untrusted multi-line text.
    fn block(&mut self, s: &str, indent: &str, tone: Tone) {
        for l in sanitize_lines(s) {
            self.lines.push(vec![seg(format!("{indent}{l}"), tone)]);
        }
    }

    fn none(&mut self) {
        self.lines.push(vec![seg(format!("{INDENT}{}", tr!("none")), Tone::Dim)]);
    }
}

fn s(v: &str) -> String {
    sanitize(v).into_owned()
}

fn issue_line(i: &FieldIssue) -> DLine {
    let mark = if i.severity == "error" { "✗" } else { "⚠" };
    vec![
        seg(format!("{DEEP}{mark} {} ", s(&i.rule)), Tone::Flag),
        seg(s(&i.message), Tone::Plain),
        seg(format!("  {}", tr!("detail-row", source = s(&i.source), row = i.row_number)), Tone::Dim),
    ]
}

pub fn build(d: &CustomerDetail, extra: &Extra) -> Vec<DLine> {
    let c = &d.customer;
    let mut b = Builder { lines: Vec::new() };
    b.text(vec![seg(s(&c.number), Tone::Heading), seg("  ", Tone::Plain), seg(s(&c.name), Tone::Heading)]);
    if c.flags.is_empty() {
        b.text(vec![seg(format!("{}  ", fit("标记", LABEL_COLS)), Tone::Label), seg("—", Tone::Dim)]);
    } else {
        let flags: Vec<String> = c.flags.iter().map(|f| s(f)).collect();
        b.text(vec![
            seg(format!("{}  ", fit("标记", LABEL_COLS)), Tone::Label),
            seg(crate::i18n::join(&flags), Tone::Flag),
        ]);
    }

    b.heading(&tr!("detail-fields"), None);
    for f in Field::ALL {
        b.field(f.label(), c.get(f).map(|v| crate::i18n::field_value(f, v)).as_deref());
        for i in extra.issues.iter().filter(|i| i.field.as_deref() == Some(f.name())) {
            b.text(issue_line(i));
        }
    }
    let unattached: Vec<&FieldIssue> =
        extra.issues.iter().filter(|i| i.field.as_deref().is_none_or(|n| Field::parse(n).is_none())).collect();
    if !unattached.is_empty() {
        b.heading(&tr!("detail-row-findings"), Some(unattached.len()));
        for i in unattached {
            b.text(issue_line(i));
        }
    }

    b.heading(&tr!("detail-followups"), Some(extra.reminders.len()));
    if extra.reminders.is_empty() {
        b.none();
    }
    for r in &extra.reminders {
        b.text(vec![
            seg(format!("{INDENT}{}", r.due), Tone::Label),
            seg(format!("  {}", s(&r.rule)), Tone::Flag),
            seg(format!("  {}", s(&r.reason)), Tone::Plain),
        ]);
    }
    // Why a planned date raises nothing: it is before the import's horizon.
    let planned = c.next_followup.as_deref().and_then(|v| chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok());
    if let (Some(next), Some(from)) = (planned, extra.counts_from) {
        if next < from {
            b.text(vec![seg(
                format!("{INDENT}{}", tr!("detail-not-due", next = next.to_string(), from = from.to_string())),
                Tone::Dim,
            )]);
        }
    }
    if !d.custom.is_empty() {
        b.heading(&tr!("detail-custom"), Some(d.custom.len()));
        for (name, _ty, value) in &d.custom {
            b.field(name, Some(value));
        }
    }

    b.heading(&tr!("detail-phones"), Some(d.phones.len()));
    if d.phones.is_empty() {
        b.none();
    }
    for p in &d.phones {
        let mut parts = vec![
            seg(format!("{INDENT}{}  ", fit(&crate::i18n::value("phone", p.kind.as_str()), 8)), Tone::Label),
            seg(s(&p.number), Tone::Plain),
        ];
        if p.is_primary {
            parts.push(seg(format!("  {}", tr!("detail-primary")), Tone::Dim));
        }
        b.text(parts);
    }

    b.heading(&tr!("detail-emails"), Some(d.emails.len()));
    if d.emails.is_empty() {
        b.none();
    }
    for e in &d.emails {
        let mut parts = vec![seg(format!("{INDENT}{}", s(&e.email)), Tone::Plain)];
        if e.is_primary {
            parts.push(seg(format!("  {}", tr!("detail-primary")), Tone::Dim));
        }
        b.text(parts);
    }

    b.heading(&tr!("detail-contacts"), Some(d.contacts.len()));
    if d.contacts.is_empty() {
        b.none();
    }
    for ct in &d.contacts {
        let mut parts = vec![seg(format!("{INDENT}{}", s(&ct.name)), Tone::Plain)];
        for v in [&ct.title, &ct.mobile, &ct.landline, &ct.email].into_iter().flatten() {
            if !v.is_empty() {
                parts.push(seg(format!("  {}", s(v)), Tone::Plain));
            }
        }
        b.text(parts);
        if let Some(n) = ct.notes.as_deref().filter(|n| !n.is_empty()) {
            b.block(n, DEEP, Tone::Dim);
        }
    }

    b.heading(&tr!("detail-interactions"), Some(d.interactions.len()));
    if d.interactions.is_empty() {
        b.none();
    }
    for i in &d.interactions {
        let mut parts = vec![
            seg(format!("{INDENT}{}", s(&i.at)), Tone::Label),
            seg("  ", Tone::Plain),
            seg(s(&crate::i18n::value("interaction", &i.kind)), Tone::Plain),
        ];
        if let Some(by) = i.by.as_deref().filter(|v| !v.is_empty()) {
            parts.push(seg(format!("  {}", tr!("detail-by", who = s(by))), Tone::Dim));
        }
        b.text(parts);
        b.block(&i.summary, DEEP, Tone::Plain);
    }

    b.heading(&tr!("detail-sources"), Some(d.sources.len()));
    if d.sources.is_empty() {
        b.none();
    }
    for r in &d.sources {
        b.text(vec![
            seg(format!("{INDENT}{}", s(&r.source)), Tone::Label),
            seg(
                format!("  {}", tr!("detail-source", key = s(&r.source_key), batch = r.batch_id, row = r.row_number)),
                Tone::Dim,
            ),
        ]);
        for (h, v) in r.headers.iter().zip(&r.values) {
            if v.trim().is_empty() {
                continue;
            }
            let lead = format!("{DEEP}{}: ", s(h));
            let pad = " ".repeat(width(&lead));
            for (n, l) in sanitize_lines(v).into_iter().enumerate() {
                b.text(vec![seg(if n == 0 { lead.clone() } else { pad.clone() }, Tone::Label), seg(l, Tone::Plain)]);
            }
        }
    }

    b.heading(&tr!("detail-merges"), Some(extra.merges.len()));
    if extra.merges.is_empty() {
        b.none();
    }
    for m in &extra.merges {
        let what = if m.role == "survivor" {
            tr!("detail-absorbed", numbers = crate::i18n::join(&m.absorbed.iter().map(|n| s(n)).collect::<Vec<_>>()))
        } else {
            tr!("detail-merged-into", survivor = s(&m.survivor))
        };
        let mut parts = vec![
            seg(format!("{INDENT}{}", s(&m.at)), Tone::Label),
            seg(format!("  {}  {what}", s(&m.actor)), Tone::Plain),
            seg(format!("  ({})", s(&crate::i18n::value("origin", &m.origin))), Tone::Dim),
        ];
        if let Some(u) = &m.undone_at {
            parts.push(seg(format!("  {}", tr!("detail-undone", at = s(u))), Tone::Flag));
        }
        b.text(parts);
    }

    b.heading(&tr!("detail-history"), Some(d.history.len()));
    if d.history.is_empty() {
        b.none();
    }
    for a in &d.history {
        let h = crate::history::history_line(a);
        b.text(vec![seg(format!("{INDENT}{}", h.at), Tone::Label), seg(format!("  {}", h.who), Tone::Plain)]);
        b.text(vec![seg(format!("{DEEP}{}", h.what), Tone::Plain)]);
    }
    b.lines
}
