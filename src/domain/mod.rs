//! Plain domain types and pure rules. No I/O, no clock, no terminal.

pub mod customer;
pub mod fields;
pub mod mask;
pub mod records;
pub mod reminder;

pub use customer::{format_number, parse_number, Customer, CustomerKind, NameParts, Priority, Status, FLAG_INCOMPLETE};
pub use fields::{Field, FieldType, Target};
pub use records::*;
pub use reminder::{Reminder, Rule, RuleKind, Urgency};
pub mod validate;
