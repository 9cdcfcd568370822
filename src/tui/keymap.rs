//! Keymaps: TOML files that bind key sequences to named actions, per context.
//!
//! ```toml
//! [customers]
//! bindings = [
//!   { keys = ["j", "<Down>"], action = "cursor.down", desc = "Next customer" },
//!   { keys = "g g",           action = "cursor.top",  desc = "First customer" },
//! ]
//! ```
//!
//! A space separates the keys of a sequence, a list gives alternatives.
//! Lookup goes modal (help overlay) → focused pane → global. Sequences
//! resolve through a trie with no timeout, so a slow link cannot break
//! `g g`; that is also why a key may not be both a binding and the start of
//! another binding anywhere on one lookup path: the longer one could never be
//! typed. Every problem in a file is reported with its file and line.

use super::action::Action;
use crate::error::{Error, Result};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// The keymaps compiled into the binary, by name.
const BUILTIN: &[(&str, &str)] =
    &[("default", include_str!("../../keymaps/default.toml")), ("vim", include_str!("../../keymaps/vim.toml"))];

/// Where a user's own overrides are read from: `keymap.toml` in the
/// platform config directory (`$CRMWB_KEYMAP_FILE` instead, when set).
pub fn user_keymap_path() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("CRMWB_KEYMAP_FILE").filter(|v| !v.is_empty()) {
        return Some(p.into());
    }
    directories::ProjectDirs::from("", "", "crm-workbench").map(|d| d.config_dir().join("keymap.toml"))
}

/// The keymap the workbench runs with: `name_or_path` (or the default) with
/// the user's overrides file laid over it when that file exists.
pub fn load_active_keymap(name_or_path: Option<&str>) -> Result<Keymap> {
    load_with_user(name_or_path, user_keymap_path().as_deref())
}

pub fn load_with_user(name_or_path: Option<&str>, user: Option<&Path>) -> Result<Keymap> {
    let base = load_keymap(name_or_path)?;
    match user {
        Some(p) if p.exists() => {
            let text = std::fs::read_to_string(p).map_err(|source| Error::Io { path: p.to_path_buf(), source })?;
            base.with_overrides(&p.display().to_string(), &text)
        }
        _ => Ok(base),
    }
}

