//! Records that hang off a customer: phones, e-mails, contacts,
//! interactions, raw source rows, import batches, audit entries, users.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PhoneKind {
    Mobile,
    Landline,
}

impl PhoneKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneKind::Mobile => "mobile",
            PhoneKind::Landline => "landline",
        }
    }
    pub fn parse(s: &str) -> Option<PhoneKind> {
        match s {
            "mobile" => Some(PhoneKind::Mobile),
            "landline" => Some(PhoneKind::Landline),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phone {
    pub id: i64,
    pub kind: PhoneKind,
    pub number: String,
    pub is_primary: bool,
    pub source_record_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Email {
    pub id: i64,
    pub email: String,
    pub is_primary: bool,
    pub source_record_id: Option<i64>,
}

/// A person at a customer: the decision maker, the technical director…
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Contact {
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub title: Option<String>,
    pub mobile: Option<String>,
    pub landline: Option<String>,
    pub email: Option<String>,
    pub notes: Option<String>,
    pub source_record_id: Option<i64>,
}

/// One contact event: call, visit, email, meeting, quote, ticket, event, note.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Interaction {
    pub id: i64,
    pub customer_id: i64,
    pub contact_id: Option<i64>,
    /// ISO date (`YYYY-MM-DD`), optionally with a time.
    pub at: String,
    pub kind: String,
    pub summary: String,
    pub by: Option<String>,
    pub source_record_id: Option<i64>,
}

/// A raw row exactly as read from a source file, for provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceRecord {
    pub id: i64,
    pub source: String,
    pub source_key: String,
    pub batch_id: i64,
    /// 1-based data row number in its file (header excluded).
    pub row_number: i64,
    /// The header row of the batch that last wrote this record.
    pub headers: Vec<String>,
    /// The cells, byte for byte as decoded from the file.
    pub values: Vec<String>,
    pub customer_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchStatus {
    Running,
    Complete,
    Incomplete,
    /// Part-way through an undo (`imports undo` again continues it).
    Undoing,
    Undone,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Running => "running",
            BatchStatus::Complete => "complete",
            BatchStatus::Incomplete => "incomplete",
            BatchStatus::Undoing => "undoing",
            BatchStatus::Undone => "undone",
        }
    }
    pub fn parse(s: &str) -> Option<BatchStatus> {
        Some(match s {
            "running" => BatchStatus::Running,
            "complete" => BatchStatus::Complete,
            "incomplete" => BatchStatus::Incomplete,
            "undoing" => BatchStatus::Undoing,
            "undone" => BatchStatus::Undone,
            _ => return None,
        })
    }
}

/// One run of the importer over one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportBatch {
    pub id: i64,
    pub source: String,
    pub file_name: String,
    pub actor: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: BatchStatus,
    pub rows_read: i64,
    pub rows_imported: i64,
    pub rows_updated: i64,
    pub rows_unchanged: i64,
    pub rows_warned: i64,
    pub rows_rejected: i64,
    /// `--reminders-from`: its customers' events before this day raise no
    /// reminder (history); `None`: every date counts.
    pub reminders_from: Option<String>,
    /// Blank rows of the file, passed over (not data, not rejected).
    pub rows_blank: i64,
}

/// One append-only audit row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub customer_id: Option<i64>,
    pub details: serde_json::Value,
    /// The admin who acted as `actor` (`--as`), if it was not the actor.
    pub real_actor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Manager,
    Sales,
    Service,
    Marketing,
    Steward,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::Admin, Role::Manager, Role::Sales, Role::Service, Role::Marketing, Role::Steward];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Sales => "sales",
            Role::Service => "service",
            Role::Marketing => "marketing",
            Role::Steward => "steward",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.as_str() == s || (s == "data-steward" && *r == Role::Steward))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub role: Role,
    pub manager: Option<String>,
    pub disabled: bool,
}

/// The kinds of interaction a person logs. Imports may carry other kinds
/// (whatever a source calls its rows); these are the ones the CLI and TUI offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InteractionKind {
    Call,
    Visit,
    Email,
    Meeting,
    Quote,
    Ticket,
    Event,
    Note,
}

impl InteractionKind {
    pub const ALL: [InteractionKind; 8] = [
        InteractionKind::Call,
        InteractionKind::Visit,
        InteractionKind::Email,
        InteractionKind::Meeting,
        InteractionKind::Quote,
        InteractionKind::Ticket,
        InteractionKind::Event,
        InteractionKind::Note,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InteractionKind::Call => "call",
            InteractionKind::Visit => "visit",
            InteractionKind::Email => "email",
            InteractionKind::Meeting => "meeting",
            InteractionKind::Quote => "quote",
            InteractionKind::Ticket => "ticket",
            InteractionKind::Event => "event",
            InteractionKind::Note => "note",
        }
    }

    pub fn parse(s: &str) -> Option<InteractionKind> {
        Some(match s.trim().to_lowercase().as_str() {
            "call" | "phone" | "电话" | "通话" | "来电" | "去电" => InteractionKind::Call,
            "visit" | "拜访" | "上门" | "面访" => InteractionKind::Visit,
            "email" | "e-mail" | "mail" | "邮件" => InteractionKind::Email,
            "meeting" | "会议" | "会面" | "开会" => InteractionKind::Meeting,
            "quote" | "quotation" | "报价" | "报价单" => InteractionKind::Quote,
            "ticket" | "工单" | "服务" => InteractionKind::Ticket,
            "event" | "活动" | "展会" | "报名" => InteractionKind::Event,
            "note" | "备注" | "记录" => InteractionKind::Note,
            _ => return None,
        })
    }

    /// Whether it is contact with the customer, and so a follow-up: a note
    /// is written about a customer, not with them.
    pub fn is_contact(self) -> bool {
        self != InteractionKind::Note
    }
}
