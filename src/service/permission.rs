//! Who may do what. Today one check (changing the reminder rules is for
//! admins); the access issue grows this into field-level rights by role.
//! Every guarded service call goes through `Workbench::authorize`, so that
//! growth happens here and nowhere else.

use super::Workbench;
use crate::domain::Role;
use crate::error::{Error, Result};

/// An action that not every user may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Replace the reminder rules everyone sees.
    ManageReminderRules,
}

impl Permission {
    fn describe(self) -> &'static str {
        match self {
            Permission::ManageReminderRules => "change the reminder rules",
        }
    }

    fn allowed(self, role: Role) -> bool {
        match self {
            Permission::ManageReminderRules => role == Role::Admin,
        }
    }
}

impl Workbench {
    /// Refuses, naming the user, their role and the action, unless the
    /// acting user may take it.
    pub fn authorize(&self, p: Permission) -> Result<()> {
        match self.role()? {
            Some(role) if p.allowed(role) => Ok(()),
            Some(role) => {
                Err(Error::Refused(format!("{} is {}; only an admin may {}", self.actor, role.as_str(), p.describe())))
            }
            None => Err(Error::Refused(format!(
                "{} is not a user of this database; only an admin may {}",
                self.actor,
                p.describe()
            ))),
        }
    }
}