/// Loads a keymap: `None` or a built-in name gives the embedded keymap; anything
/// else is read as a path to a TOML file.
pub fn load_keymap(name_or_path: Option<&str>) -> Result<Keymap> {
    let name = name_or_path.unwrap_or("default");
    if let Some((builtin, text)) = BUILTIN.iter().find(|(n, _)| *n == name) {
        return Keymap::parse(&format!("keymaps/{builtin}.toml"), text);
    }
    let path = Path::new(name);
    let looks_like_path = name.contains(['/', '\\']) || name.ends_with(".toml") || path.exists();
    if !looks_like_path {
        let known: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
        return Err(Error::Invalid(format!(
            "no built-in keymap named `{name}` (built in: {}); give a path to a .toml file for your own",
            known.join(", ")
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    Keymap::parse(&path.display().to_string(), &text)
}

/// One key press, normalised so that what the terminal sends and what a
/// keymap file says compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        Key::normalise(code, mods)
    }

    pub fn from_event(ev: &KeyEvent) -> Key {
        Key::normalise(ev.code, ev.modifiers)
    }

    fn normalise(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            // Terminals disagree on whether `G` also reports SHIFT; the
            // character already says it.
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                // Ctrl-c and Ctrl-C are the same byte on the wire.
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.insert(KeyModifiers::SHIFT);
                KeyCode::Tab
            }
            other => other,
        };
        Key { code, mods }
    }

    /// Parses one key as written in a keymap: a single character, or a name
    /// in angle brackets with optional `C-`, `A-`, `S-` prefixes.
    pub fn parse(tok: &str) -> std::result::Result<Key, String> {
        let mut chars = tok.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if c.is_control() || c.is_whitespace() {
                return Err(format!("`{}` cannot be bound as written; use its name, e.g. <Space>", tok.escape_debug()));
            }
            return Ok(Key::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        let Some(inner) = tok.strip_prefix('<').and_then(|t| t.strip_suffix('>')) else {
            return Err(format!(
                "malformed key `{tok}`: write one character, a special key in angle brackets such as <Esc> or <C-x>, \
                 and separate the keys of a sequence with spaces (`g g`)"
            ));
        };
        let mut mods = KeyModifiers::NONE;
        let mut rest = inner;
        // `<C-->` is Ctrl and `-`: only strip a prefix while something follows it.
        while rest.len() > 2 && rest.as_bytes()[1] == b'-' {
            let m = match rest.as_bytes()[0] {
                b'C' | b'c' => KeyModifiers::CONTROL,
                b'A' | b'a' | b'M' | b'm' => KeyModifiers::ALT,
                b'S' | b's' => KeyModifiers::SHIFT,
                _ => {
                    return Err(format!("malformed key `{tok}`: unknown modifier `{}-` (use C-, A- or S-)", &rest[..1]))
                }
            };
            mods |= m;
            rest = &rest[2..];
        }
        let mut rc = rest.chars();
        let code = if let (Some(c), None) = (rc.next(), rc.next()) {
            if mods.contains(KeyModifiers::SHIFT) {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c.to_ascii_uppercase())
            } else {
                KeyCode::Char(c)
            }
        } else {
            match rest.to_ascii_lowercase().as_str() {
                "space" => KeyCode::Char(' '),
                "esc" | "escape" => KeyCode::Esc,
                "enter" | "cr" | "return" => KeyCode::Enter,
                "tab" => KeyCode::Tab,
                "backtab" => {
                    mods.insert(KeyModifiers::SHIFT);
                    KeyCode::Tab
                }
                "bs" | "backspace" => KeyCode::Backspace,
                "del" | "delete" => KeyCode::Delete,
                "ins" | "insert" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "lt" => KeyCode::Char('<'),
                "gt" => KeyCode::Char('>'),
                f if f.starts_with('f') && f.len() > 1 && f[1..].bytes().all(|b| b.is_ascii_digit()) => {
                    match f[1..].parse::<u8>() {
                        Ok(n @ 1..=24) => KeyCode::F(n),
                        _ => return Err(format!("malformed key `{tok}`: function keys go from <F1> to <F24>")),
                    }
                }
                "" => return Err(format!("malformed key `{tok}`: empty key name")),
                _ => return Err(format!("malformed key `{tok}`: unknown key name `{rest}`")),
            }
        };
        Ok(Key::new(code, mods))
    }

    fn name(self) -> Option<&'static str> {
        Some(match self.code {
            KeyCode::Char(' ') => "Space",
            KeyCode::Char('<') => "lt",
            KeyCode::Char('>') => "gt",
            KeyCode::Esc => "Esc",
            KeyCode::Enter => "Enter",
            KeyCode::Tab => "Tab",
            KeyCode::Backspace => "BS",
            KeyCode::Delete => "Del",
            KeyCode::Insert => "Ins",
            KeyCode::Up => "Up",
            KeyCode::Down => "Down",
            KeyCode::Left => "Left",
            KeyCode::Right => "Right",
            KeyCode::PageUp => "PageUp",
            KeyCode::PageDown => "PageDown",
            KeyCode::Home => "Home",
            KeyCode::End => "End",
            _ => return None,
        })
    }

    fn mod_prefix(self) -> String {
        let mut s = String::new();
        for (m, p) in [(KeyModifiers::CONTROL, "C-"), (KeyModifiers::ALT, "A-"), (KeyModifiers::SHIFT, "S-")] {
            if self.mods.contains(m) {
                s.push_str(p);
            }
        }
        s
    }

    /// A compact form for the status bar: `j`, `↓`, `PgDn`, `C-c`.
    pub fn short(self) -> String {
        let base = match self.code {
            KeyCode::Up => "↑".to_string(),
            KeyCode::Down => "↓".to_string(),
            KeyCode::Left => "←".to_string(),
            KeyCode::Right => "→".to_string(),
            KeyCode::PageUp => "PgUp".to_string(),
            KeyCode::PageDown => "PgDn".to_string(),
            KeyCode::Char('<') => "<".to_string(),
            KeyCode::Char('>') => ">".to_string(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Char(c) if self.name().is_none() => c.to_string(),
            _ => self.name().unwrap_or("?").to_string(),
        };
        format!("{}{base}", self.mod_prefix())
    }
}

/// The keymap syntax, so help shows what a user would write in a file.
impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, self.name()) {
            (KeyCode::Char(c), None) if self.mods.is_empty() => write!(f, "{c}"),
            (KeyCode::Char(c), None) => write!(f, "<{}{c}>", self.mod_prefix()),
            (KeyCode::F(n), _) => write!(f, "<{}F{n}>", self.mod_prefix()),
            (_, Some(name)) => write!(f, "<{}{name}>", self.mod_prefix()),
            (code, None) => write!(f, "<{code:?}>"),
        }
    }
}

pub type KeySeq = Vec<Key>;

pub fn parse_seq(s: &str) -> std::result::Result<KeySeq, String> {
    let seq = s.split_whitespace().map(Key::parse).collect::<std::result::Result<KeySeq, String>>()?;
    if seq.is_empty() {
        return Err("empty key: write at least one key".into());
    }
    Ok(seq)
}

pub fn seq_to_string(seq: &[Key]) -> String {
    seq.iter().map(Key::to_string).collect::<Vec<_>>().join(" ")
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Customers,
    Detail,
    Duplicates,
    Followups,
    Imports,
    Quality,
    Help,
    Log,
    Palette,
    Filter,
    Form,
    Confirm,
}

/// How many contexts there are; sizes the per-context tables.
const N: usize = 13;

