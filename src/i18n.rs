//! The interface's language: Simplified Chinese or English.
//!
//! Every word the workbench says to a person comes from one message
//! catalogue, `locales/{en,zh}.ftl` (Fluent), compiled into the binary.
//! Machine output (`--json`, CSV headers, exit codes) is never translated.
//!
//! Which language: `--lang zh|en`, else `lang` in the config file
//! ([`config_path`]), else the locale variables `LC_ALL`, `LC_MESSAGES`,
//! `LANG` (the first one set and not empty; `zh…` means Chinese, anything
//! else English). [`resolve`] is the one place that decides it.
//!
//! The language in force is process-wide ([`set_lang`]); a thread may pin
//! its own ([`set_thread_lang`]), which is how tests render both languages
//! side by side without depending on the machine's `LANG`.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

pub use fluent_bundle::FluentArgs as Args;

/// The catalogues, by language.
pub const CATALOGUES: &[(Lang, &str)] =
    &[(Lang::En, include_str!("../locales/en.ftl")), (Lang::Zh, include_str!("../locales/zh.ftl"))];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// `zh`, `en`, or a locale name (`zh_CN.UTF-8`, `en_US`, `C`): a name
    /// starting with `zh` is Chinese; `None` for an empty string.
    pub fn from_locale(s: &str) -> Option<Lang> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        Some(if s.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("zh")) { Lang::Zh } else { Lang::En })
    }

    /// What `--lang` and the config file accept: exactly `zh` or `en` (any case).
    pub fn parse_choice(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    fn index(self) -> usize {
        match self {
            Lang::En => 0,
            Lang::Zh => 1,
        }
    }
}

/// Decides the language: the `--lang` flag, else the config file's `lang`,
/// else `LC_ALL`, `LC_MESSAGES`, `LANG` (as `env` reports them), else English.
pub fn resolve(flag: Option<Lang>, config: Option<Lang>, env: impl Fn(&str) -> Option<String>) -> Lang {
    flag.or(config)
        .or_else(|| ["LC_ALL", "LC_MESSAGES", "LANG"].iter().find_map(|v| env(v).and_then(|s| Lang::from_locale(&s))))
        .unwrap_or(Lang::En)
}

/// The config file: `config.toml` in the platform config directory
/// (`$CRMWB_CONFIG_FILE` instead, when set), beside `keymap.toml`.
pub fn config_path() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("CRMWB_CONFIG_FILE").filter(|v| !v.is_empty()) {
        return Some(p.into());
    }
    directories::ProjectDirs::from("", "", "crm-workbench").map(|d| d.config_dir().join("config.toml"))
}

/// The `lang` setting of a config file's text: `Ok(None)` when it has none.
pub fn config_lang(text: &str) -> Result<Option<Lang>, String> {
    #[derive(serde::Deserialize)]
    struct Config {
        lang: Option<String>,
    }
    let c: Config = toml::from_str(text).map_err(|e| e.to_string())?;
    match c.lang {
        None => Ok(None),
        Some(l) => Lang::parse_choice(&l).map(Some).ok_or_else(|| format!("lang = \"{l}\": say \"zh\" or \"en\"")),
    }
}

static GLOBAL: AtomicU8 = AtomicU8::new(0);

thread_local! {
    static THREAD: Cell<Option<Lang>> = const { Cell::new(None) };
}

/// Sets the language of the whole process (the CLI does, once, at start).
pub fn set_lang(lang: Lang) {
    GLOBAL.store(lang.index() as u8, Ordering::Relaxed);
}

/// Pins this thread's language (tests), over the process-wide one.
pub fn set_thread_lang(lang: Lang) {
    THREAD.with(|t| t.set(Some(lang)));
}

/// The language in force on this thread.
pub fn lang() -> Lang {
    THREAD.with(|t| t.get()).unwrap_or(if GLOBAL.load(Ordering::Relaxed) == 1 { Lang::Zh } else { Lang::En })
}

fn bundles() -> &'static [FluentBundle<FluentResource>; 2] {
    static B: OnceLock<[FluentBundle<FluentResource>; 2]> = OnceLock::new();
    B.get_or_init(|| {
        Lang::ALL.map(|lang| {
            let text = CATALOGUES.iter().find(|(l, _)| *l == lang).expect("a catalogue per language").1;
            let id: unic_langid::LanguageIdentifier = lang.code().parse().expect("a language id");
            let mut b = FluentBundle::new_concurrent(vec![id]);
            // Isolation marks (U+2068/U+2069) would count as columns in a terminal.
            b.set_use_isolating(false);
            let res = FluentResource::try_new(text.to_string()).unwrap_or_else(|(r, _)| r);
            let _ = b.add_resource(res);
            b
        })
    })
}

