//! Modal forms: prompts (a few text fields whose values go back to the pane
//! that asked) and, built on the same fields, the record editors (a
//! customer, a new customer, a contact, an interaction, a status change, an
//! owner). Editors judge values by the shared rules of `domain::validate`
//! as the user leaves a field and, through the service, on save; they save
//! only through `Workbench` methods, which check rights, versions and audit.

use super::action::Action;
use super::input::TextInput;
use super::keymap::{Context, Keymap};
use super::pane::PaneId;
use super::view::Theme;
use crate::clean::industry::SECTIONS;
use crate::display::{fit, sanitize, truncate, width};
use crate::domain::validate::{normalize_field, RULES};
use crate::domain::{Customer, CustomerKind, Field, FieldType, InteractionKind, Priority, Status};
use crate::error::{Error, Result};
use crate::service::{edit_permission, NewInteraction, Permission, PossibleDuplicate, Subject, Workbench};
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use ratatui::Frame;
use std::cell::Cell;

/// How a value typed into a field is judged as the user leaves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Free text, or judged only by the service on save.
    Free,
    /// The import's rule for this golden field (`normalize_field`).
    Rule(Field),
    /// One of the kinds a person logs (`interaction.kind`).
    InteractionKind,
}

/// Why a field cannot be changed in this form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lock {
    /// A value this user may not see: shown masked. Says why.
    Hidden(String),
    /// Shown, but this user may not change it. Says why.
    ReadOnly(String),
}

/// Newlines of multi-line values (notes) in the one-line editor: shown as
/// this mark and turned back into line breaks on save.
const LINE_MARK: &str = " ⏎ ";

fn to_line(v: &str) -> String {
    v.split('\n').map(str::trim_end).collect::<Vec<_>>().join(LINE_MARK)
}

fn from_line(v: &str) -> String {
    v.split('⏎').map(str::trim).collect::<Vec<_>>().join("\n")
}

pub(crate) struct FormField {
    pub label: String,
    pub input: TextInput,
    /// An inline message under the field: a refused value, with its rule.
    pub error: Option<String>,
    /// A warning under the field: saving needs a second save.
    pub warning: Option<String>,
    /// The service's name for the value (`mobile`, `reason`, …).
    key: &'static str,
    /// The customer field it shows, when it shows one: reloaded when
    /// someone else changed the customer.
    golden: Option<Field>,
    check: Check,
    /// The value it opened with: what "unsaved changes" compares with.
    original: String,
    /// The values `form.option` cycles through.
    options: Vec<String>,
    /// Shown while the field is focused: its allowed values or its rule.
    hint: String,
    lock: Option<Lock>,
    /// Saving with it empty is refused in the form (the service would too).
    required: bool,
}

impl FormField {
    fn new(key: &'static str, label: &str, value: &str) -> FormField {
        let input = TextInput::new(value);
        FormField {
            label: label.to_string(),
            original: input.text().to_string(),
            input,
            error: None,
            warning: None,
            key,
            golden: None,
            check: Check::Free,
            options: Vec::new(),
            hint: String::new(),
            lock: None,
            required: false,
        }
    }

    fn with_check(mut self, check: Check) -> FormField {
        self.check = check;
        if let Check::Rule(f) = check {
            if let Some(desc) = rule_of(f).and_then(rule_desc) {
                self.hint = desc;
            }
        }
        self
    }

    fn with_options(mut self, options: Vec<String>) -> FormField {
        if !options.is_empty() && options.len() <= 8 {
            self.hint = options.join(" · ");
        }
        self.options = options;
        self
    }

    fn required(mut self) -> FormField {
        self.required = true;
        self
    }

    /// Whether the user changed it (locked fields never count).
    fn changed(&self) -> bool {
        self.lock.is_none() && self.input.text().trim() != self.original.trim()
    }

    /// The value to save; `None` when empty.
    fn value(&self) -> Option<String> {
        let v = from_line(self.input.text().trim());
        (!v.is_empty()).then_some(v)
    }

    /// Judges a changed value by its rule, as the user leaves the field. An
    /// unchanged value keeps whatever the last save said of it.
    fn judge(&mut self) {
        if !self.changed() {
            return;
        }
        let text = from_line(self.input.text());
        self.error = match self.check {
            Check::Free => return,
            Check::Rule(f) => normalize_field(f, &text).err().map(|i| issue_text(i.rule, &i.message)),
            Check::InteractionKind if text.trim().is_empty() || InteractionKind::parse(&text).is_some() => None,
            Check::InteractionKind => Some(issue_text(
                "interaction.kind",
                &tr!("form-not-kind", text = text.trim(), kinds = rule_desc("interaction.kind").unwrap_or_default()),
            )),
        };
    }
}

fn issue_text(rule: &str, message: &str) -> String {
    format!("[{rule}] {message}")
}

/// The rule of the catalogue a golden field's value is judged by.
fn rule_of(f: Field) -> Option<&'static str> {
    Some(match f {
        Field::Mobile => "mobile.format",
        Field::Landline => "landline.format",
        Field::Email => "email.format",
        Field::Kind => "kind.allowed",
        Field::Status => "status.allowed",
        Field::Priority => "priority.allowed",
        Field::Industry | Field::IndustryCode => "industry.unknown",
        Field::Name | Field::ContactName => "name.format",
        _ => match f.field_type() {
            FieldType::Date => "date.format",
            FieldType::Number => "number.format",
            _ => return None,
        },
    })
}

/// What rule `rule` checks, in the language in force (`rule-…` in the
/// catalogue, which a test keeps in step with `RULES`).
fn rule_desc(rule: &str) -> Option<String> {
    RULES.iter().find(|(id, _, _)| *id == rule).map(|(id, _, _)| crate::i18n::message(&rule_id(id), None))
}

fn rule_id(rule: &str) -> String {
    format!("rule-{}", rule.replace('.', "-"))
}