impl Context {
    pub const ALL: [Context; N] = [
        Context::Global,
        Context::Customers,
        Context::Detail,
        Context::Duplicates,
        Context::Followups,
        Context::Imports,
        Context::Quality,
        Context::Help,
        Context::Log,
        Context::Palette,
        Context::Filter,
        Context::Form,
        Context::Confirm,
    ];

    /// The panes a user switches between; each is a context of its own.
    pub const PANES: [Context; 6] = [
        Context::Customers,
        Context::Detail,
        Context::Duplicates,
        Context::Followups,
        Context::Imports,
        Context::Quality,
    ];

    /// The section name in a keymap file.
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Customers => "customers",
            Context::Detail => "detail",
            Context::Duplicates => "duplicates",
            Context::Followups => "followups",
            Context::Imports => "imports",
            Context::Quality => "quality",
            Context::Help => "help",
            Context::Log => "log",
            Context::Palette => "palette",
            Context::Filter => "filter",
            Context::Form => "form",
            Context::Confirm => "confirm",
        }
    }

    pub fn title(self) -> String {
        match self {
            Context::Global => tr!("context-global"),
            Context::Customers => tr!("context-customers"),
            Context::Detail => tr!("context-detail"),
            Context::Duplicates => tr!("context-duplicates"),
            Context::Followups => tr!("context-followups"),
            Context::Imports => tr!("context-imports"),
            Context::Quality => tr!("context-quality"),
            Context::Help => tr!("context-help"),
            Context::Log => tr!("context-log"),
            Context::Palette => tr!("context-palette"),
            Context::Filter => tr!("context-filter"),
            Context::Form => tr!("context-form"),
            Context::Confirm => tr!("context-confirm"),
        }
    }

    pub fn parse(name: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Whether typing goes to a text field here: only the context's own
    /// bindings apply, so `q` types a q instead of quitting.
    pub fn is_input(self) -> bool {
        matches!(self, Context::Palette | Context::Filter | Context::Form | Context::Confirm)
    }

    /// The lookup path when this context is the innermost one.
    pub fn path(self, pane: Context) -> Vec<Context> {
        match self {
            c if c.is_input() => vec![c],
            Context::Help | Context::Log => vec![self, pane, Context::Global],
            Context::Global => vec![Context::Global],
            pane => vec![pane, Context::Global],
        }
    }
}

/// Every lookup path the app can be on; conflicts are checked along each.
fn paths() -> Vec<Vec<Context>> {
    let mut out = Vec::new();
    for pane in Context::PANES {
        out.push(pane.path(pane));
        out.push(Context::Help.path(pane));
        out.push(Context::Log.path(pane));
    }
    for c in Context::ALL.into_iter().filter(|c| c.is_input()) {
        out.push(c.path(c));
    }
    out
}

/// One entry of a keymap file: alternatives that all do one action.
#[derive(Debug, Clone)]
pub struct Binding {
    pub keys: Vec<KeySeq>,
    pub action: Action,
    pub desc: String,
    /// The description in Chinese (`desc_zh`); help and hints show it when
    /// the interface is in Chinese, `desc` when a file gives none.
    pub desc_zh: Option<String>,
    /// The file it was written in (a user's overrides name their own file).
    pub file: Arc<str>,
    /// 1-based line in that file, for messages.
    pub line: usize,
}

impl Binding {
    /// `line 4`, or `FILE line 4` when `other` is in another file.
    fn at(&self, other: &Binding) -> String {
        if self.file == other.file {
            format!("line {}", self.line)
        } else {
            format!("{} line {}", self.file, self.line)
        }
    }
}

/// A problem found in a keymap: file, line, message.
type Problem = (Arc<str>, usize, String);

fn report(mut errors: Vec<Problem>) -> Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    errors.sort();
    errors.dedup();
    let lines: Vec<String> = errors.into_iter().map(|(f, l, m)| format!("{f} line {l}: {m}")).collect();
    Err(Error::Invalid(lines.join("\n")))
}

impl Binding {
    /// The description in the language in force.
    pub fn text(&self) -> &str {
        match (crate::i18n::lang(), &self.desc_zh) {
            (crate::i18n::Lang::Zh, Some(zh)) => zh,
            _ => &self.desc,
        }
    }

    /// All alternatives in keymap syntax: `j, <Down>`.
    pub fn keys_display(&self) -> String {
        self.keys.iter().map(|s| seq_to_string(s)).collect::<Vec<_>>().join(", ")
    }

    /// The first alternative, compact: `gg`, `↓`.
    pub fn short(&self) -> String {
        self.keys.first().map(|s| s.iter().map(|k| k.short()).collect::<String>()).unwrap_or_default()
    }
}

#[derive(Debug, Default, Clone)]
struct Node {
    action: Option<Action>,
    next: HashMap<Key, Node>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    Action(Action),
    Prefix,
    Miss,
}

impl Node {
    fn insert(&mut self, seq: &[Key], action: Action) {
        let mut node = self;
        for k in seq {
            node = node.next.entry(*k).or_default();
        }
        node.action = Some(action);
    }