/// Whether the catalogue has a message `id` (in English, the reference).
pub fn has(id: &str) -> bool {
    bundles()[0].has_message(id)
}

/// The message `id` in `lang`, English when that language lacks it, the id
/// itself when neither has it (a test makes sure none is missing).
pub fn message_in(lang: Lang, id: &str, args: Option<&FluentArgs>) -> String {
    let all = bundles();
    for b in [&all[lang.index()], &all[0]] {
        if let Some(p) = b.get_message(id).and_then(|m| m.value()) {
            let mut errors = vec![];
            return b.format_pattern(p, args, &mut errors).into_owned();
        }
    }
    id.to_string()
}

/// The message `id` in the language in force.
pub fn message(id: &str, args: Option<&FluentArgs>) -> String {
    message_in(lang(), id, args)
}

/// A value code shown to people (`company`, `call`, `review`…) in the
/// language in force: `value-{kind}-{code}` from the catalogue, the code
/// itself when the catalogue does not know it.
pub fn value(kind: &str, code: &str) -> String {
    let id = format!("value-{kind}-{code}");
    if has(&id) {
        message(&id, None)
    } else {
        code.to_string()
    }
}

/// Items joined as a list in the language in force (`a, b` / `a、b`).
pub fn join<S: AsRef<str>>(items: &[S]) -> String {
    let sep = message("list-sep", None);
    items.iter().map(|s| s.as_ref()).collect::<Vec<_>>().join(&sep)
}

/// A customer field's stored value as people read it: the customer kind's
/// code (`company`) through the catalogue, everything else as it is.
pub fn field_value(field: crate::domain::Field, v: &str) -> String {
    match field {
        crate::domain::Field::Kind => value("kind", v),
        _ => v.to_string(),
    }
}

