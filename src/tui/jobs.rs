//! Background jobs: long work (counts, the fuzzy filter, imports, matching)
//! runs on its own thread with its own database connection and reports
//! progress and results over a channel, so no job ever freezes the UI.
//!
//! A job is a closure over a `Workbench` and a `JobCtl`. Its output is a
//! boxed value the pane that started it downcasts. For an in-memory database
//! (tests), which no second connection can see, a job runs inline at spawn
//! time on the app's own connection; everything it reports is still
//! delivered through the channel on the next `poll`, so both paths look the
//! same to a pane.

use super::pane::PaneId;
use crate::error::Result;
use crate::service::Workbench;
use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

pub(crate) type JobId = u64;
pub(crate) type Output = Box<dyn Any + Send>;

/// What a job reports.
pub(crate) enum JobEvent {
    /// `done` of `total` units (total 0: unknown), and what it is doing.
    Progress { done: u64, total: u64, note: String },
    /// A partial result, for jobs that stream (the filter).
    Partial(Output),
    /// The job ended: its output, or why it failed (or that it was cancelled).
    Done(std::result::Result<Output, String>),
}

/// The job's side of the channel.
pub(crate) struct JobCtl {
    id: JobId,
    tx: Sender<(JobId, JobEvent)>,
    cancel: Arc<AtomicBool>,
}

impl JobCtl {
    pub fn progress(&self, done: u64, total: u64, note: impl Into<String>) {
        let _ = self.tx.send((self.id, JobEvent::Progress { done, total, note: note.into() }));
    }

    pub fn partial<T: Any + Send>(&self, value: T) {
        let _ = self.tx.send((self.id, JobEvent::Partial(Box::new(value))));
    }

    /// Whether the user cancelled; long jobs check it between units of work.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// The flag itself, for service calls that take one (import).
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.cancel)
    }
}

/// A job the status bar shows.
pub(crate) struct Running {
    pub id: JobId,
    pub owner: PaneId,
    pub label: String,
    /// Shown in the status bar; a job the user did not start (counts, the
    /// filter) is quiet.
    pub visible: bool,
    pub done: u64,
    pub total: u64,
    pub note: String,
    cancel: Arc<AtomicBool>,
}