    fn lookup(&self, seq: &[Key]) -> Lookup {
        let mut node = self;
        for k in seq {
            match node.next.get(k) {
                Some(n) => node = n,
                None => return Lookup::Miss,
            }
        }
        match node.action {
            Some(a) => Lookup::Action(a),
            None if node.next.is_empty() => Lookup::Miss,
            None => Lookup::Prefix,
        }
    }
}

/// What a key press amounted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Action(Action),
    /// The keys so far start a sequence; waiting for the next one.
    Pending,
    /// Nothing is bound to these keys (a pending prefix is dropped).
    Unbound(KeySeq),
}

#[derive(Debug, Clone)]
pub struct Keymap {
    source: String,
    sections: [Vec<Binding>; N],
    tries: [Node; N],
}

/// Sections by name; names are checked against `Context` so a typo is an
/// error with its line, not a silently ignored section.
type RawFile = std::collections::BTreeMap<String, RawSection>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    bindings: Vec<RawBinding>,
}

/// A binding as written, read field by field (not by serde) so that every
/// problem of every binding is reported, each with its line, not only the
/// first one serde meets.
type RawBinding = toml::Spanned<toml::Table>;

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

impl Keymap {
    /// Parses and checks a keymap. `source` names the file in messages.
    pub fn parse(source: &str, text: &str) -> Result<Keymap> {
        let (sections, mut errors) = read_sections(source, text)?;
        check_section_conflicts(&sections, &mut errors);
        check_path_conflicts(&sections, &mut errors);
        report(errors)?;
        Ok(Keymap::build(source.to_string(), sections))
    }

    fn build(source: String, sections: [Vec<Binding>; N]) -> Keymap {
        let mut tries: [Node; N] = Default::default();
        for ctx in Context::ALL {
            for b in &sections[ctx.index()] {
                for seq in &b.keys {
                    tries[ctx.index()].insert(seq, b.action);
                }
            }
        }
        Keymap { source, sections, tries }
    }

    /// This keymap with a user's file laid over it: each binding there
    /// replaces the keymap's binding of the same action in the same section
    /// (or adds one), and takes its keys away from any other action of that
    /// section. The result is checked as a whole; problems name the file
    /// and line they come from.
    pub fn with_overrides(&self, source: &str, text: &str) -> Result<Keymap> {
        let (user, mut errors) = read_sections(source, text)?;
        check_section_conflicts(&user, &mut errors);
        report(errors)?;
        let mut sections = self.sections.clone();
        for ctx in Context::ALL {
            let mine = &user[ctx.index()];
            if mine.is_empty() {
                continue;
            }
            let taken: Vec<&KeySeq> = mine.iter().flat_map(|b| &b.keys).collect();
            let section = &mut sections[ctx.index()];
            section.retain(|b| !mine.iter().any(|m| m.action == b.action));
            for b in section.iter_mut() {
                b.keys.retain(|k| !taken.contains(&k));
            }
            section.retain(|b| !b.keys.is_empty());
            section.extend(mine.iter().cloned());
        }
        let mut errors = Vec::new();
        check_section_conflicts(&sections, &mut errors);
        check_path_conflicts(&sections, &mut errors);
        report(errors)?;
        Ok(Keymap::build(format!("{} + {source}", self.source), sections))
    }

