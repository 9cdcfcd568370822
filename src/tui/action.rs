//! Named actions: what a key means, independent of which key it is.
//!
//! Keymaps, the help overlay and the command palette refer to actions by
//! these names, so a name never changes once shipped; new actions may be
//! added. Each action also has a title, in the message catalogue
//! (`action-…` in `locales/*.ftl`): what the palette lists and what help
//! shows when a keymap gives no description.

use serde::{Deserialize, Serialize};

macro_rules! actions {
    ($( $(#[$doc:meta])* $var:ident = $name:literal; )*) => {
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

            /// A short imperative title, for the palette: `action-{name}`
            /// in the message catalogue (dots as dashes), in the language
            /// in force.
            pub fn title(self) -> String {
                self.title_in(crate::i18n::lang())
            }

            pub fn title_in(self, lang: crate::i18n::Lang) -> String {
                crate::i18n::message_in(lang, &format!("action-{}", self.name().replace('.', "-")), None)
            }
        }
    };
}

actions! {
    Quit = "app.quit";
    Refresh = "app.refresh";
    HelpToggle = "help.toggle";
    HelpClose = "help.close";
    HelpSearch = "help.search";
    PaletteOpen = "palette.open";
    FilterOpen = "filter.open";
    FilterClear = "filter.clear";
    JobCancel = "job.cancel";
    LogOpen = "log.open";
    LogClose = "log.close";

    PaneNext = "pane.next";
    PanePrev = "pane.prev";
    PaneCustomers = "pane.customers";
    PaneDuplicates = "pane.duplicates";
    PaneFollowups = "pane.followups";
    PaneImports = "pane.imports";
    PaneQuality = "pane.quality";
    JumpBack = "jump.back";
    JumpForward = "jump.forward";

    FocusNext = "focus.next";
    FocusPrev = "focus.prev";
    FocusList = "focus.list";
    FocusDetail = "focus.detail";

    CursorDown = "cursor.down";
    CursorUp = "cursor.up";
    PageDown = "cursor.page_down";
    PageUp = "cursor.page_up";
    HalfPageDown = "cursor.half_down";
    HalfPageUp = "cursor.half_up";
    Top = "cursor.top";
    Bottom = "cursor.bottom";
    CursorLeft = "cursor.left";
    CursorRight = "cursor.right";
    FieldNext = "field.next";
    FieldPrev = "field.prev";

    SortNext = "sort.next";
    SortReverse = "sort.reverse";
    QuickMine = "quick.mine";
    QuickOverdue = "quick.overdue";
    QuickIncomplete = "quick.incomplete";
    QuickStatus = "quick.status";
    QuickOwner = "quick.owner";
    QuickRule = "quick.rule";

    MarkToggle = "mark.toggle";
    MarkClear = "mark.clear";
    MergeMarked = "customer.merge_marked";
    CustomerNew = "customer.new";
    CustomerEdit = "customer.edit";
    CustomerStatus = "customer.status";
    CustomerReassign = "customer.reassign";
    CustomerOpen = "customer.open";
    ContactAdd = "contact.add";
    InteractionLog = "interaction.log";

    ReviewApprove = "review.approve";
    ReviewReject = "review.reject";
    ReviewDrop = "review.drop";
    ReviewSkip = "review.skip";
    ReviewPick = "review.pick";
    MergeUndo = "merge.undo";
    MatchRun = "match.run";

    FollowupDone = "followup.done";
    Snooze1d = "followup.snooze_1d";
    Snooze3d = "followup.snooze_3d";
    Snooze1w = "followup.snooze_1w";
    SnoozeCustom = "followup.snooze";
    SnoozeUndo = "followup.undo_snooze";

    ImportStart = "import.start";
    ImportOpen = "import.open";
    ImportResume = "import.resume";
    ImportUndo = "import.undo";
    ImportMap = "import.map";
    ImportKey = "import.key";

    FormNext = "form.next";
    FormPrev = "form.prev";
    FormSave = "form.save";
    FormCancel = "form.cancel";
    FormOption = "form.option";
    FormOpenExisting = "form.open_existing";

    InputAccept = "input.accept";
    InputCancel = "input.cancel";

    ConfirmAccept = "confirm.accept";
    ConfirmReject = "confirm.reject";
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
            for lang in crate::i18n::Lang::ALL {
                let t = a.title_in(lang);
                assert!(!t.is_empty() && !t.starts_with("action-"), "{a} has no title in {lang:?}");
            }
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