impl Running {
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

type PureWork = Box<dyn FnOnce() + Send>;

pub(crate) struct Jobs {
    tx: Sender<(JobId, JobEvent)>,
    rx: Receiver<(JobId, JobEvent)>,
    pub running: Vec<Running>,
    next: JobId,
    /// The one thread that runs work needing no database, one job after
    /// another: a search per keystroke on threads of their own would each
    /// leave an allocator arena behind, and a cancelled search ends within
    /// a slice anyway.
    pure: Option<Sender<PureWork>>,
}

impl Default for Jobs {
    fn default() -> Self {
        let (tx, rx) = channel();
        Jobs { tx, rx, running: Vec::new(), next: 1, pure: None }
    }
}

impl Jobs {
    /// Starts `work` on its own thread (or inline, for an in-memory
    /// database). `visible` jobs show in the status bar and can be cancelled
    /// by the user.
    pub fn spawn<F>(&mut self, wb: &mut Workbench, owner: PaneId, label: &str, visible: bool, work: F) -> JobId
    where
        F: FnOnce(&mut Workbench, &JobCtl) -> Result<Output> + Send + 'static,
    {
        let id = self.next;
        self.next += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        self.running.push(Running {
            id,
            owner,
            label: label.to_string(),
            visible,
            done: 0,
            total: 0,
            note: String::new(),
            cancel: Arc::clone(&cancel),
        });
        let ctl = JobCtl { id, tx: self.tx.clone(), cancel };
        // A job that waited out the busy timeout says who holds the lock.
        let db = wb.store().path().to_path_buf();
        let finish = move |ctl: &JobCtl, r: Result<Output>| {
            let r = r.map_err(|e| crate::service::explain_busy(&db, e).to_string());
            let _ = ctl.tx.send((ctl.id, JobEvent::Done(r)));
        };
        // The job speaks the language of the thread that started it.
        let lang = crate::i18n::lang();
        match wb.reopen() {
            Ok(Some(mut own)) => {
                let spawned = std::thread::Builder::new().name(format!("crmwb-job-{id}")).spawn(move || {
                    crate::i18n::set_thread_lang(lang);
                    // A panic in a job must not take the UI down with it.
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut own, &ctl)));
                    let r = r.unwrap_or_else(|p| {
                        let why = p
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| p.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "unknown panic".into());
                        Err(crate::error::Error::Other(format!("the job failed: {why}")))
                    });
                    finish(&ctl, r);
                });
                if let Err(e) = spawned {
                    let _ = self.tx.send((id, JobEvent::Done(Err(format!("cannot start a thread: {e}")))));
                }
            }
            Ok(None) => {
                let r = work(wb, &ctl);
                finish(&ctl, r);
            }
            Err(e) => {
                let _ = self.tx.send((id, JobEvent::Done(Err(format!("cannot open the database again: {e}")))));
            }
        }
        id
    }

    /// Starts work that needs no database (the fuzzy filter over an index
    /// already in memory) on its own thread.
    pub fn spawn_pure<F>(&mut self, owner: PaneId, label: &str, work: F) -> JobId
    where
        F: FnOnce(&JobCtl) -> std::result::Result<Output, String> + Send + 'static,
    {
        let id = self.next;
        self.next += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        self.running.push(Running {
            id,
            owner,
            label: label.to_string(),
            visible: false,
            done: 0,
            total: 0,
            note: String::new(),
            cancel: Arc::clone(&cancel),
        });
        let ctl = JobCtl { id, tx: self.tx.clone(), cancel };
        let lang = crate::i18n::lang();
        let job: PureWork = Box::new(move || {
            crate::i18n::set_thread_lang(lang);
            // A cancelled job still reports its end, so its owner can forget it.
            let r = if ctl.cancelled() {
                Err("cancelled".to_string())
            } else {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&ctl)))
                    .unwrap_or_else(|_| Err("the job failed".to_string()))
            };
            let _ = ctl.tx.send((ctl.id, JobEvent::Done(r)));
        });
        if self.pure.is_none() {
            let (ptx, prx) = channel::<PureWork>();
            let started = std::thread::Builder::new().name("crmwb-search".into()).spawn(move || {
                for job in prx {
                    job();
                }
            });
            match started {
                Ok(_) => self.pure = Some(ptx),
                Err(e) => {
                    let _ = self.tx.send((id, JobEvent::Done(Err(format!("cannot start a thread: {e}")))));
                    return id;
                }
            }
        }
        if let Some(Err(e)) = self.pure.as_ref().map(|p| p.send(job)) {
            // The worker is gone (it can only end by a panic outside a job): run it here.
            (e.0)();
        }
        id
    }

    /// Everything reported since the last poll, in order. Progress is
    /// folded into `running`; a `Done` removes the job.
    pub fn poll(&mut self) -> Vec<(JobId, PaneId, JobEvent)> {
        let mut out = Vec::new();
        while let Ok((id, ev)) = self.rx.try_recv() {
            let Some(pos) = self.running.iter().position(|r| r.id == id) else { continue };
            let owner = self.running[pos].owner;
            match &ev {
                JobEvent::Progress { done, total, note } => {
                    let r = &mut self.running[pos];
                    r.done = *done;
                    r.total = *total;
                    r.note = note.clone();
                }
                JobEvent::Done(_) => {
                    self.running.remove(pos);
                }
                JobEvent::Partial(_) => {}
            }
            out.push((id, owner, ev));
        }
        out
    }

    /// Cancels one job; its owner still gets its `Done`.
    pub fn cancel(&mut self, id: JobId) {
        if let Some(r) = self.running.iter().find(|r| r.id == id) {
            r.cancel();
        }
    }

    /// Cancels the newest job the user can see; returns its label.
    pub fn cancel_visible(&mut self) -> Option<String> {
        let r = self.running.iter().rev().find(|r| r.visible)?;
        r.cancel();
        Some(r.label.clone())
    }

    pub fn visible(&self) -> impl Iterator<Item = &Running> {
        self.running.iter().filter(|r| r.visible)
    }
}