    /// The file the keymap came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn bindings(&self, ctx: Context) -> &[Binding] {
        &self.sections[ctx.index()]
    }

    /// Resolves one key press along `path` (most specific context first),
    /// given the keys already pending. Updates `pending`.
    pub fn resolve(&self, path: &[Context], pending: &mut KeySeq, key: Key) -> Resolution {
        pending.push(key);
        for ctx in path {
            match self.tries[ctx.index()].lookup(pending) {
                Lookup::Action(a) => {
                    pending.clear();
                    return Resolution::Action(a);
                }
                Lookup::Prefix => return Resolution::Pending,
                Lookup::Miss => {}
            }
        }
        Resolution::Unbound(std::mem::take(pending))
    }

    /// The bindings reachable on `path`, one per action, the most specific
    /// context winning: what the status bar hints at. A key that a more
    /// specific context takes for itself is dropped from the others (under
    /// help `q` closes help, so `q` is not offered as Quit); a binding left
    /// without keys is not reachable at all.
    pub fn reachable(&self, path: &[Context]) -> Vec<Binding> {
        let mut seen: Vec<Action> = Vec::new();
        let mut out = Vec::new();
        for (i, ctx) in path.iter().enumerate() {
            for b in self.bindings(*ctx) {
                if seen.contains(&b.action) {
                    continue;
                }
                let keys: Vec<KeySeq> = self.free_keys(&path[..i], b).cloned().collect();
                if keys.is_empty() {
                    continue;
                }
                seen.push(b.action);
                out.push(Binding { keys, ..b.clone() });
            }
        }
        out
    }

    /// The keys of `b` that none of the more specific contexts `before` it
    /// takes for itself (the same key, or one a prefix of the other).
    fn free_keys<'a>(&'a self, before: &'a [Context], b: &'a Binding) -> impl Iterator<Item = &'a KeySeq> + 'a {
        b.keys.iter().filter(move |k| {
            !before
                .iter()
                .flat_map(|c| self.bindings(*c))
                .flat_map(|o| &o.keys)
                .any(|t| k.starts_with(t) || t.starts_with(k))
        })
    }

    /// The key that runs `action` on `path`, compact (`u`, `C-o`), if any:
    /// `reachable`'s answer for one action, without building the whole list
    /// (status bar and panes ask for every frame).
    pub fn key_for(&self, path: &[Context], action: Action) -> Option<String> {
        path.iter()
            .enumerate()
            .flat_map(|(i, ctx)| self.bindings(*ctx).iter().filter(move |b| b.action == action).map(move |b| (i, b)))
            .find_map(|(i, b)| self.free_keys(&path[..i], b).next())
            .map(|seq| seq.iter().map(|k| k.short()).collect())
    }

    /// An action as a user meets it in a message: the key bound on `path`
    /// and the action's title, `u Undo the last merge`. Without a key there,
    /// the title and the palette key that finds it: `: Undo the last merge`.
    /// Never the internal action name.
    pub fn key_title(&self, path: &[Context], action: Action) -> String {
        match self.key_for(path, action) {
            Some(k) => format!("{k} {}", action.title()),
            None => match self.key_for(&[Context::Global], Action::PaletteOpen) {
                Some(p) => format!("{p} {}", action.title()),
                None => action.title(),
            },
        }
    }

    /// What can follow the keys typed so far on `path`: the rest of each
    /// sequence (compact) with its binding, most specific context first.
    pub fn continuations(&self, path: &[Context], pending: &[Key]) -> Vec<(String, Binding)> {
        let mut out: Vec<(String, Binding)> = Vec::new();
        if pending.is_empty() {
            return out;
        }
        for b in self.reachable(path) {
            for seq in &b.keys {
                if seq.len() > pending.len() && seq.starts_with(pending) {
                    let rest: String = seq[pending.len()..].iter().map(|k| k.short()).collect();
                    if !out.iter().any(|(r, _)| *r == rest) {
                        out.push((rest, b.clone()));
                    }
                }
            }
        }
        out
    }
}

/// Reads a keymap file's sections, collecting every problem with its line.
/// Only TOML that cannot be read at all is an error at once.
fn read_sections(source: &str, text: &str) -> Result<([Vec<Binding>; N], Vec<Problem>)> {
    let file: Arc<str> = Arc::from(source);
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| format!(" line {}", line_of(text, s.start))).unwrap_or_default();
        Error::Invalid(format!("{source}{at}: {}", e.message().trim_end()))
    })?;
    let mut errors: Vec<Problem> = Vec::new();
    let mut err = |line: usize, m: String| errors.push((Arc::clone(&file), line, m));
    let mut sections: [Vec<Binding>; N] = Default::default();
    for (name, raw_section) in raw {
        let Some(ctx) = Context::parse(&name) else {
            let at = text.find(&format!("[{name}]")).map(|o| line_of(text, o)).unwrap_or(1);
            let known: Vec<&str> = Context::ALL.iter().map(|c| c.name()).collect();
            err(at, format!("unknown section [{name}] (sections: {})", known.join(", ")));
            continue;
        };
        for rb in raw_section.bindings {
            let line = line_of(text, rb.span().start);
            let rb = rb.into_inner();
            for field in rb.keys().filter(|k| !["keys", "action", "desc", "desc_zh"].contains(&k.as_str())) {
                err(line, format!("unknown field `{field}`: a binding has keys, action, desc and desc_zh"));
            }
            let string = |name: &str, err: &mut dyn FnMut(usize, String)| match rb.get(name) {
                Some(toml::Value::String(s)) => Some(s.clone()),
                Some(_) => {
                    err(line, format!("{name} must be a string"));
                    None
                }
                None => {
                    err(line, format!("missing {name}: a binding has keys, action and desc"));
                    None
                }
            };
            let action_text = string("action", &mut err);
            let desc = string("desc", &mut err);
            let desc_zh = match rb.get("desc_zh") {
                Some(toml::Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Some(_) => {
                    err(line, "desc_zh must be a non-empty string".into());
                    None
                }
                None => None,
            };
            let action = action_text.as_deref().and_then(Action::parse);
            if let (Some(text), None) = (&action_text, action) {
                let known: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                err(line, format!("unknown action `{text}` (known actions: {})", known.join(", ")));
            }
            if desc.as_deref().is_some_and(|d| d.trim().is_empty()) {
                err(line, "empty desc: help and the status bar show it".into());
            }
            let Some(keys_value) = rb.get("keys") else {
                err(line, "missing keys: a binding has keys, action and desc".into());
                continue;
            };
            let keys_line = line;
            let written: Vec<&str> = match keys_value {
                toml::Value::String(s) => vec![s.as_str()],
                toml::Value::Array(items) if !items.is_empty() && items.iter().all(|v| v.is_str()) => {
                    items.iter().filter_map(|v| v.as_str()).collect()
                }
                _ => {
                    err(keys_line, "keys must be a string or a non-empty list of strings".into());
                    continue;
                }
            };
            let mut keys = Vec::new();
            for w in written {
                match parse_seq(w) {
                    Ok(seq) => keys.push(seq),
                    Err(e) => err(keys_line, e),
                }
            }
            if let Some(action) = action {
                sections[ctx.index()].push(Binding {
                    keys,
                    action,
                    desc: desc.unwrap_or_default().trim().to_string(),
                    desc_zh,
                    file: Arc::clone(&file),
                    line: keys_line,
                });
            }
        }
    }
    Ok((sections, errors))
}