/// The allowed values of a golden field, for `form.option`.
fn options_of(f: Field, wb: &Workbench) -> Vec<String> {
    match f {
        Field::Kind => [CustomerKind::Company, CustomerKind::Person]
            .iter()
            .map(|k| crate::i18n::value("kind", k.as_str()))
            .collect(),
        Field::Status => Status::ALL.iter().map(|s| s.as_str().to_string()).collect(),
        Field::Priority => {
            [Priority::High, Priority::Medium, Priority::Low].iter().map(|p| p.as_str().to_string()).collect()
        }
        Field::Industry => SECTIONS.iter().map(|(_, n)| n.to_string()).collect(),
        Field::IndustryCode => SECTIONS.iter().map(|(l, _)| l.to_string()).collect(),
        // Reading the user list is no right of its own; a failure only
        // means no suggestions.
        Field::Owner => {
            wb.users().map(|us| us.into_iter().filter(|u| !u.disabled).map(|u| u.login).collect()).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

/// A golden field of customer `c` as this user may see and change it.
fn golden(wb: &Workbench, c: &Customer, f: Field) -> FormField {
    let access = wb.access();
    let owner = c.owner.as_deref();
    let raw = c.get(f).unwrap_or("");
    let shown_raw = access.field(owner, f, raw);
    let masked_text = matches!(f, Field::Notes | Field::Needs) && access.text(owner, raw) != raw;
    let shown = if masked_text { access.text(owner, raw).into_owned() } else { shown_raw.into_owned() };
    // A code people read in words (客户类型 企业, not `company`); the parser
    // takes those words back.
    let mut fld = FormField::new(f.name(), f.label(), &to_line(&crate::i18n::field_value(f, &shown)))
        .with_check(Check::Rule(f))
        .with_options(options_of(f, wb));
    fld.golden = Some(f);
    if f == Field::Industry {
        fld.hint = tr!("form-sections", desc = rule_desc("industry.unknown").unwrap_or_default());
    }
    if (access.is_sensitive(f) && access.masks(owner)) || masked_text {
        let why = access.check(Permission::SensitiveView, Some(Subject::of(c))).err().map(|e| e.to_string());
        fld.lock = Some(Lock::Hidden(why.unwrap_or_else(|| tr!("form-masked"))));
    } else if let Err(e) = access.check(edit_permission(f), Some(Subject::of(c))) {
        fld.lock = Some(Lock::ReadOnly(e.to_string()));
    }
    fld
}

/// A customer an editor works on, as it was read.
#[derive(Debug, Clone)]
struct Subj {
    id: i64,
    number: String,
    name: String,
    version: i64,
}

impl Subj {
    fn of(c: &Customer) -> Subj {
        Subj { id: c.id, number: c.number.clone(), name: c.name.clone(), version: c.version }
    }
}

enum Kind {
    Prompt {
        pane: PaneId,
        tag: u32,
    },
    NewCustomer,
    EditCustomer(Subj),
    AddContact(Subj),
    /// With `Some(reminder)`: completing follow-ups (all open ones, or
    /// the named rule's) as the interaction is logged.
    LogInteraction(Subj, Option<Option<String>>),
    ChangeStatus(Subj),
    Reassign(Subj),
}

/// The active keymap's names for the form's keys, for the lines that
/// tell the user what to press.
#[derive(Debug, Clone)]
struct KeyNames {
    save: String,
    cancel: String,
    next: String,
    option: String,
    open: String,
    /// `[confirm]`'s keys: the discard question is answered with them.
    yes: String,
    no: String,
}

impl Default for KeyNames {
    fn default() -> KeyNames {
        KeyNames {
            save: "Ctrl-S".into(),
            cancel: "Esc".into(),
            next: "Tab".into(),
            option: "Ctrl-O".into(),
            open: "Ctrl-G".into(),
            yes: "y".into(),
            no: "n".into(),
        }
    }
}

/// What a form did with an action.
pub(crate) enum FormOutcome {
    /// Still open.
    Open,
    /// Closed without doing anything.
    Cancelled,
    /// A prompt was submitted: values go to `pane.on_reply(tag, …)`.
    Reply { pane: PaneId, tag: u32, values: Vec<String> },
    /// An editor saved; the message says what was written.
    Saved(String),
    /// A new customer was created: the list goes to it.
    Created { message: String, id: i64 },
    /// The user chose the existing customer a new one would duplicate.
    OpenExisting(i64),
}

pub(crate) struct Form {
    pub title: String,
    pub fields: Vec<FormField>,
    pub focus: usize,
    kind: Kind,
    /// Messages about the whole form: a concurrent change, a refusal that
    /// names no field.
    banner: Vec<String>,
    /// Esc was pressed once with unsaved changes.
    discard_armed: bool,
    /// Warnings were shown: the next save saves anyway.
    warnings_shown: bool,
    /// Existing customers the new one may duplicate, as the last save
    /// attempt found them (the service's check); `form.open_existing`
    /// opens the first.
    pub duplicates: Vec<PossibleDuplicate>,
    keys: KeyNames,
    /// The first field row drawn; kept so scrolling does not jump.
    top: Cell<usize>,
}

/// Reads customer `id` as stored (values are masked per field when shown).
fn load(wb: &Workbench, id: i64) -> Result<Customer> {
    let c = crate::store::customers::get_customer(wb.store().conn(), id)?
        .ok_or_else(|| Error::NotFound(format!("no customer with id {id}")))?;
    if c.merged_into.is_some() {
        return Err(Error::Refused(tr!("form-merged-away", number = c.number.as_str())));
    }
    Ok(c)
}

/// The fields of a logged interaction: kind, day (today), what happened,
/// with whom (the customer's contacts offered), and the next follow-up.
fn interaction_fields(wb: &Workbench, c: &Customer) -> Result<Vec<FormField>> {
    let today = wb.clock().today().format("%Y-%m-%d").to_string();
    let contacts: Vec<String> = wb.customer_detail(c.id)?.contacts.into_iter().map(|k| k.name).collect();
    let contact_hint = if contacts.is_empty() { tr!("form-no-contacts") } else { contacts.join(" · ") };
    let mut contact = FormField::new("contact", "联系人", "").with_options(contacts);
    contact.hint = contact_hint;
    let mut next = FormField::new("next", Field::NextFollowup.label(), "").with_check(Check::Rule(Field::NextFollowup));
    next.hint = tr!("form-next-hint", hint = next.hint.as_str());
    let mut summary = FormField::new("summary", "内容", "").required();
    summary.hint = tr!("form-summary-hint");
    Ok(vec![
        FormField::new("kind", "类型", &crate::i18n::value("interaction", InteractionKind::Call.as_str()))
            .with_check(Check::InteractionKind)
            .with_options(InteractionKind::ALL.iter().map(|k| crate::i18n::value("interaction", k.as_str())).collect()),
        FormField::new("at", "日期", &today).with_check(Check::Rule(Field::LastFollowup)),
        summary,
        contact,
        next,
    ])
}

fn customer_title(what: &str, s: &Subj) -> String {
    format!("{what} — {} {}", s.number, s.name)
}

impl Form {
    /// Why fields are locked, one line per reason with the fields it
    /// locks ("联系人, 手机: read-only: …"), in field order.
    pub(crate) fn lock_reasons(&self) -> Vec<String> {
        let mut reasons: Vec<(String, Vec<&str>)> = Vec::new();
        for f in &self.fields {
            let text = match &f.lock {
                Some(Lock::ReadOnly(why)) => tr!("form-readonly", why = why.as_str()),
                Some(Lock::Hidden(why)) => tr!("form-hidden", why = why.as_str()),
                None => continue,
            };
            match reasons.iter_mut().find(|(t, _)| *t == text) {
                Some((_, labels)) => labels.push(&f.label),
                None => reasons.push((text, vec![&f.label])),
            }
        }
        reasons.into_iter().map(|(t, labels)| format!("{}: {t}", crate::i18n::join(&labels))).collect()
    }

    fn with(title: String, fields: Vec<FormField>, kind: Kind) -> Form {
        Form {
            title,
            fields,
            focus: 0,
            kind,
            banner: Vec::new(),
            discard_armed: false,
            warnings_shown: false,
            duplicates: Vec::new(),
            keys: KeyNames::default(),
            top: Cell::new(0),
        }
    }

    /// A prompt: `fields` are (label, initial value).
    pub fn prompt(title: &str, fields: &[(&str, &str)], pane: PaneId, tag: u32) -> Form {
        let fields = fields.iter().map(|(l, v)| FormField::new("", l, v)).collect();
        Form::with(title.to_string(), fields, Kind::Prompt { pane, tag })
    }

    /// Gives prompt field `i` a hint shown while it is focused and the
    /// values `form.option` cycles through (none: free text).
    pub fn set_choices(&mut self, i: usize, hint: &str, options: &[&str]) {
        if let Some(f) = self.fields.get_mut(i) {
            f.options = options.iter().map(|o| o.to_string()).collect();
            f.hint = hint.to_string();
        }
    }

    /// A new customer: every golden field but the number crmwb assigns.
    /// Refused when the user may not create customers.
    pub fn new_customer(wb: &Workbench) -> Result<Form> {
        wb.access().check(Permission::CustomerCreate, None)?;
        let fields = Field::ALL
            .iter()
            .filter(|f| **f != Field::Number)
            .map(|f| {
                let initial = if *f == Field::Kind {
                    crate::i18n::value("kind", CustomerKind::Company.as_str())
                } else {
                    String::new()
                };
                let mut fld = FormField::new(f.name(), f.label(), &initial)
                    .with_check(Check::Rule(*f))
                    .with_options(options_of(*f, wb));
                if *f == Field::Industry {
                    fld.hint = tr!("form-sections", desc = rule_desc("industry.unknown").unwrap_or_default());
                }
                fld
            })
            .collect();
        Ok(Form::with(tr!("form-title-new"), fields, Kind::NewCustomer))
    }

    /// Edits customer `id`'s golden fields: values the user may not see are
    /// masked and locked, those they may not change are read-only with the
    /// reason. Saved with the version read here.
    pub fn edit_customer(wb: &Workbench, customer_id: i64) -> Result<Form> {
        let c = load(wb, customer_id)?;
        let fields = Field::ALL.iter().filter(|f| **f != Field::Number).map(|f| golden(wb, &c, *f)).collect();
        let s = Subj::of(&c);
        Ok(Form::with(customer_title(&tr!("form-title-edit"), &s), fields, Kind::EditCustomer(s)))
    }

    /// A new contact person of customer `id`.
    pub fn add_contact(wb: &Workbench, customer_id: i64) -> Result<Form> {
        let c = load(wb, customer_id)?;
        wb.access().check(Permission::CustomerEdit, Some(Subject::of(&c)))?;
        let access = wb.access();
        let hidden = access.masks(c.owner.as_deref());
        let mut fields = vec![
            FormField::new("name", Field::ContactName.label(), "")
                .with_check(Check::Rule(Field::ContactName))
                .required(),
            FormField::new("title", Field::ContactTitle.label(), ""),
            FormField::new("mobile", Field::Mobile.label(), "").with_check(Check::Rule(Field::Mobile)),
            FormField::new("landline", Field::Landline.label(), "").with_check(Check::Rule(Field::Landline)),
            FormField::new("email", Field::Email.label(), "").with_check(Check::Rule(Field::Email)),
            FormField::new("notes", Field::Notes.label(), ""),
        ];
        // Someone who may not see this customer's phones does not type new ones blind.
        for (fld, f) in fields.iter_mut().zip([
            Field::ContactName,
            Field::ContactTitle,
            Field::Mobile,
            Field::Landline,
            Field::Email,
            Field::Notes,
        ]) {
            if hidden && access.is_sensitive(f) {
                let why = access.check(Permission::SensitiveView, Some(Subject::of(&c))).err().map(|e| e.to_string());
                fld.lock = Some(Lock::Hidden(why.unwrap_or_else(|| tr!("form-masked"))));
            }
        }
        let s = Subj::of(&c);
        Ok(Form::with(customer_title(&tr!("form-title-contact"), &s), fields, Kind::AddContact(s)))
    }

    /// Logs an interaction with customer `id`: kind, day (today unless
    /// changed), what happened, with whom, and the next follow-up.
    pub fn log_interaction(wb: &Workbench, customer_id: i64) -> Result<Form> {
        let c = load(wb, customer_id)?;
        wb.access().check(Permission::InteractionLog, Some(Subject::of(&c)))?;
        let fields = interaction_fields(wb, &c)?;
        let s = Subj::of(&c);
        Ok(Form::with(customer_title(&tr!("form-title-interaction"), &s), fields, Kind::LogInteraction(s, None)))
    }

    /// Marks customer `id`'s open follow-ups done (only the reminder of rule
    /// `reminder` when given) and logs the follow-up as an interaction, with
    /// the next follow-up date: `followup.edit`'s editor of the Follow-ups pane.
    pub fn complete_followup(wb: &Workbench, customer_id: i64, reminder: Option<&str>) -> Result<Form> {
        let c = load(wb, customer_id)?;
        wb.access().check(Permission::FollowupEdit, Some(Subject::of(&c)))?;
        let fields = interaction_fields(wb, &c)?;
        let s = Subj::of(&c);
        let done = Some(reminder.map(str::to_string));
        Ok(Form::with(customer_title(&tr!("form-title-done"), &s), fields, Kind::LogInteraction(s, done)))
    }

    /// Moves customer `id` through the lifecycle: won needs a contract
    /// (number or signing date), lost a reason.
    pub fn change_status(wb: &Workbench, customer_id: i64) -> Result<Form> {
        let c = load(wb, customer_id)?;
        wb.access().check(Permission::FollowupEdit, Some(Subject::of(&c)))?;
        let mut status = golden(wb, &c, Field::Status);
        status.lock = None; // the status right is `followup.edit`, checked above
        status.required = true;
        let mut reason = FormField::new("reason", "原因", "");
        reason.hint = tr!("form-reason-hint");
        let mut no = golden(wb, &c, Field::ContractNo);
        let mut signed = golden(wb, &c, Field::ContractSigned);
        for f in [&mut no, &mut signed] {
            f.lock = None;
            let won = tr!("form-won-hint");
            f.hint = [won.as_str(), f.hint.as_str()]
                .iter()
                .filter(|h| !h.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("; ");
        }
        let s = Subj::of(&c);
        Ok(Form::with(
            customer_title(&tr!("form-title-status"), &s),
            vec![status, reason, no, signed],
            Kind::ChangeStatus(s),
        ))
    }

    /// Gives customer `id` another owner (`owner.assign`).
    pub fn reassign(wb: &Workbench, customer_id: i64) -> Result<Form> {
        let c = load(wb, customer_id)?;
        wb.access().check(Permission::OwnerAssign, Some(Subject::of(&c)))?;
        let mut owner = golden(wb, &c, Field::Owner);
        owner.hint = tr!("form-owner-hint", users = owner.options.join(" · "));
        let s = Subj::of(&c);
        Ok(Form::with(customer_title(&tr!("form-title-reassign"), &s), vec![owner], Kind::Reassign(s)))
    }

    /// Takes the names of the save, cancel, next and option keys from the
    /// active keymap, for the lines that say what to press.
    pub(crate) fn set_keys(&mut self, keymap: &Keymap) {
        let name = |a: Action| keymap.bindings(Context::Form).iter().find(|b| b.action == a).map(|b| b.short());
        let confirm = |a: Action| keymap.bindings(Context::Confirm).iter().find(|b| b.action == a).map(|b| b.short());
        let d = KeyNames::default();
        self.keys = KeyNames {
            save: name(Action::FormSave).unwrap_or(d.save),
            cancel: name(Action::FormCancel).unwrap_or(d.cancel),
            next: name(Action::FormNext).unwrap_or(d.next),
            option: name(Action::FormOption).unwrap_or(d.option),
            open: name(Action::FormOpenExisting).unwrap_or(d.open),
            yes: confirm(Action::ConfirmAccept).unwrap_or(d.yes),
            no: confirm(Action::ConfirmReject).unwrap_or(d.no),
        };
    }

    fn is_prompt(&self) -> bool {
        matches!(self.kind, Kind::Prompt { .. })
    }

    /// Whether the user changed anything since it opened (or since it
    /// reloaded a concurrent change).
    pub fn is_dirty(&self) -> bool {
        self.fields.iter().any(|f| if self.is_prompt() { f.input.text() != f.original } else { f.changed() })
    }

    fn edited(&mut self) {
        self.discard_armed = false;
        self.warnings_shown = false;
        self.duplicates.clear();
        if let Some(f) = self.fields.get_mut(self.focus) {
            f.error = None;
            f.warning = None;
        }
    }

    /// Whether Esc with unsaved changes asked "discard them?": the form
    /// then takes `[confirm]`'s keys (`y` discards, `n` or Esc keeps
    /// editing), never the key that asked.
    pub(crate) fn asks_discard(&self) -> bool {
        self.discard_armed
    }

    /// A key that is not bound in `[form]`: typing into the focused field.
    pub fn handle_key(&mut self, k: &KeyEvent) {
        if self.discard_armed {
            return;
        }
        let Some(f) = self.fields.get_mut(self.focus) else { return };
        if f.lock.is_some() {
            return;
        }
        if f.input.handle_key(k) {
            self.edited();
        }
    }

    pub fn paste(&mut self, s: &str) {
        let Some(f) = self.fields.get_mut(self.focus) else { return };
        if f.lock.is_none() && f.input.paste(s) {
            self.edited();
        }
    }

    pub fn handle_action(&mut self, action: Action, wb: &mut Workbench) -> FormOutcome {
        if let Kind::Prompt { pane, tag } = self.kind {
            return self.prompt_action(action, pane, tag);
        }
        if std::mem::take(&mut self.discard_armed) {
            return match action {
                Action::ConfirmAccept => FormOutcome::Cancelled,
                _ => FormOutcome::Open,
            };
        }
        let n = self.fields.len().max(1);
        match action {
            Action::FormNext | Action::FormPrev => {
                if let Some(f) = self.fields.get_mut(self.focus) {
                    f.judge();
                }
                self.focus = if action == Action::FormNext { (self.focus + 1) % n } else { (self.focus + n - 1) % n };
            }
            Action::FormOption => self.cycle_option(),
            Action::FormCancel if !self.is_dirty() => return FormOutcome::Cancelled,
            Action::FormCancel => self.discard_armed = true,
            Action::FormSave => return self.save(wb),
            Action::FormOpenExisting => {
                if let Some(d) = self.duplicates.first() {
                    return FormOutcome::OpenExisting(d.id);
                }
            }
            _ => {}
        }
        FormOutcome::Open
    }

    fn prompt_action(&mut self, action: Action, pane: PaneId, tag: u32) -> FormOutcome {
        let n = self.fields.len().max(1);
        match action {
            Action::FormNext if self.focus + 1 < n => self.focus += 1,
            // Enter on the last field of a prompt submits it.
            Action::FormNext | Action::FormSave => {
                return FormOutcome::Reply {
                    pane,
                    tag,
                    values: self.fields.iter().map(|f| f.input.text().trim().to_string()).collect(),
                };
            }
            Action::FormPrev => self.focus = self.focus.saturating_sub(1),
            Action::FormOption => self.cycle_option(),
            Action::FormCancel => return FormOutcome::Cancelled,
            _ => {}
        }
        FormOutcome::Open
    }

    /// `form.option`: the next allowed value of the focused field.
    fn cycle_option(&mut self) {
        let Some(f) = self.fields.get_mut(self.focus) else { return };
        if f.lock.is_some() || f.options.is_empty() {
            return;
        }
        let cur = f.input.text().trim();
        let next = match f.options.iter().position(|o| o == cur) {
            Some(i) => (i + 1) % f.options.len(),
            None => 0,
        };
        let v = f.options[next].clone();
        f.input.set(&v);
        self.edited();
    }

    fn index_of(&self, key: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.key == key)
    }

    /// Where a refusal by `rule` belongs in this form: the field that fixes
    /// it (a won status needs the contract number, a lost one the reason).
    fn home_of(&self, rule: &str) -> Option<usize> {
        let candidates: &[&str] = match rule {
            "status.won_needs_contract" => &["contract_no", "contract_signed", "status"],
            "status.lost_needs_reason" | "status.reactivate_needs_reason" | "status.downgrade_needs_reason" => {
                &["reason", "status"]
            }
            "row.identity" => &["name"],
            "date.order" => &["last_followup"],
            "interaction.kind" => &["kind"],
            _ => &[],
        };
        candidates.iter().find_map(|k| self.index_of(k)).or_else(|| {
            // `mobile.format` is about `mobile`, `status.allowed` about `status`…
            let prefix = rule.split('.').next().unwrap_or(rule);
            self.index_of(prefix).filter(|_| !matches!(prefix, "date" | "number" | "phone"))
        })
    }

    /// Marks a refusal or warning on its field, else on the banner. A
    /// message worded for the command line (`--reason`) is replaced by the
    /// rule's own description, which says the same without the flags.
    fn place(&mut self, key: Option<&str>, rule: Option<&str>, message: &str, warning: bool) {
        let message = match rule.and_then(rule_desc) {
            Some(desc) if message.contains(" --") || message.contains("(--") => desc,
            _ => message.to_string(),
        };
        // The customer editor has no reason field: say where one is given.
        let message = match rule {
            Some(r) if r.ends_with("_needs_reason") && self.index_of("reason").is_none() => {
                tr!("form-use-status-editor", message = message)
            }
            _ => message,
        };
        let text = match rule {
            Some(r) => issue_text(r, &message),
            None => message,
        };
        // A lifecycle rule is fixed on another field (a won status by its contract).
        let lifecycle = rule.filter(|r| r.starts_with("status.") && *r != "status.allowed");
        let home = lifecycle
            .and_then(|r| self.home_of(r))
            .or_else(|| key.and_then(|k| self.index_of(k)))
            .or_else(|| rule.and_then(|r| self.home_of(r)));
        match home {
            Some(i) if warning => self.fields[i].warning = Some(text),
            Some(i) => self.fields[i].error = Some(text),
            None => self.banner.push(if warning { tr!("form-warning-banner", text = text.as_str()) } else { text }),
        }
    }

    /// Places an error the service returned as text: by the rule id in it
    /// (`[status.won_needs_contract] …`), else by what it says (`needles`:
    /// words of the message and the field they are about), else the banner.
    fn place_error(&mut self, e: &Error, needles: &[(&str, &str)]) {
        let msg = e.to_string();
        for (id, _, _) in RULES {
            let tag = format!("[{id}]");
            if let Some(p) = msg.find(&tag) {
                let rest = msg[p + tag.len()..].trim().to_string();
                self.place(None, Some(id), &rest, false);
                return;
            }
        }
        for (needle, key) in needles {
            if msg.contains(needle) && self.index_of(key).is_some() {
                // `--next 2026-01-01: …`: the flag means nothing here.
                let text = match msg.strip_prefix("--").and_then(|m| m.split_once(": ")) {
                    Some((_, rest)) => rest.to_string(),
                    None => msg.clone(),
                };
                self.place(Some(key), None, &text, false);
                return;
            }
        }
        self.banner.push(msg);
    }

    /// Judges every changed field and the required ones; focuses the first
    /// field with an error. Returns whether any field has one.
    fn judge_all(&mut self) -> bool {
        for f in &mut self.fields {
            f.judge();
            if f.required && f.lock.is_none() && f.value().is_none() && f.error.is_none() {
                f.error = Some(tr!("form-required"));
            }
        }
        self.focus_first_problem()
    }

    fn focus_first_problem(&mut self) -> bool {
        match self.fields.iter().position(|f| f.error.is_some()) {
            Some(i) => {
                self.focus = i;
                true
            }
            None => false,
        }
    }

    fn subj(&self) -> Option<&Subj> {
        match &self.kind {
            Kind::EditCustomer(s)
            | Kind::AddContact(s)
            | Kind::LogInteraction(s, _)
            | Kind::ChangeStatus(s)
            | Kind::Reassign(s) => Some(s),
            Kind::Prompt { .. } | Kind::NewCustomer => None,
        }
    }

    fn set_version(&mut self, v: i64) {
        if let Kind::EditCustomer(s) | Kind::ChangeStatus(s) | Kind::Reassign(s) = &mut self.kind {
            s.version = v;
        }
    }

    /// The golden fields the user changed, as `edit_customer` takes them.
    fn golden_changes(&self) -> Vec<(Field, Option<String>)> {
        self.fields.iter().filter(|f| f.changed()).filter_map(|f| f.golden.map(|g| (g, f.value()))).collect()
    }

    fn save(&mut self, wb: &mut Workbench) -> FormOutcome {
        self.banner.clear();
        for f in &mut self.fields {
            f.warning = None;
        }
        if self.judge_all() {
            self.warnings_shown = false;
            return FormOutcome::Open;
        }
        let out = match &self.kind {
            Kind::Prompt { .. } => return FormOutcome::Open,
            Kind::NewCustomer => self.save_new(wb),
            Kind::EditCustomer(_) | Kind::Reassign(_) => self.save_edit(wb),
            Kind::AddContact(_) => self.save_contact(wb),
            Kind::LogInteraction(..) => self.save_interaction(wb),
            Kind::ChangeStatus(_) => self.save_status(wb),
        };
        if matches!(out, FormOutcome::Open) {
            self.focus_first_problem();
        }
        out
    }

    fn save_edit(&mut self, wb: &mut Workbench) -> FormOutcome {
        let Some(s) = self.subj().cloned() else { return FormOutcome::Open };
        let changes = self.golden_changes();
        if changes.is_empty() {
            return FormOutcome::Saved(tr!("form-nothing-changed", number = s.number.as_str()));
        }
        let check = match wb.check_customer_edit(s.id, &changes) {
            Ok(c) => c,
            Err(e) => {
                self.banner.push(e.to_string());
                return FormOutcome::Open;
            }
        };
        if !check.refused.is_empty() {
            for r in &check.refused {
                self.place(r.field.map(Field::name), r.rule, &r.message, false);
            }
            self.warnings_shown = false;
            return FormOutcome::Open;
        }
        if !check.warnings.is_empty() && !self.warnings_shown {
            for w in &check.warnings {
                self.place(w.field, Some(w.rule), &w.message, true);
            }
            self.warnings_shown = true;
            return FormOutcome::Open;
        }
        match wb.edit_customer(s.id, s.version, &changes) {
            Ok(out) => {
                let labels: Vec<&str> = out.changes.iter().map(|c| c.field.label()).collect();
                let mut msg = if labels.is_empty() {
                    tr!("form-saved-same", number = s.number.as_str())
                } else {
                    tr!(
                        "form-saved",
                        number = s.number.as_str(),
                        fields = crate::i18n::join(&labels),
                        version = out.version
                    )
                };
                if !out.warnings.is_empty() {
                    let w: Vec<String> = out.warnings.iter().map(|w| w.rule.to_string()).collect();
                    msg.push_str(&tr!("form-despite", rules = w.join(", ")));
                }
                FormOutcome::Saved(msg)
            }
            Err(e) => {
                self.after_refusal(wb, &s, &e);
                FormOutcome::Open
            }
        }
    }

    /// A save was refused: a concurrent change reloads the form (keeping the
    /// user's edits); anything else is shown.
    fn after_refusal(&mut self, wb: &Workbench, s: &Subj, e: &Error) {
        match load(wb, s.id) {
            Ok(now) if now.version != s.version => self.reload_stale(wb, &now, &e.to_string()),
            _ => self.place_error(e, &[]),
        }
    }

    /// Someone else changed the customer: says what (the user's value and
    /// theirs), takes their values as the new starting point where the user
    /// had not typed, keeps the user's edits, and takes the new version, so
    /// saving again is a deliberate overwrite.
    fn reload_stale(&mut self, wb: &Workbench, now: &Customer, why: &str) {
        let Some(s) = self.subj().cloned() else { return };
        let mut diffs = Vec::new();
        for fld in &mut self.fields {
            let Some(f) = fld.golden else { continue };
            let fresh = golden(wb, now, f);
            if fresh.original == fld.original {
                continue;
            }
            let show = |v: &str| if v.trim().is_empty() { tr!("form-empty") } else { format!("`{v}`") };
            diffs.push(tr!(
                "form-yours-theirs",
                label = fld.label.as_str(),
                yours = show(fld.input.text()),
                theirs = show(&fresh.original)
            ));
            if !fld.changed() {
                fld.input.set(&fresh.original);
            }
            fld.original = fresh.original;
        }
        self.set_version(now.version);
        self.warnings_shown = false;
        self.banner.push(tr!(
            "form-stale",
            number = s.number.as_str(),
            version = now.version,
            key = self.keys.save.as_str()
        ));
        if diffs.is_empty() {
            diffs.push(tr!("form-none-shown"));
        }
        self.banner.extend(diffs);
        if let Some((_, who)) = why.split_once("Changes since: ") {
            self.banner.push(tr!("form-their-change", who = who));
        }
    }

    fn save_new(&mut self, wb: &mut Workbench) -> FormOutcome {
        let sets: Vec<(String, String)> =
            self.fields.iter().filter_map(|f| f.value().map(|v| (f.key.to_string(), v))).collect();
        match wb.check_new_customer(&sets) {
            Ok(issues) if !issues.is_empty() => {
                for (field, i) in &issues {
                    self.place(Some(field), Some(i.rule), &i.message, false);
                }
                return FormOutcome::Open;
            }
            Ok(_) => {}
            Err(e) => {
                self.place_error(&e, &[]);
                return FormOutcome::Open;
            }
        }
        // Existing customers it may duplicate (the service's check, by the
        // matcher's keys): named before anything is saved; a second save
        // saves anyway, `form.open_existing` opens the first instead.
        if !self.warnings_shown {
            match wb.possible_duplicates(&sets) {
                Ok(found) if !found.is_empty() => {
                    let whom = tr!("form-dup-whom", n = found.len());
                    self.banner.push(tr!("form-dup-head", whom = whom));
                    for d in &found {
                        self.banner.push(tr!(
                            "form-dup-line",
                            number = d.number.as_str(),
                            name = d.name.as_str(),
                            shared = crate::i18n::join(
                                &d.shared.iter().map(|k| crate::i18n::value("shared", k)).collect::<Vec<_>>()
                            )
                        ));
                    }
                    self.banner.push(tr!(
                        "form-dup-how",
                        open = self.keys.open.as_str(),
                        number = found[0].number.as_str(),
                        save = self.keys.save.as_str()
                    ));
                    self.duplicates = found;
                    self.warnings_shown = true;
                    return FormOutcome::Open;
                }
                Ok(_) => {}
                Err(e) => {
                    self.place_error(&e, &[]);
                    return FormOutcome::Open;
                }
            }
        }
        match wb.add_customer(&sets) {
            Ok(c) => FormOutcome::Created {
                message: tr!("form-created", number = c.number.as_str(), name = c.name.as_str()),
                id: c.id,
            },
            Err(e) => {
                self.place_error(&e, &[]);
                FormOutcome::Open
            }
        }
    }

    fn save_contact(&mut self, wb: &mut Workbench) -> FormOutcome {
        let Some(s) = self.subj().cloned() else { return FormOutcome::Open };
        let sets: Vec<(String, String)> = self
            .fields
            .iter()
            .filter(|f| f.lock.is_none())
            .filter_map(|f| f.value().map(|v| (f.key.to_string(), v)))
            .collect();
        match wb.add_contact(&s.number, &sets) {
            Ok(c) => FormOutcome::Saved(tr!("form-contact-added", name = c.name.as_str(), number = s.number.as_str())),
            Err(e) => {
                self.place_error(&e, &[("needs a name", "name")]);
                FormOutcome::Open
            }
        }
    }

    fn save_interaction(&mut self, wb: &mut Workbench) -> FormOutcome {
        let Some(s) = self.subj().cloned() else { return FormOutcome::Open };
        let get = |k: &str| self.index_of(k).and_then(|i| self.fields[i].value());
        // The fields passed their rules (judge_all), so these parse.
        let kind = get("kind").and_then(|k| InteractionKind::parse(&k)).unwrap_or(InteractionKind::Note);
        let day = |k: &str, f: Field| {
            get(k)
                .and_then(|v| normalize_field(f, &v).ok().flatten())
                .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        };
        let entry = NewInteraction {
            kind,
            summary: get("summary").unwrap_or_default(),
            at: day("at", Field::LastFollowup),
            contact: get("contact"),
            next: day("next", Field::NextFollowup),
        };
        let done = match &self.kind {
            Kind::LogInteraction(_, done) => done.clone(),
            _ => None,
        };
        let logged = match &done {
            None => wb.log_interaction(&s.number, &entry).map(|l| (l, None)),
            Some(rule) => {
                wb.complete_followup(&s.number, rule.as_deref(), &entry).map(|c| (c.logged, Some(c.completed)))
            }
        };
        match logged {
            Ok((l, completed)) => {
                let next = l.next_followup.map(|n| tr!("form-next-fu", day = n.to_string())).unwrap_or_default();
                let done = match completed {
                    Some(c) if !c.is_empty() => {
                        let rules: Vec<&str> = c.iter().map(|r| r.rule.as_str()).collect();
                        tr!("form-fu-done", n = c.len(), rules = rules.join(", "))
                    }
                    Some(_) => tr!("form-fu-none"),
                    None => String::new(),
                };
                FormOutcome::Saved(tr!(
                    "form-logged",
                    done = done,
                    kind = crate::i18n::value("interaction", kind.as_str()),
                    number = s.number.as_str(),
                    at = l.at.to_string(),
                    next = next
                ))
            }
            Err(e) => {
                self.place_error(
                    &e,
                    &[
                        ("cannot be dated", "at"),
                        ("next follow-up", "next"),
                        ("no contact named", "contact"),
                        ("needs a note", "summary"),
                    ],
                );
                FormOutcome::Open
            }
        }
    }

    fn save_status(&mut self, wb: &mut Workbench) -> FormOutcome {
        let Some(s) = self.subj().cloned() else { return FormOutcome::Open };
        // `change_status` takes no version: compare first, so a change made
        // meanwhile is shown rather than built upon unseen.
        match load(wb, s.id) {
            Ok(now) if now.version != s.version => {
                self.reload_stale(wb, &now, "");
                return FormOutcome::Open;
            }
            Ok(_) => {}
            Err(e) => {
                self.banner.push(e.to_string());
                return FormOutcome::Open;
            }
        }
        let field = |k: &str| self.index_of(k).map(|i| &self.fields[i]);
        let status_changed = field("status").is_some_and(FormField::changed);
        if !status_changed {
            // Only the contract changed: that is an edit of the record.
            return self.save_edit(wb);
        }
        let val = |k: &str| field(k).filter(|f| f.changed()).and_then(FormField::value);
        let status = field("status").and_then(FormField::value).unwrap_or_default();
        let reason = field("reason").and_then(FormField::value);
        match wb.change_status(
            &s.number,
            &status,
            reason.as_deref(),
            val("contract_no").as_deref(),
            val("contract_signed").as_deref(),
        ) {
            Ok(ch) if ch.changed => FormOutcome::Saved(format!(
                "{}: {} → {}",
                s.number,
                ch.from.clone().unwrap_or_else(|| tr!("form-no-status")),
                ch.to
            )),
            Ok(ch) => FormOutcome::Saved(tr!("form-already", number = s.number.as_str(), status = ch.to.to_string())),
            Err(e) => {
                self.place_error(&e, &[]);
                FormOutcome::Open
            }
        }
    }

    /// Rows a field takes: its line and, with a message, one more.
    fn rows_of(f: &FormField) -> usize {
        1 + usize::from(f.error.is_some() || f.warning.is_some())
    }

    fn banner_lines(&self, cols: usize) -> Vec<String> {
        let mut out = Vec::new();
        for b in &self.banner {
            out.extend(wrap(&format!("! {}", sanitize(b)), cols));
        }
        out
    }

    /// Lines under the fields: the focused field's hint, and what to press.
    fn footer_rows(&self) -> usize {
        if self.has_hints() {
            1 + HINT_ROWS
        } else {
            1
        }
    }

    /// Whether the focused field's hint shows under the fields: always in an
    /// editor, in a prompt when any of its fields has one.
    fn has_hints(&self) -> bool {
        !self.is_prompt() || self.fields.iter().any(|f| !f.hint.is_empty())
    }

    /// Where the form goes on a screen of `size`.
    pub fn area(&self, size: Rect) -> Rect {
        let w = size.width.saturating_sub(4).min(76);
        let inner = w.saturating_sub(2) as usize;
        let lines = self.fields.len() + self.footer_rows();
        let rows: usize = self.fields.iter().map(Form::rows_of).sum();
        let want = 2 + self.banner_lines(inner).len().min(MAX_BANNER) + rows + self.footer_rows();
        let h = (want as u16).min(size.height);
        // The top stays where the form opened; messages grow it downwards
        // (up only when the screen ends), so fields do not jump under the eye.
        let base = ((2 + lines) as u16).min(size.height);
        let top = (size.height - base) / 3;
        let top = top.min(size.height - h);
        Rect::new(size.x + (size.width - w) / 2, size.y + top, w, h)
    }

    /// The first field row to draw so that the focused field shows in `rows` rows.
    fn first_shown(&self, rows: usize) -> usize {
        let mut top = self.top.get().min(self.focus);
        let span = |a: usize, b: usize| self.fields[a..=b].iter().map(Form::rows_of).sum::<usize>();
        while top < self.focus && span(top, self.focus) > rows {
            top += 1;
        }
        self.top.set(top);
        top
    }

    /// Draws the form; returns where the terminal cursor belongs.
    pub fn render(&self, f: &mut Frame, size: Rect, theme: Theme) -> Option<(u16, u16)> {
        let area = self.area(size);
        let inner_w = area.width.saturating_sub(2) as usize;
        let rows_total = (area.height as usize).saturating_sub(2 + self.footer_rows());
        // The banner gives way to at least a few fields.
        let banner_max = MAX_BANNER.min(rows_total.saturating_sub(3));
        let banner = cap(self.banner_lines(inner_w), inner_w, banner_max);
        let field_rows = rows_total.saturating_sub(banner.len());
        let top = if self.fields.is_empty() { 0 } else { self.first_shown(field_rows.max(1)) };
        let mut shown = 0;
        let mut used = 0;
        for fld in &self.fields[top..] {
            if used + Form::rows_of(fld) > field_rows {
                break;
            }
            used += Form::rows_of(fld);
            shown += 1;
        }
        let mut block = Block::bordered()
            .border_type(BorderType::Double)
            .title(Span::styled(format!(" {} ", sanitize(&self.title)), Style::default().add_modifier(Modifier::BOLD)));
        if shown < self.fields.len() {
            block = block
                .title_top(Line::from(format!(" {}–{}/{} ", top + 1, top + shown, self.fields.len())).right_aligned());
        }
        let inner = block.inner(area);
        f.render_widget(Clear, area);
        // A wide character just left of the form would reach into its border.
        if area.x > 0 {
            let buf = f.buffer_mut();
            for y in area.top()..area.bottom() {
                let cell = &mut buf[(area.x - 1, y)];
                if width(cell.symbol()) > 1 {
                    cell.set_symbol(" ");
                }
            }
        }
        f.render_widget(block, area);

        let label_cols = self.fields.iter().map(|x| width(&x.label)).max().unwrap_or(0).min(16) + 3;
        let value_cols = inner_w.saturating_sub(label_cols);
        let dim = theme.tone(super::detail::Tone::Dim);
        let flag = theme.tone(super::detail::Tone::Flag);
        let mut lines: Vec<Line> =
            banner.into_iter().map(|b| Line::from(Span::styled(b, theme.error_style()))).collect();
        let mut cursor = None;
        for (i, fld) in self.fields.iter().enumerate().skip(top).take(shown) {
            let focused = i == self.focus;
            let label_style = if focused { Style::default().add_modifier(Modifier::BOLD) } else { Style::default() };
            let mark = format!("{}{}", if focused { "▶" } else { " " }, if fld.changed() { "*" } else { " " });
            let mut spans =
                vec![Span::styled(fit(&format!("{mark}{}", sanitize(&fld.label)), label_cols), label_style)];
            match &fld.lock {
                Some(lock) => {
                    let tag = match lock {
                        Lock::Hidden(_) => tr!("form-hidden-tag"),
                        Lock::ReadOnly(_) => tr!("form-readonly-tag"),
                    };
                    let v = if fld.input.text().is_empty() { "—" } else { fld.input.text() };
                    let v = truncate(&sanitize(v), value_cols.saturating_sub(width(&tag))).into_owned();
                    spans.push(Span::styled(v, dim));
                    spans.push(Span::styled(tag, dim.add_modifier(Modifier::ITALIC)));
                }
                None if focused => {
                    let (v, col) = fld.input.view(value_cols.saturating_sub(1));
                    cursor = Some((inner.x + (label_cols + col) as u16, inner.y + lines.len() as u16));
                    spans.push(Span::styled(v, Style::default().add_modifier(Modifier::UNDERLINED)));
                }
                None => {
                    let v = truncate(&sanitize(fld.input.text()), value_cols).into_owned();
                    spans.push(Span::styled(v, Style::default().add_modifier(Modifier::UNDERLINED)));
                }
            }
            lines.push(Line::from(spans));
            let note = match (&fld.error, &fld.warning) {
                (Some(e), _) => Some((format!("✗ {}", sanitize(e)), theme.error_style())),
                (None, Some(w)) => Some((tr!("form-warning", w = sanitize(w)), flag)),
                _ => None,
            };
            if let Some((text, style)) = note {
                lines.push(Line::from(Span::styled(
                    format!("    {}", truncate(&text, inner_w.saturating_sub(4))),
                    style,
                )));
            }
        }
        while lines.len() < inner.height.saturating_sub(self.footer_rows() as u16) as usize {
            lines.push(Line::default());
        }
        if self.has_hints() {
            // The focused field's whole message (the line under it may be
            // cut), else why it is locked, else what it takes.
            let cut = |m: &str| width(&sanitize(m)) + 12 > inner_w;
            let hint = match self.fields.get(self.focus) {
                Some(FormField { error: Some(e), .. }) if cut(e) => format!("✗ {e}"),
                Some(FormField { error: None, warning: Some(w), .. }) if cut(w) => tr!("form-warning", w = w.as_str()),
                Some(FormField { lock: Some(Lock::Hidden(why)), .. }) => tr!("form-hidden", why = why.as_str()),
                Some(FormField { lock: Some(Lock::ReadOnly(why)), .. }) => tr!("form-readonly", why = why.as_str()),
                Some(f) if !f.options.is_empty() => format!("{}: {}", self.keys.option, f.hint),
                Some(f) => f.hint.clone(),
                None => String::new(),
            };
            let hint = wrap_max(&sanitize(&hint), inner_w, HINT_ROWS);
            for i in 0..HINT_ROWS {
                lines.push(Line::from(Span::styled(hint.get(i).cloned().unwrap_or_default(), dim)));
            }
        }
        let k = &self.keys;
        let footer = if self.discard_armed {
            Span::styled(tr!("form-foot-discard", yes = k.yes.as_str(), no = k.no.as_str()), theme.error_style())
        } else if self.warnings_shown && !self.duplicates.is_empty() {
            Span::styled(tr!("form-foot-dup", open = k.open.as_str(), save = k.save.as_str()), flag)
        } else if self.warnings_shown {
            Span::styled(tr!("form-foot-warn", save = k.save.as_str()), flag)
        } else if self.is_prompt() {
            Span::styled(
                tr!("form-foot-prompt", next = k.next.as_str(), save = k.save.as_str(), cancel = k.cancel.as_str()),
                theme.key(),
            )
        } else {
            Span::styled(
                tr!("form-foot-edit", save = k.save.as_str(), cancel = k.cancel.as_str(), next = k.next.as_str()),
                theme.key(),
            )
        };
        lines.push(Line::from(Span::styled(truncate(&footer.content, inner_w).into_owned(), footer.style)));
        f.render_widget(Paragraph::new(lines), inner);
        cursor.filter(|(x, y)| *x < inner.right() && *y < inner.bottom())
    }
}

/// At most this many banner lines; the fields need the room.
const MAX_BANNER: usize = 6;

/// Lines for the focused field's hint, rule message or lock reason.
const HINT_ROWS: usize = 2;

/// Breaks `s` into lines of at most `cols` display columns, at a space
/// where there is one (CJK text has none and breaks anywhere).
fn wrap(s: &str, cols: usize) -> Vec<String> {
    let cols = cols.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    for c in s.chars() {
        let cw = width(c.encode_utf8(&mut [0; 4]));
        if width(&line) + cw > cols {
            if c == ' ' {
                out.push(std::mem::take(&mut line));
                continue;
            }
            match line.rfind(' ').filter(|p| *p > 0) {
                Some(p) => {
                    let rest = line[p + 1..].to_string();
                    line.truncate(p);
                    out.push(std::mem::replace(&mut line, rest));
                }
                None => out.push(std::mem::take(&mut line)),
            }
        }
        line.push(c);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// At most `max` lines of `s` wrapped to `cols`, the last marked `…` when cut.
fn wrap_max(s: &str, cols: usize, max: usize) -> Vec<String> {
    cap(wrap(s, cols), cols, max)
}

/// The first `max` of `lines` (each at most `cols` wide), the last marked
/// `…` when some were left out.
fn cap(mut lines: Vec<String>, cols: usize, max: usize) -> Vec<String> {
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            while width(last) + 1 > cols && last.pop().is_some() {}
            last.push('…');
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_described_in_the_catalogue_as_in_rules() {
        for (id, _, desc) in RULES {
            assert_eq!(crate::i18n::message_in(crate::i18n::Lang::En, &rule_id(id), None), *desc, "{id}");
            let zh = crate::i18n::message_in(crate::i18n::Lang::Zh, &rule_id(id), None);
            assert!(zh != *desc && !zh.starts_with("rule-"), "{id} has no Chinese description");
        }
    }
    use crate::domain::Role;
    use crate::service::{Clock, ImportOptions};
    use crate::store::OpenMode;
    use crate::tui::app::{App, Message, Overlay};
    use crate::tui::keymap::load_keymap;
    use crate::tui::testkit::{press, screen, typ};

    use ratatui::backend::TestBackend;

    use ratatui::Terminal;

    const CSV: &str = "客户名称,联系人,手机,城市,所属行业,客户状态,负责人,首次接触\n\
        北京星辰科技有限公司,张伟,13800001111,北京,信息技术,意向客户,wang,2026-01-05\n\
        上海云帆贸易有限公司,李娜,139-0000-2222,上海,批发和零售业,潜在客户,li,\n\
        深圳红树林制造有限公司,王强,13700003333,深圳,制造业,意向客户,wang,\n";

    fn import(wb: &mut Workbench, dir: &std::path::Path) {
        let path = dir.join("客户.csv");
        std::fs::write(&path, CSV).unwrap();
        let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap().and_hms_opt(9, 30, 0).unwrap();
        wb.set_clock(Clock::fixed(at));
        wb.import(&path, &ImportOptions { source: "test".into(), ..Default::default() }, &mut |_| {}).unwrap();
    }

    fn workbench() -> Workbench {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbench::open_in_memory("tester").unwrap();
        import(&mut wb, dir.path());
        wb
    }

    fn app_of(wb: Workbench) -> App {
        App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, 80, 24)).unwrap()
    }

    fn id_of(wb: &Workbench, number: &str) -> i64 {
        wb.customer_by_number(number).unwrap().customer.id
    }

    fn stored(wb: &Workbench, number: &str) -> Customer {
        load(wb, id_of(wb, number)).unwrap()
    }

    /// Opens a form the way a pane does (`Effect::OpenForm`).
    fn open(app: &mut App, make: impl FnOnce(&Workbench, i64) -> Result<Form>, number: &str) {
        let id = id_of(app.workbench(), number);
        let mut form = make(app.workbench(), id).unwrap();
        // As the app does when a pane opens a form: key names from the keymap.
        form.set_keys(&app.keymap);
        app.overlay = Some(Overlay::Form(Box::new(form)));
    }

    fn form(app: &App) -> &Form {
        match &app.overlay {
            Some(Overlay::Form(f)) => f,
            _ => panic!("no form is open"),
        }
    }

    /// Moves to the field `key` with form.next, clears it and types `text`.
    fn set(app: &mut App, key: &str, text: &str) {
        for _ in 0..40 {
            if form(app).fields[form(app).focus].key == key {
                press(app, "<C-u>");
                typ(app, text);
                return;
            }
            press(app, "<Tab>");
        }
        panic!("no field {key}");
    }

    fn field<'a>(app: &'a App, key: &str) -> &'a FormField {
        form(app).fields.iter().find(|f| f.key == key).unwrap()
    }

    const N1: &str = "CRM2026-000001";
    const N2: &str = "CRM2026-000002";

    #[test]
    fn editing_a_field_and_saving_changes_the_customer_and_audits() {
        let mut app = app_of(workbench());
        open(&mut app, Form::edit_customer, N1);
        set(&mut app, "city", "天津");
        let s = screen(&app);
        assert!(s.contains("Edit — CRM2026-000001 北京星辰科技有限公司"), "{s}");
        assert!(s.contains("▶*城市") && s.contains("天津"), "{s}");
        insta::assert_snapshot!("edit_customer_80x24", s);
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_none(), "saving closes the form");
        assert_eq!(app.message(), Some(&Message::Info(format!("Saved {N1}: 城市 (version 2)"))));
        let c = stored(app.workbench(), N1);
        assert_eq!((c.city.as_deref(), c.version), (Some("天津市"), 2), "stored by its official name");
        let d = app.workbench().customer_by_number(N1).unwrap();
        assert_eq!(d.history[0].action, "customer.edit");
        assert_eq!(d.history[0].details["changes"][0]["field"], "city");
        assert_eq!(d.history[0].details["changes"][0]["new"], "天津市");
    }

    #[test]
    fn an_invalid_mobile_is_marked_inline_and_blocks_save_until_fixed() {
        let mut app = app_of(workbench());
        open(&mut app, Form::edit_customer, N1);
        set(&mut app, "mobile", "12345");
        press(&mut app, "<Tab>");
        let err = field(&app, "mobile").error.clone().unwrap_or_default();
        assert!(err.starts_with("[mobile.format] "), "marked as the user leaves the field: {err}");
        let s = screen(&app);
        assert!(s.contains("✗ [mobile.format]"), "{s}");
        insta::assert_snapshot!("edit_invalid_mobile_80x24", s);
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_some(), "an error blocks save");
        assert_eq!(form(&app).fields[form(&app).focus].key, "mobile", "save goes to the field to fix");
        assert_eq!(stored(app.workbench(), N1).mobile.as_deref(), Some("13800001111"));
        press(&mut app, "<C-u>");
        typ(&mut app, "139 1234 5678");
        assert!(field(&app, "mobile").error.is_none(), "typing clears the mark");
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_none());
        assert_eq!(stored(app.workbench(), N1).mobile.as_deref(), Some("13912345678"));
    }

    #[test]
    fn a_warning_needs_a_second_save() {
        let mut app = app_of(workbench());
        open(&mut app, Form::edit_customer, N1);
        set(&mut app, "last_followup", "2025-12-01");
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_some(), "the first save only warns");
        let w = field(&app, "last_followup").warning.clone().unwrap_or_default();
        assert!(w.starts_with("[date.order] "), "{w}");
        assert_eq!(stored(app.workbench(), N1).last_followup, None, "nothing saved yet");
        let s = screen(&app);
        assert!(s.contains("warnings: press C-s again to save anyway") && s.contains("⚠ warning [date.order]"), "{s}");
        insta::assert_snapshot!("edit_warning_80x24", s);
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_none());
        assert_eq!(stored(app.workbench(), N1).last_followup.as_deref(), Some("2025-12-01"));
    }

    #[test]
    fn editing_after_a_warning_asks_again() {
        let mut app = app_of(workbench());
        open(&mut app, Form::edit_customer, N1);
        set(&mut app, "last_followup", "2025-12-01");
        press(&mut app, "<C-s>");
        typ(&mut app, "x");
        press(&mut app, "<BS> <C-s>");
        assert!(app.overlay.is_some(), "a changed form is judged anew");
        assert!(form(&app).warnings_shown);
    }

    #[test]
    fn won_without_a_contract_is_refused_on_the_contract_field() {
        let mut app = app_of(workbench());
        open(&mut app, Form::change_status, N1);
        press(&mut app, "<C-o>");
        assert_eq!(field(&app, "status").input.text(), "成交客户", "C-o cycles the allowed statuses");
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_some());
        let err = field(&app, "contract_no").error.clone().unwrap_or_default();
        assert!(err.starts_with("[status.won_needs_contract] "), "{err}");
        assert!(field(&app, "status").error.is_none());
        assert_eq!(form(&app).fields[form(&app).focus].key, "contract_no");
        assert_eq!(stored(app.workbench(), N1).status.as_deref(), Some("意向客户"));
        let s = screen(&app);
        insta::assert_snapshot!("status_won_without_contract_80x24", s);
        typ(&mut app, "HT-2026-001");
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_none());
        assert_eq!(app.message(), Some(&Message::Info(format!("{N1}: 意向客户 → 成交客户"))));
        let c = stored(app.workbench(), N1);
        assert_eq!((c.status.as_deref(), c.contract_no.as_deref()), (Some("成交客户"), Some("HT-2026-001")));
    }

    #[test]
    fn lost_without_a_reason_is_refused_on_the_reason_field() {
        let mut app = app_of(workbench());
        open(&mut app, Form::change_status, N1);
        set(&mut app, "status", "流失");
        press(&mut app, "<C-s>");
        let err = field(&app, "reason").error.clone().unwrap_or_default();
        assert!(err.starts_with("[status.lost_needs_reason] ") && !err.contains("--"), "{err}");
        set(&mut app, "reason", "选了别家");
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_none());
        assert_eq!(stored(app.workbench(), N1).status.as_deref(), Some("流失客户"));
    }

    /// Issue 16, finding 15: Esc with unsaved changes asks, and the answer
    /// is `y` (discard) or `n`/Esc (keep editing) — never the key that asked;
    /// without changes Esc closes at once.
    #[test]
    fn finding_16_15_esc_on_an_unsaved_form_asks_y_or_n_not_esc_again() {
        let mut app = app_of(workbench());
        open(&mut app, Form::edit_customer, N1);
        press(&mut app, "<Esc>");
        assert!(app.overlay.is_none(), "no changes: closes at once");
        open(&mut app, Form::edit_customer, N1);
        set(&mut app, "city", "天津");
        press(&mut app, "<Esc>");
        assert!(app.overlay.is_some(), "the first Esc only asks");
        let s = screen(&app);
        assert!(s.contains("discard unsaved changes? y discard · n keep editing"), "{s}");
        assert!(s.contains("CONFIRM"), "{s}");
        insta::assert_snapshot!(s);
        // The key that asked does not answer: Esc again keeps editing.
        press(&mut app, "<Esc>");
        assert!(app.overlay.is_some(), "Esc again goes back to the form");
        assert!(!screen(&app).contains("discard unsaved changes?"));
        // While it asks, letters answer and are not typed into the field.
        press(&mut app, "<Esc>");
        press(&mut app, "x n");
        assert!(app.overlay.is_some(), "n keeps editing");
        assert_eq!(field(&app, "city").input.text(), "天津", "nothing typed while asking");
        press(&mut app, "<Esc> y");
        assert!(app.overlay.is_none(), "y discards");
        assert_eq!(
            stored(app.workbench(), N1).city.as_deref(),
            Some("北京市"),
            "the city as stored: its full official name"
        );
    }

    #[test]
    fn a_change_by_someone_else_is_shown_and_never_silently_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crm.db");
        let mut wb = Workbench::open(&db, OpenMode::Create, "tester").unwrap();
        import(&mut wb, dir.path());
        let mut app = app_of(wb);
        open(&mut app, Form::edit_customer, N1);
        set(&mut app, "city", "天津");
        // Another process changes the same customer meanwhile.
        let mut other = Workbench::open(&db, OpenMode::Existing, "tester").unwrap();
        other.set_clock(app.workbench().clock());
        let id = id_of(&other, N1);
        other
            .edit_customer(id, 1, &[(Field::City, Some("南京".into())), (Field::Priority, Some("高".into()))])
            .unwrap();
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_some(), "the stale save is refused");
        assert_eq!(stored(app.workbench(), N1).city.as_deref(), Some("南京市"), "theirs is not overwritten");
        let banner = form(&app).banner.join("\n");
        assert!(banner.contains("changed by someone else") && banner.contains("now version 2"), "{banner}");
        assert!(banner.contains("城市: yours `天津` · theirs `南京市`"), "{banner}");
        assert!(banner.contains("优先级: yours (empty) · theirs `高`"), "{banner}");
        assert_eq!(field(&app, "city").input.text(), "天津", "the user's edit is kept");
        assert_eq!(field(&app, "priority").input.text(), "高", "their value where the user typed nothing");
        // The other process's change is noticed (as the next poll would, at
        // most two seconds later): the counts follow, the editor stays.
        app.watch_now();
        app.settle();
        assert!(app.overlay.is_some());
        let s = screen(&app);
        insta::assert_snapshot!("edit_stale_80x24", s);
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_none(), "the second save is a deliberate overwrite");
        let c = stored(app.workbench(), N1);
        assert_eq!((c.city.as_deref(), c.priority.as_deref(), c.version), (Some("天津市"), Some("高"), 3));
    }

    #[test]
    fn a_status_change_made_meanwhile_is_detected() {
        let mut wb = workbench();
        let id = id_of(&wb, N1);
        let mut f = Form::change_status(&wb, id).unwrap();
        wb.change_status(N1, "成交", None, Some("HT-1"), None).unwrap();
        f.fields[0].input.set("流失");
        f.fields[1].input.set("没预算");
        assert!(matches!(f.handle_action(Action::FormSave, &mut wb), FormOutcome::Open));
        let banner = f.banner.join("\n");
        assert!(banner.contains("客户状态: yours `流失` · theirs `成交客户`"), "{banner}");
        assert!(banner.contains("合同编号: yours (empty) · theirs `HT-1`"), "{banner}");
        assert_eq!(stored(&wb, N1).status.as_deref(), Some("成交客户"));
        assert!(matches!(f.handle_action(Action::FormSave, &mut wb), FormOutcome::Saved(_)));
        assert_eq!(stored(&wb, N1).status.as_deref(), Some("流失客户"));
    }

    #[test]
    fn a_sales_user_sees_a_masked_phone_read_only() {
        let mut wb = workbench();
        wb.add_user("li", Role::Sales, None, None).unwrap();
        wb.act_as("li").unwrap();
        let mut app = app_of(wb);
        // N1 is wang's: li may see neither its phone nor edit its fields.
        open(&mut app, Form::edit_customer, N1);
        let m = field(&app, "mobile");
        assert!(matches!(m.lock, Some(Lock::Hidden(_))), "{:?}", m.lock);
        assert!(!m.input.text().contains("13800001111") && m.input.text().contains('*'), "{}", m.input.text());
        match &field(&app, "name").lock {
            Some(Lock::ReadOnly(why)) => assert!(why.contains("edit customer fields"), "{why}"),
            other => panic!("name should be read-only: {other:?}"),
        }
        set(&mut app, "mobile", "13999999999");
        assert!(!field(&app, "mobile").input.text().contains("1399"), "a locked field takes no typing");
        let s = screen(&app);
        assert!(s.contains("(hidden)") && s.contains("hidden: li (sales) may see sensitive"), "{s}");
        assert!(!s.contains("13800001111"));
        insta::assert_snapshot!("edit_masked_for_sales_80x24", s);
        press(&mut app, "<C-s>");
        assert_eq!(app.message(), Some(&Message::Info(format!("{N1}: nothing changed, nothing saved"))));
        // On li's own customer the phone shows; follow-up dates are li's to change.
        open(&mut app, Form::edit_customer, N2);
        assert!(matches!(field(&app, "mobile").lock, Some(Lock::ReadOnly(_))), "visible, not editable");
        assert!(field(&app, "next_followup").lock.is_none());
        assert_eq!(field(&app, "mobile").input.text(), "13900002222");
    }

    /// Found in a real 80x24 terminal: the reason a field is read-only was
    /// cut by the form's hint lines and the message log had nothing. The
    /// reasons now go to the log, in full, when the form opens.
    #[test]
    fn why_fields_are_locked_is_in_the_message_log_in_full() {
        let mut wb = workbench();
        wb.add_user("li", Role::Sales, None, None).unwrap();
        wb.act_as("li").unwrap();
        let mut app = app_of(wb);
        // The list opens on the first customer, N1 (wang's).
        press(&mut app, "e");
        assert!(screen(&app).contains(N1), "{}", screen(&app));
        assert!(matches!(app.overlay, Some(Overlay::Form(_))), "the edit form opened");
        let logged: Vec<String> = app
            .log
            .iter()
            .map(|l| match &l.message {
                Message::Info(m) | Message::Error(m) => m.clone(),
            })
            .collect();
        assert!(logged.iter().any(|m| m.contains("read-only: ") && m.contains("edit customer fields")), "{logged:?}");
        assert!(logged.iter().any(|m| m.contains("hidden: li (sales) may see sensitive")), "{logged:?}");
    }

    #[test]
    fn forms_the_role_may_not_use_do_not_open() {
        let mut wb = workbench();
        wb.add_user("li", Role::Sales, None, None).unwrap();
        wb.act_as("li").unwrap();
        let id = id_of(&wb, N1);
        let err = Form::reassign(&wb, id).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("reassign owners"), "{err}");
        assert!(Form::add_contact(&wb, id).is_err());
        assert!(Form::change_status(&wb, id).is_err(), "N1 is not li's");
        assert!(Form::change_status(&wb, id_of(&wb, N2)).is_ok());
    }

    #[test]
    fn a_new_customer_is_created_by_the_import_rules() {
        let mut app = app_of(workbench());
        app.overlay = Some(Overlay::Form(Box::new(Form::new_customer(app.workbench()).unwrap())));
        set(&mut app, "status", "成交");
        set(&mut app, "mobile", "13611112222");
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_some());
        let name = field(&app, "name").error.clone().unwrap_or_default();
        let contract = field(&app, "contract_no").error.clone().unwrap_or_default();
        assert!(contract.starts_with("[status.won_needs_contract]"), "{contract} / {name}");
        set(&mut app, "name", "杭州新客户有限公司");
        set(&mut app, "contract_no", "HT-9");
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_none(), "{:?}", app.message());
        let c = stored(app.workbench(), "CRM2026-000004");
        assert_eq!((c.name.as_str(), c.mobile.as_deref()), ("杭州新客户有限公司", Some("13611112222")));
        assert_eq!(app.message(), Some(&Message::Info("Created CRM2026-000004 杭州新客户有限公司".into())));
    }

    /// Found reviewing the change: in Chinese the warning said what the two
    /// share in code words (`name、mobile`).
    #[test]
    fn the_duplicate_warning_names_what_is_shared_in_the_users_language() {
        crate::i18n::set_thread_lang(crate::i18n::Lang::Zh);
        let mut app = app_of(workbench());
        app.settle();
        press(&mut app, "n");
        set(&mut app, "name", "星辰科技有限公司");
        set(&mut app, "mobile", "138 0000 1111");
        press(&mut app, "<C-s>");
        let banner = form(&app).banner.join("\n");
        crate::i18n::set_thread_lang(crate::i18n::Lang::En);
        assert!(banner.contains("名称、手机"), "{banner}");
        assert!(!banner.contains("mobile"), "{banner}");
    }

    /// Issue 16, finding 11: `n` with the name and mobile of an existing
    /// customer (here written differently: its core name, the mobile with
    /// spaces) names that customer before saving and offers to open it.
    #[test]
    fn finding_16_11_a_likely_duplicate_is_named_and_can_be_opened() {
        let mut app = app_of(workbench());
        app.settle();
        press(&mut app, "n");
        assert!(matches!(app.overlay, Some(Overlay::Form(_))));
        set(&mut app, "name", "星辰科技有限公司");
        set(&mut app, "mobile", "138 0000 1111");
        press(&mut app, "<C-s>");
        // Nothing saved yet: the existing customer is named, with what the two share.
        assert_eq!(app.workbench().customer_count().unwrap(), 3);
        let f = form(&app);
        assert_eq!(f.duplicates.iter().map(|d| d.number.as_str()).collect::<Vec<_>>(), vec![N1]);
        let s = screen(&app);
        assert!(s.contains("Possible duplicate"), "{s}");
        assert!(s.contains("CRM2026-000001 北京星辰科技有限公司 — same name, mobile"), "{s}");
        assert!(s.contains("possible duplicate: C-g opens it · C-s saves anyway"), "{s}");
        insta::assert_snapshot!("finding_16_11_duplicate_warning_80x24", s);
        // The hint line offers the key only now.
        assert!(app.offers(Action::FormOpenExisting));
        // Ctrl-G: the existing customer instead, nothing created.
        press(&mut app, "<C-g>");
        assert!(app.overlay.is_none());
        assert_eq!(app.focus(), crate::tui::Focus::Detail);
        assert_eq!(app.customers.detail.as_ref().map(|d| d.id), Some(id_of(app.workbench(), N1)));
        assert_eq!(app.workbench().customer_count().unwrap(), 3);
    }

    /// Issue 16, finding 11: saving anyway is a second save; the list then
    /// goes to the new customer. A new customer like no other saves at once.
    #[test]
    fn finding_16_11_save_anyway_and_the_cursor_goes_to_the_new_customer() {
        let mut app = app_of(workbench());
        app.settle();
        press(&mut app, "n");
        assert!(!app.offers(Action::FormOpenExisting), "no duplicate named yet");
        set(&mut app, "name", "张伟");
        set(&mut app, "kind", "person");
        set(&mut app, "mobile", "+86 138-0000-1111");
        press(&mut app, "<C-s>");
        assert!(screen(&app).contains("CRM2026-000001 北京星辰科技有限公司 — same mobile"), "{}", screen(&app));
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_none(), "{:?}", app.message());
        assert_eq!(app.message(), Some(&Message::Info("Created CRM2026-000004 张伟".into())));
        app.settle();
        let new = id_of(app.workbench(), "CRM2026-000004");
        assert_eq!(app.customers.selected_id(), Some(new));
        assert_eq!(app.customers.detail.as_ref().map(|d| d.id), Some(new));
        // Sorted by name, the new one is not last: the cursor still finds it.
        press(&mut app, "s");
        app.settle();
        press(&mut app, "g g n");
        set(&mut app, "name", "安徽远洋物流有限公司");
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_none(), "{}", screen(&app));
        app.settle();
        let newer = id_of(app.workbench(), "CRM2026-000005");
        assert_eq!(app.customers.selected_id(), Some(newer));
        assert_ne!(app.customers.selected, app.customers.ids.len() - 1);
    }

    #[test]
    fn a_contact_needs_a_name_and_valid_numbers() {
        let mut app = app_of(workbench());
        open(&mut app, Form::add_contact, N1);
        set(&mut app, "email", "not-an-address");
        press(&mut app, "<C-s>");
        assert_eq!(field(&app, "name").error.as_deref(), Some("required"));
        assert!(field(&app, "email").error.as_deref().unwrap_or_default().starts_with("[email.format]"));
        set(&mut app, "name", "赵敏");
        set(&mut app, "email", "zhao@example.com");
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_none(), "{:?}", app.message());
        let d = app.workbench().customer_by_number(N1).unwrap();
        assert!(d.contacts.iter().any(|c| c.name == "赵敏" && c.email.as_deref() == Some("zhao@example.com")));
    }

    #[test]
    fn an_interaction_is_logged_with_its_next_follow_up() {
        let mut app = app_of(workbench());
        open(&mut app, Form::log_interaction, N1);
        assert_eq!(field(&app, "at").input.text(), "2026-03-02", "today by default");
        press(&mut app, "<C-o>");
        assert_eq!(field(&app, "kind").input.text(), "visit");
        set(&mut app, "summary", "上门演示");
        set(&mut app, "contact", "");
        press(&mut app, "<C-o>");
        assert_eq!(field(&app, "contact").input.text(), "张伟", "C-o offers the customer's contacts");
        set(&mut app, "next", "2026-01-01");
        press(&mut app, "<C-s>");
        let err = field(&app, "next").error.clone().unwrap_or_default();
        assert!(err.contains("cannot be in the past") && !err.starts_with("--"), "{err}");
        let s = screen(&app);
        insta::assert_snapshot!("log_interaction_80x24", s);
        set(&mut app, "next", "2026-03-09");
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_none(), "{:?}", app.message());
        let c = stored(app.workbench(), N1);
        assert_eq!((c.last_followup.as_deref(), c.next_followup.as_deref()), (Some("2026-03-02"), Some("2026-03-09")));
        let d = app.workbench().customer_by_number(N1).unwrap();
        assert!(d.interactions.iter().any(|i| i.kind == "visit" && i.summary == "上门演示"));
    }

    #[test]
    fn completing_a_follow_up_logs_it_and_clears_the_reminder() {
        let mut wb = workbench();
        let id = id_of(&wb, N1);
        wb.edit_customer(id, 1, &[(Field::NextFollowup, Some("2026-03-01".into()))]).unwrap();
        let mut app = app_of(wb);
        let today = app.workbench().clock().today();
        let due = app.workbench().customer_reminders(id, today, today).unwrap();
        assert_eq!(due.len(), 1, "the planned follow-up is overdue");
        let mut form = Form::complete_followup(app.workbench(), id, None).unwrap();
        form.set_keys(&app.keymap);
        app.overlay = Some(Overlay::Form(Box::new(form)));
        set(&mut app, "summary", "电话回访");
        set(&mut app, "next", "2026-03-16");
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_none(), "{:?}", app.message());
        match app.message() {
            Some(Message::Info(m)) => assert!(m.contains("follow-up(s) done") && m.contains("2026-03-16"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(app.workbench().customer_reminders(id, today, today).unwrap().is_empty());
        assert_eq!(stored(app.workbench(), N1).next_followup.as_deref(), Some("2026-03-16"));
    }

    #[test]
    fn an_unknown_interaction_kind_is_marked() {
        let mut app = app_of(workbench());
        open(&mut app, Form::log_interaction, N1);
        set(&mut app, "kind", "lunch");
        press(&mut app, "<Tab>");
        assert!(field(&app, "kind").error.as_deref().unwrap_or_default().starts_with("[interaction.kind]"));
    }

    #[test]
    fn reassigning_changes_the_owner() {
        let mut wb = workbench();
        wb.add_user("li", Role::Sales, None, None).unwrap();
        let mut app = app_of(wb);
        open(&mut app, Form::reassign, N1);
        assert!(field(&app, "owner").options.contains(&"li".to_string()));
        set(&mut app, "owner", "li");
        press(&mut app, "<C-s>");
        assert!(app.overlay.is_none());
        assert_eq!(stored(app.workbench(), N1).owner.as_deref(), Some("li"));
    }

    #[test]
    fn long_forms_scroll_to_the_focused_field_and_cjk_keeps_the_cursor() {
        let mut app = app_of(workbench());
        open(&mut app, Form::edit_customer, N1);
        press(&mut app, "<S-Tab>");
        assert_eq!(form(&app).fields[form(&app).focus].key, "notes");
        let s = screen(&app);
        assert!(s.contains("▶ 备注") && s.contains("/27"), "{s}");
        insta::assert_snapshot!("edit_scrolled_to_last_80x24", s);
        press(&mut app, "<Tab>");
        set(&mut app, "city", "乌鲁木齐");
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        let mut cursor = None;
        t.draw(|f| cursor = form(&app).render(f, Rect::new(0, 1, 80, 21), Theme { color: false })).unwrap();
        let (x, y) = cursor.unwrap();
        let start = (0..80u16).find(|c| t.backend().buffer()[(*c, y)].symbol() == "乌").unwrap();
        // Four CJK characters are eight columns: the cursor sits right after them.
        assert_eq!(x, start + 8);
    }

    #[test]
    fn the_customer_editor_at_160x48_shows_every_field() {
        let mut app = app_of(workbench());
        app.resize(Rect::new(0, 0, 160, 48));
        open(&mut app, Form::edit_customer, N1);
        let s = screen(&app);
        assert!(!s.contains("/27 "), "no scrolling needed: {s}");
        assert!(s.contains("客户名称") && s.contains("备注"), "{s}");
        insta::assert_snapshot!("edit_customer_160x48", s);
    }

    #[test]
    fn losing_a_customer_in_the_customer_editor_points_to_the_status_editor() {
        let mut app = app_of(workbench());
        open(&mut app, Form::edit_customer, N1);
        set(&mut app, "status", "流失");
        press(&mut app, "<C-s>");
        let err = field(&app, "status").error.clone().unwrap_or_default();
        assert!(err.starts_with("[status.lost_needs_reason] ") && err.contains("status editor"), "{err}");
        assert_eq!(stored(app.workbench(), N1).status.as_deref(), Some("意向客户"));
    }

    #[test]
    fn hostile_values_show_inert() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        std::fs::write(
            &path,
            "客户名称,手机,备注\n反转\u{202E}moc.evil有限公司,13500001111,红字\x1b[31m备注\u{202E}gnp.exe\n",
        )
        .unwrap();
        let mut wb = Workbench::open_in_memory("tester").unwrap();
        wb.import(&path, &ImportOptions { source: "bad".into(), ..Default::default() }, &mut |_| {}).unwrap();
        let mut app = app_of(wb);
        open(&mut app, Form::edit_customer, N1);
        press(&mut app, "<S-Tab>");
        let s = screen(&app);
        assert!(!s.contains('\u{202E}') && !s.contains('\x1b'), "{s}");
        assert!(s.contains("<U+202E>gnp.exe"), "{s}");
        assert!(!form(&app).is_dirty(), "showing a value is no change to it");
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_inside_cjk() {
        assert_eq!(wrap("now version 2; nothing", 12), ["now version", "2; nothing"]);
        assert_eq!(wrap("北京星辰科技", 5), ["北京", "星辰", "科技"]);
        assert_eq!(wrap("aaa bbb ccc ddd", 7), ["aaa bbb", "ccc ddd"]);
        assert_eq!(wrap_max("aaa bbb ccc ddd eee", 7, 2), ["aaa bbb", "ccc dd…"]);
        assert_eq!(wrap_max("aaa bbb ccc dd eee", 7, 2), ["aaa bbb", "ccc dd…"]);
    }

    #[test]
    fn prompts_still_reply() {
        let mut wb = workbench();
        let mut f = Form::prompt("Snooze", &[("Days", "3")], PaneId::Followups, 7);
        assert!(matches!(
            f.handle_action(Action::FormNext, &mut wb),
            FormOutcome::Reply { pane: PaneId::Followups, tag: 7, values } if values == ["3"]
        ));
        assert!(matches!(f.handle_action(Action::FormCancel, &mut wb), FormOutcome::Cancelled));
    }
}
