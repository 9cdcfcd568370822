//! Named actions: what a key means, independent of which key it is.
//!
//! Keymaps, the help overlay and the command palette refer to actions by
//! these names, so a name never changes once shipped; new actions may be
//! added. Each action also has a title: what the palette lists and what help
//! shows when a keymap gives no description.

use serde::{Deserialize, Serialize};

macro_rules! actions {
    ($( $(#[$doc:meta])* $var:ident = $name:literal, $title:literal; )*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Action {
            $( $(#[$doc])* #[serde(rename = $name)] $var, )*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[ $( Action::$var, )* ];

            /// The name used in keymap files; the same string serde writes.
            pub fn name(self) -> &'static str {
                match self { $( Action::$var => $name, )* }
            }

            /// A short imperative title, for the palette.
            pub fn title(self) -> &'static str {
                match self { $( Action::$var => $title, )* }
            }
        }
    };
}

actions! {
    Quit = "app.quit", "Quit";
    Refresh = "app.refresh", "Reload everything from the database";
    HelpToggle = "help.toggle", "Show all keys";
    HelpClose = "help.close", "Close help";
    PaletteOpen = "palette.open", "Command palette";
    FilterOpen = "filter.open", "Filter customers (fuzzy)";
    FilterClear = "filter.clear", "Clear the filter and quick filters";
    JobCancel = "job.cancel", "Cancel the running job";
    LogOpen = "log.open", "Show the message log";
    LogClose = "log.close", "Close the message log";

    PaneNext = "pane.next", "Next pane";
    PanePrev = "pane.prev", "Previous pane";
    PaneCustomers = "pane.customers", "Go to Customers";
    PaneDuplicates = "pane.duplicates", "Go to Duplicates";
    PaneFollowups = "pane.followups", "Go to Follow-ups";
    PaneImports = "pane.imports", "Go to Imports";
    PaneQuality = "pane.quality", "Go to Quality";
    JumpBack = "jump.back", "Back to where you were (jump list)";
    JumpForward = "jump.forward", "Forward again (jump list)";

    FocusNext = "focus.next", "Switch between list and detail";
    FocusPrev = "focus.prev", "Switch between list and detail (back)";
    FocusList = "focus.list", "Back to the list";
    FocusDetail = "focus.detail", "Open the detail";

    CursorDown = "cursor.down", "Down";
    CursorUp = "cursor.up", "Up";
    PageDown = "cursor.page_down", "Page down";
    PageUp = "cursor.page_up", "Page up";
    HalfPageDown = "cursor.half_down", "Half a page down";
    HalfPageUp = "cursor.half_up", "Half a page up";
    Top = "cursor.top", "First";
    Bottom = "cursor.bottom", "Last";
    CursorLeft = "cursor.left", "Left / previous column";
    CursorRight = "cursor.right", "Right / next column";
    FieldNext = "field.next", "Next field";
    FieldPrev = "field.prev", "Previous field";

    SortNext = "sort.next", "Sort by the next column";
    SortReverse = "sort.reverse", "Reverse the sort order";
    QuickMine = "quick.mine", "Show only my customers (toggle)";
    QuickOverdue = "quick.overdue", "Show only overdue customers (toggle)";
    QuickIncomplete = "quick.incomplete", "Show only customers flagged 待完善 (toggle)";
    QuickStatus = "quick.status", "Show one status (cycles through the statuses)";
    QuickOwner = "quick.owner", "Show one owner (cycles through the owners listed)";
    QuickRule = "quick.rule", "Show one reminder rule (cycles through the rules listed)";

    MarkToggle = "mark.toggle", "Mark / unmark, and move on";
    MarkClear = "mark.clear", "Clear all marks";
    MergeMarked = "customer.merge_marked", "Merge the marked customers";
    CustomerNew = "customer.new", "New customer";
    CustomerEdit = "customer.edit", "Edit customer";
    CustomerStatus = "customer.status", "Change status";
    CustomerReassign = "customer.reassign", "Reassign owner";
    CustomerOpen = "customer.open", "Open the customer";
    ContactAdd = "contact.add", "Add a contact";
    InteractionLog = "interaction.log", "Log an interaction";

    ReviewApprove = "review.approve", "Approve: merge the cluster";
    ReviewReject = "review.reject", "Reject: not duplicates";
    ReviewDrop = "review.drop", "Drop the selected member from the cluster";
    ReviewSkip = "review.skip", "Skip this cluster for now";
    ReviewPick = "review.pick", "Keep this member's value for the field";
    MergeUndo = "merge.undo", "Undo the last merge";
    MatchRun = "match.run", "Find duplicates now";

    FollowupDone = "followup.done", "Done: log the follow-up";
    Snooze1d = "followup.snooze_1d", "Snooze 1 day";
    Snooze3d = "followup.snooze_3d", "Snooze 3 days";
    Snooze1w = "followup.snooze_1w", "Snooze 1 week";
    SnoozeCustom = "followup.snooze", "Snooze for…";

    ImportStart = "import.start", "Import a file";
    ImportOpen = "import.open", "Show the batch's log";
    ImportResume = "import.resume", "Resume an incomplete import";
    ImportUndo = "import.undo", "Undo an import batch";
    ImportMap = "import.map", "Map the selected column to another field (import preview)";
    ImportKey = "import.key", "Make the selected column the record key (import preview)";

    FormNext = "form.next", "Next field";
    FormPrev = "form.prev", "Previous field";
    FormSave = "form.save", "Save";
    FormCancel = "form.cancel", "Cancel";
    FormOption = "form.option", "Next allowed value";
    FormOpenExisting = "form.open_existing", "Open the existing customer instead (a possible duplicate)";

    InputAccept = "input.accept", "Accept";
    InputCancel = "input.cancel", "Cancel";

    ConfirmAccept = "confirm.accept", "Yes, do it";
    ConfirmReject = "confirm.reject", "No, go back";
}

impl Action {
    /// The actions that move a selection or scroll position up and down by
    /// rows, pages or to an end: every list and scrolling view takes them.
    pub fn scrolls(self) -> bool {
        matches!(
            self,
            Action::CursorDown
                | Action::CursorUp
                | Action::PageDown
                | Action::PageUp
                | Action::HalfPageDown
                | Action::HalfPageUp
                | Action::Top
                | Action::Bottom
        )
    }

    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_round_trip() {
        for &a in Action::ALL {
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{}\"", a.name()));
            assert_eq!(serde_json::from_str::<Action>(&format!("\"{}\"", a.name())).unwrap(), a);
            assert_eq!(Action::parse(a.name()), Some(a));
            assert!(!a.title().is_empty());
        }
        assert_eq!(Action::parse("cursor.dwn"), None);
    }

    #[test]
    fn names_are_unique_and_dotted() {
        let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
        assert!(names.iter().all(|n| n.contains('.') && n.is_ascii()));
        names.sort();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n);
    }
}