/// Every key sequence of a section with the binding it belongs to.
fn seqs(bindings: &[Binding]) -> Vec<(&KeySeq, &Binding)> {
    bindings.iter().flat_map(|b| b.keys.iter().map(move |s| (s, b))).collect()
}

/// The later of two bindings (where a problem is reported) first.
fn later<'b>(a: &'b Binding, b: &'b Binding) -> (&'b Binding, &'b Binding) {
    if (&a.file, a.line) >= (&b.file, b.line) {
        (a, b)
    } else {
        (b, a)
    }
}

fn is_strict_prefix(a: &[Key], b: &[Key]) -> bool {
    a.len() < b.len() && b.starts_with(a)
}

fn check_section_conflicts(sections: &[Vec<Binding>; N], errors: &mut Vec<Problem>) {
    for ctx in Context::ALL {
        let all = seqs(&sections[ctx.index()]);
        for (i, (a, ba)) in all.iter().enumerate() {
            for (b, bb) in &all[..i] {
                if a == b {
                    errors.push((
                        Arc::clone(&ba.file),
                        ba.line,
                        format!("`{}` is bound twice in [{}] (also on {})", seq_to_string(a), ctx.name(), bb.at(ba)),
                    ));
                } else if is_strict_prefix(a, b) || is_strict_prefix(b, a) {
                    let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
                    let (last, first) = later(ba, bb);
                    errors.push((
                        Arc::clone(&last.file),
                        last.line,
                        format!(
                            "`{}` is a binding and also the start of `{}` in [{}] ({} and {}); \
                             with no timeout the longer one could never be typed",
                            seq_to_string(short),
                            seq_to_string(long),
                            ctx.name(),
                            first.at(last),
                            last.at(last)
                        ),
                    ));
                }
            }
        }
    }
}