/// `tr!("id")` or `tr!("id", name = value, …)`: a catalogue message in the
/// language in force.
#[macro_export]
macro_rules! tr {
    ($id:literal) => {
        $crate::i18n::message($id, None)
    };
    ($id:literal, $($k:ident = $v:expr),+ $(,)?) => {{
        let mut args = $crate::i18n::Args::new();
        $( args.set(stringify!($k), $v); )+
        $crate::i18n::message($id, Some(&args))
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use fluent_syntax::ast::Entry;
    use std::collections::BTreeSet;

    fn ids(text: &str) -> BTreeSet<String> {
        let res = fluent_syntax::parser::parse(text).unwrap_or_else(|(_, errs)| panic!("catalogue errors: {errs:?}"));
        res.body
            .iter()
            .filter_map(|e| match e {
                Entry::Message(m) => Some(m.id.name.to_string()),
                Entry::Term(t) => Some(format!("-{}", t.id.name)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_message_exists_in_both_languages() {
        let en = ids(CATALOGUES[0].1);
        let zh = ids(CATALOGUES[1].1);
        let only_en: Vec<_> = en.difference(&zh).collect();
        let only_zh: Vec<_> = zh.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in zh.ftl: {only_en:?}");
        assert!(only_zh.is_empty(), "missing in en.ftl: {only_zh:?}");
        assert!(en.len() > 100);
    }

    /// The variables a message uses, by id: both languages take the same,
    /// except a plural count that Chinese does not need to say.
    fn variables(text: &str) -> std::collections::BTreeMap<String, BTreeSet<String>> {
        use fluent_syntax::ast::{Expression, InlineExpression, Pattern, PatternElement};
        fn inline(e: &InlineExpression<&str>, out: &mut BTreeSet<String>) {
            match e {
                InlineExpression::VariableReference { id } => {
                    out.insert(id.name.to_string());
                }
                InlineExpression::Placeable { expression } => expr(expression, out),
                _ => {}
            }
        }
        fn expr(e: &Expression<&str>, out: &mut BTreeSet<String>) {
            match e {
                Expression::Inline(i) => inline(i, out),
                Expression::Select { selector, variants } => {
                    inline(selector, out);
                    for v in variants {
                        pattern(&v.value, out);
                    }
                }
            }
        }
        fn pattern(p: &Pattern<&str>, out: &mut BTreeSet<String>) {
            for el in &p.elements {
                if let PatternElement::Placeable { expression } = el {
                    expr(expression, out);
                }
            }
        }
        let res = fluent_syntax::parser::parse(text).unwrap_or_else(|(_, errs)| panic!("catalogue errors: {errs:?}"));
        let mut all = std::collections::BTreeMap::new();
        for e in &res.body {
            if let Entry::Message(m) = e {
                let mut vars = BTreeSet::new();
                if let Some(p) = &m.value {
                    pattern(p, &mut vars);
                }
                all.insert(m.id.name.to_string(), vars);
            }
        }
        all
    }

    #[test]
    fn both_languages_take_the_same_variables() {
        let (en, zh) = (variables(CATALOGUES[0].1), variables(CATALOGUES[1].1));
        let differ: Vec<_> = en
            .iter()
            .filter(|(id, v)| {
                zh.get(*id).is_some_and(|z| !z.is_subset(v) || v.difference(z).any(|only_en| only_en != "n"))
            })
            .collect();
        assert!(differ.is_empty(), "variables differ between en.ftl and zh.ftl: {differ:?}");
    }

    #[test]
    fn every_id_the_code_uses_is_in_the_catalogue() {
        let mut missing = vec![];
        let mut checked = 0;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("i18n.rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    // `tr!("id"`, also with the id on the next line (rustfmt).
                    for (at, _) in text.match_indices("tr!(") {
                        if text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                            continue; // include_str!, not tr!
                        }
                        let Some(rest) = text[at + 4..].trim_start().strip_prefix('"') else { continue };
                        let id = &rest[..rest.find('"').unwrap()];
                        checked += 1;
                        if !has(id) {
                            missing.push(format!("{}: {id}", p.display()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "ids not in the catalogue: {missing:?}");
        assert!(checked > 400, "only {checked} uses of tr! found");
    }

    #[test]
    fn messages_format_without_isolation_marks() {
        let mut a = Args::new();
        a.set("n", 3);
        assert_eq!(message_in(Lang::Zh, "pane-customers", None), "客户");
        let s = message_in(Lang::En, "pane-customers", Some(&a));
        assert!(!s.contains('\u{2068}') && !s.contains('\u{2069}'));
    }

    #[test]
    fn precedence_flag_config_lc_all_lc_messages_lang() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        let all = env(&[("LC_ALL", "en_US.UTF-8"), ("LC_MESSAGES", "zh_CN.UTF-8"), ("LANG", "zh_CN.UTF-8")]);
        assert_eq!(resolve(Some(Lang::Zh), Some(Lang::En), all), Lang::Zh, "the flag wins");
        assert_eq!(resolve(None, Some(Lang::Zh), all), Lang::Zh, "then the config file");
        assert_eq!(resolve(None, None, all), Lang::En, "then LC_ALL");
        let msgs = env(&[("LC_ALL", ""), ("LC_MESSAGES", "zh_TW.UTF-8"), ("LANG", "en_GB.UTF-8")]);
        assert_eq!(resolve(None, None, msgs), Lang::Zh, "an empty LC_ALL does not count; LC_MESSAGES next");
        assert_eq!(resolve(None, None, env(&[("LANG", "zh_CN.GB18030")])), Lang::Zh, "then LANG");
        assert_eq!(resolve(None, None, env(&[("LANG", "C.UTF-8")])), Lang::En);
        assert_eq!(resolve(None, None, env(&[])), Lang::En, "nothing set: English");
    }

    #[test]
    fn choices_and_config() {
        assert_eq!(Lang::parse_choice("ZH"), Some(Lang::Zh));
        assert_eq!(Lang::parse_choice("zh_CN"), None);
        assert_eq!(config_lang("lang = \"zh\"\n"), Ok(Some(Lang::Zh)));
        assert_eq!(config_lang("# nothing\n"), Ok(None));
        assert!(config_lang("lang = \"fr\"").unwrap_err().contains("\"zh\" or \"en\""));
    }

    #[test]
    fn a_thread_pins_its_own_language() {
        set_thread_lang(Lang::Zh);
        assert_eq!(tr!("pane-customers"), "客户");
        set_thread_lang(Lang::En);
        assert_eq!(tr!("pane-customers"), "Customers");
    }
}
