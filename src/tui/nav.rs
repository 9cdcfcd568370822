//! Where the user has been: a back stack and a forward stack of places
//! (vim's and helix's jump list, browser-style). A place is a pane with its
//! selection and scroll, so going back lands on the same row, not just the
//! same pane. Selections are kept by identity (customer, cluster, reminder),
//! not by index, so a list re-read in between still finds them.

use super::customers::Focus;
use super::pane::PaneId;

/// A place in one pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Spot {
    Customers {
        /// The selected customer, and its row when it is gone from the list.
        id: Option<i64>,
        index: usize,
        offset: usize,
        focus: Focus,
        /// The customer the detail shows (not always the selected one: a
        /// customer opened from another pane may be outside the list).
        detail: Option<i64>,
        detail_scroll: usize,
    },
    Duplicates {
        cluster: Option<i64>,
        index: usize,
        member: usize,
        field: usize,
    },
    Followups {
        /// (customer id, rule) of the selected reminder.
        item: Option<(i64, String)>,
        index: usize,
        offset: usize,
    },
    Imports {
        index: usize,
    },
    Quality {
        scroll: usize,
    },
}

impl Spot {
    pub fn pane(&self) -> PaneId {
        match self {
            Spot::Customers { .. } => PaneId::Customers,
            Spot::Duplicates { .. } => PaneId::Duplicates,
            Spot::Followups { .. } => PaneId::Followups,
            Spot::Imports { .. } => PaneId::Imports,
            Spot::Quality { .. } => PaneId::Quality,
        }
    }
}

/// Places kept each way; older ones are forgotten.
const DEPTH: usize = 100;

#[derive(Debug, Default)]
pub(crate) struct Nav {
    back: Vec<Spot>,
    forward: Vec<Spot>,
    /// The customer opened from another pane (`Enter` on a follow-up or a
    /// cluster member): `Esc` in its detail goes back there.
    pub opened: Option<i64>,
}

impl Nav {
    /// Leaving `from` for somewhere new: it is the way back, and what was
    /// ahead is dropped (as a browser does after a new link).
    pub fn record(&mut self, from: Spot) {
        self.opened = None;
        if self.back.last() != Some(&from) {
            self.back.push(from);
            if self.back.len() > DEPTH {
                self.back.remove(0);
            }
        }
        self.forward.clear();
    }

    /// The place before `here`; `here` becomes the way forward.
    pub fn back(&mut self, here: Spot) -> Option<Spot> {
        let to = self.back.pop()?;
        self.opened = None;
        self.forward.push(here);
        Some(to)
    }

    /// The place `back` left; `here` becomes the way back again.
    pub fn forward(&mut self, here: Spot) -> Option<Spot> {
        let to = self.forward.pop()?;
        self.opened = None;
        self.back.push(here);
        Some(to)
    }

    pub fn can_back(&self) -> bool {
        !self.back.is_empty()
    }

    pub fn can_forward(&self) -> bool {
        !self.forward.is_empty()
    }

    /// Where `Esc` in the detail of `customer` goes: the pane it was opened from.
    pub fn returns_from(&self, customer: Option<i64>) -> bool {
        customer.is_some() && self.opened == customer && self.back.last().is_some_and(|s| s.pane() != PaneId::Customers)
    }
}