fn check_path_conflicts(sections: &[Vec<Binding>; N], errors: &mut Vec<Problem>) {
    let mut pairs: Vec<(Context, Context)> = Vec::new();
    for path in paths() {
        for (i, a) in path.iter().enumerate() {
            for b in &path[i + 1..] {
                if !pairs.contains(&(*a, *b)) {
                    pairs.push((*a, *b));
                }
            }
        }
    }
    for (ca, cb) in pairs {
        for (a, ba) in seqs(&sections[ca.index()]) {
            for (b, bb) in seqs(&sections[cb.index()]) {
                if is_strict_prefix(a, b) || is_strict_prefix(b, a) {
                    let ((short, cs), (long, cl)) =
                        if a.len() < b.len() { ((a, ca), (b, cb)) } else { ((b, cb), (a, ca)) };
                    let (last, first) = later(ba, bb);
                    errors.push((
                        Arc::clone(&last.file),
                        last.line,
                        format!(
                            "`{}` in [{}] is a binding and also the start of `{}` in [{}] ({} and {}); \
                             both apply at once, and with no timeout the longer one could never be typed",
                            seq_to_string(short),
                            cs.name(),
                            seq_to_string(long),
                            cl.name(),
                            first.at(last),
                            last.at(last)
                        ),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(c: char) -> Key {
        Key::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    fn err(text: &str) -> String {
        Keymap::parse("test.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn default_keymap_loads() {
        let km = load_keymap(None).unwrap();
        assert_eq!(km.source(), "keymaps/default.toml");
        assert!(!km.bindings(Context::Global).is_empty());
        for ctx in Context::ALL {
            assert!(!km.bindings(ctx).is_empty(), "{} has no bindings", ctx.name());
        }
        assert!(load_keymap(Some("default")).is_ok());
    }

    #[test]
    fn keys_parse_and_print_back() {
        for (written, shown) in [
            ("j", "j"),
            ("G", "G"),
            ("<C-c>", "<C-c>"),
            ("<C-C>", "<C-c>"),
            ("<A-x>", "<A-x>"),
            ("<S-Tab>", "<S-Tab>"),
            ("<BackTab>", "<S-Tab>"),
            ("<space>", "<Space>"),
            ("<Esc>", "<Esc>"),
            ("<PageDown>", "<PageDown>"),
            ("<F5>", "<F5>"),
            ("<S-a>", "A"),
            ("<C-->", "<C-->"),
            ("<lt>", "<lt>"),
            ("<", "<lt>"),
            ("?", "?"),
            ("客", "客"),
        ] {
            assert_eq!(Key::parse(written).unwrap().to_string(), shown, "{written}");
        }
        assert_eq!(parse_seq("g  g").unwrap(), vec![k('g'), k('g')]);
        assert!(Key::parse("gg").unwrap_err().contains("malformed key `gg`"));
        assert!(Key::parse("<Bogus>").unwrap_err().contains("unknown key name"));
        assert!(Key::parse("<X-a>").unwrap_err().contains("unknown modifier"));
        assert!(Key::parse("<F99>").unwrap_err().contains("F24"));
        assert!(parse_seq("  ").is_err());
    }

    #[test]
    fn events_normalise_like_files() {
        let shifted_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&shifted_g), Key::parse("G").unwrap());
        let backtab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&backtab), Key::parse("<S-Tab>").unwrap());
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(Key::from_event(&ctrl_c), Key::parse("<C-c>").unwrap());
    }

    #[test]
    fn sequences_wait_without_timeout_and_cancel_on_a_miss() {
        let km = Keymap::parse(
            "t.toml",
            r#"
[global]
bindings = [
  { keys = "q", action = "app.quit", desc = "Quit" },
]
[customers]
bindings = [
  { keys = ["g g", "<Home>"], action = "cursor.top", desc = "Top" },
  { keys = "j", action = "cursor.down", desc = "Down" },
]
"#,
        )
        .unwrap();
        let path = [Context::Customers, Context::Global];
        let mut pending = Vec::new();
        assert_eq!(km.resolve(&path, &mut pending, k('g')), Resolution::Pending);
        assert_eq!(pending, vec![k('g')]);
        assert_eq!(km.resolve(&path, &mut pending, k('g')), Resolution::Action(Action::Top));
        assert!(pending.is_empty());
        km.resolve(&path, &mut pending, k('g'));
        assert_eq!(km.resolve(&path, &mut pending, k('x')), Resolution::Unbound(vec![k('g'), k('x')]));
        assert!(pending.is_empty());
        assert_eq!(km.resolve(&path, &mut pending, k('q')), Resolution::Action(Action::Quit));
        assert_eq!(
            km.resolve(&[Context::Detail, Context::Global], &mut pending, k('j')),
            Resolution::Unbound(vec![k('j')])
        );
    }

    #[test]
    fn unknown_action_names_line() {
        let e = err("[global]\nbindings = [\n  { keys = \"j\", action = \"cursor.dwn\", desc = \"Down\" },\n]\n");
        assert!(e.contains("test.toml line 3"), "{e}");
        assert!(e.contains("unknown action `cursor.dwn`"), "{e}");
    }

    #[test]
    fn malformed_key_names_line() {
        let e = err("[customers]\nbindings = [\n  { keys = [\"j\", \"<Dwn>\"], action = \"cursor.down\", desc = \"Down\" },\n]\n");
        assert!(e.contains("test.toml line 3"), "{e}");
        assert!(e.contains("malformed key `<Dwn>`"), "{e}");
        let e = err("[customers]\nbindings = [\n  { keys = \"gg\", action = \"cursor.top\", desc = \"Top\" },\n]\n");
        assert!(e.contains("line 3") && e.contains("separate the keys of a sequence"), "{e}");
        let e = err("[customers]\nbindings = [\n  { keys = 7, action = \"cursor.top\", desc = \"Top\" },\n]\n");
        assert!(e.contains("line 3") && e.contains("keys must be"), "{e}");
    }

    #[test]
    fn duplicate_in_section_names_both_lines() {
        let e = err(r#"[detail]
bindings = [
  { keys = "j", action = "cursor.down", desc = "Down" },
  { keys = ["k", "j"], action = "cursor.up", desc = "Up" },
]
"#);
        assert!(e.contains("test.toml line 4: `j` is bound twice in [detail] (also on line 3)"), "{e}");
    }

    #[test]
    fn binding_that_is_a_prefix_is_an_error() {
        let e = err(r#"[customers]
bindings = [
  { keys = "g", action = "cursor.top", desc = "Top" },
  { keys = "g g", action = "cursor.bottom", desc = "Bottom" },
]
"#);
        assert!(e.contains("line 4") && e.contains("`g` is a binding and also the start of `g g`"), "{e}");
        // Across contexts on one lookup path too: the pane's `g` would hide global `g g`.
        let e = err(r#"[global]
bindings = [
  { keys = "g g", action = "cursor.top", desc = "Top" },
]
[detail]
bindings = [
  { keys = "g", action = "focus.list", desc = "List" },
]
"#);
        assert!(e.contains("line 7") && e.contains("`g` in [detail]") && e.contains("`g g` in [global]"), "{e}");
        // The same sequence in two contexts is an override, not a conflict.
        Keymap::parse(
            "t.toml",
            "[global]\nbindings = [{ keys = \"q\", action = \"app.quit\", desc = \"Quit\" }]\n\
             [help]\nbindings = [{ keys = \"q\", action = \"help.close\", desc = \"Close\" }]\n",
        )
        .unwrap();
    }

    #[test]
    fn toml_errors_name_line() {
        let e = err("[global]\nbindings = [\n  { keys = \"j\", action = \"cursor.down\" },\n]\n");
        assert!(e.contains("test.toml line 3") && e.contains("desc"), "{e}");
        let e = err("[global]\nbindings = [\n  { keys = \"j\" action = \"x\" },\n]\n");
        assert!(e.contains("test.toml line 3"), "{e}");
        let e = err("[global]\nbindings = []\n[typo]\nbindings = []\n");
        assert!(e.contains("test.toml line 3") && e.contains("typo"), "{e}");
    }

    #[test]
    fn load_reports_unknown_names_and_missing_files() {
        let e = load_keymap(Some("emacs")).unwrap_err().to_string();
        assert!(e.contains("no built-in keymap named `emacs`"), "{e}");
        let e = load_keymap(Some("/nonexistent/keys.toml")).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/keys.toml"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mine.toml");
        std::fs::write(
            &p,
            "[global]\nbindings = [\n\n { keys = \"<Nope>\", action = \"app.quit\", desc = \"Q\" },\n]\n",
        )
        .unwrap();
        let e = load_keymap(p.to_str()).unwrap_err().to_string();
        assert!(e.contains(&format!("{} line 4", p.display())), "{e}");
    }

    #[test]
    fn key_for_answers_as_reachable_does() {
        for name in ["default", "vim"] {
            let km = load_keymap(Some(name)).unwrap();
            let mut paths = paths();
            paths.extend(Context::ALL.map(|c| vec![c]));
            for path in &paths {
                let reachable = km.reachable(path);
                for &a in Action::ALL.iter() {
                    let want = reachable.iter().find(|b| b.action == a).map(|b| b.short());
                    assert_eq!(km.key_for(path, a), want, "{name} {path:?} {a}");
                }
            }
        }
    }

    #[test]
    fn vim_keymap_loads_with_vim_keys() {
        let km = load_keymap(Some("vim")).unwrap();
        let mut pending = Vec::new();
        let path = Context::Customers.path(Context::Customers);
        assert_eq!(km.resolve(&path, &mut pending, k('g')), Resolution::Pending);
        assert_eq!(km.resolve(&path, &mut pending, k('t')), Resolution::Action(Action::PaneNext));
        assert_eq!(
            km.resolve(&path, &mut pending, Key::parse("<C-d>").unwrap()),
            Resolution::Action(Action::HalfPageDown)
        );
        assert_eq!(km.resolve(&path, &mut pending, k('v')), Resolution::Action(Action::MarkToggle));
        for ctx in Context::ALL {
            assert!(!km.bindings(ctx).is_empty(), "{} has no bindings", ctx.name());
        }
    }

    #[test]
    fn user_overrides_replace_single_bindings_and_name_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("keymap.toml");
        // Quit moves to `x`; `j` is given to another action, so cursor.down keeps only <Down>.
        std::fs::write(
            &user,
            "[global]\nbindings = [{ keys = \"x\", action = \"app.quit\", desc = \"Leave\" }]\n\
             [customers]\nbindings = [{ keys = \"j\", action = \"cursor.bottom\", desc = \"Jump to end\" }]\n",
        )
        .unwrap();
        let km = load_with_user(None, Some(&user)).unwrap();
        assert!(km.source().ends_with("keymap.toml"), "{}", km.source());
        let path = Context::Customers.path(Context::Customers);
        let mut p = Vec::new();
        assert_eq!(km.resolve(&path, &mut p, k('x')), Resolution::Action(Action::Quit));
        assert!(matches!(km.resolve(&path, &mut p, k('q')), Resolution::Unbound(_)), "q no longer quits");
        assert_eq!(km.resolve(&path, &mut p, k('j')), Resolution::Action(Action::Bottom));
        let down = km.bindings(Context::Customers).iter().find(|b| b.action == Action::CursorDown).unwrap();
        assert_eq!(down.keys_display(), "<Down>");
        // Everything else is the default's.
        assert_eq!(km.resolve(&path, &mut p, k('s')), Resolution::Action(Action::SortNext));
        // No user file: the plain keymap.
        assert!(load_with_user(Some("vim"), Some(&dir.path().join("none.toml"))).is_ok());

        // A conflict created by the override names the user's file and line.
        std::fs::write(
            &user,
            "[customers]\nbindings = [\n  { keys = \"f\", action = \"sort.next\", desc = \"Sort\" },\n]\n",
        )
        .unwrap();
        let e = load_with_user(None, Some(&user)).unwrap_err().to_string();
        assert!(
            e.contains(&format!("{} line 3", user.display()))
                && e.contains("`f` is a binding and also the start of `f m`"),
            "{e}"
        );
        assert!(e.contains("keymaps/default.toml line"), "the other binding is named with its file: {e}");
    }
}
