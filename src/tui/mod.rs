//! The terminal UI. ratatui and crossterm live only below this module.
//!
//! Input → keymap → `Action` → `App::update` (which reads the database when
//! state changes) → `view::render` (which only reads `App`). One draw per
//! batch of events; ratatui diffs frames, so nothing flickers.

mod action;
mod app;
pub(crate) mod customers;
mod detail;
mod duplicates;
mod followups;
mod form;
mod imports;
mod input;
mod jobs;
mod keymap;
mod nav;
mod palette;
mod pane;
mod quality;
mod search;
mod view;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use action::Action;
pub use app::{App, Message, Probe};
pub use customers::Focus;
pub use keymap::{
    load_active_keymap, load_keymap, load_with_user, parse_seq, user_keymap_path, Binding, Context, Key, Keymap,
    Resolution,
};
pub use pane::PaneId;
pub use view::{render, Theme};

use crate::error::{Error, Result};
use crate::service::Workbench;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::{cursor, event, execute, terminal};
use ratatui::layout::Rect;
use ratatui::Terminal;
use std::io::{self, IsTerminal, Stdout};
use std::panic::PanicHookInfo;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Options from the command line.
#[derive(Debug, Clone, Default)]
pub struct TuiOptions {
    /// `--keymap NAME|FILE`.
    pub keymap: Option<String>,
}

/// How long the loop waits for input before checking for signals.
const TICK: Duration = Duration::from_millis(250);
/// The same while a background job runs, so its progress moves smoothly.
const BUSY_TICK: Duration = Duration::from_millis(50);

/// Whether the terminal is in raw mode on the alternate screen, so the
/// panic hook, the guard and the normal exit restore it exactly once.
static ACTIVE: AtomicBool = AtomicBool::new(false);

fn enter_terminal() -> io::Result<()> {
    // Marked first: if entering fails half-way, restoring undoes the half.
    ACTIVE.store(true, Ordering::SeqCst);
    terminal::enable_raw_mode()?;
    execute!(io::stdout(), terminal::EnterAlternateScreen, cursor::Hide, event::EnableBracketedPaste)
}

fn restore_terminal() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = execute!(io::stdout(), event::DisableBracketedPaste, terminal::LeaveAlternateScreen, cursor::Show);
        let _ = terminal::disable_raw_mode();
    }
}

/// Restores the terminal however `run` is left: return, `?` or unwinding.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// After a hang-up the terminal is gone and crossterm may spin inside
/// `event::read` on end-of-file, never returning to the loop that checks
/// the stop flag. This thread sees the signal too: it gives the loop a
/// moment to stop cleanly, then restores the terminal and ends the process
/// (exit status 128 + signal). Nothing is lost: every change is its own
/// transaction, and an uncommitted one is rolled back by SQLite.
fn spawn_watchdog(stop: Arc<AtomicBool>) -> Result<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT])?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("crmwb-signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                stop.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(500));
                if ACTIVE.load(Ordering::SeqCst) {
                    restore_terminal();
                    std::process::exit(128 + sig);
                }
            }
        })
        .map_err(|e| Error::Other(format!("cannot start the signal thread: {e}")))?;
    Ok(handle)
}

type PanicHook = Box<dyn Fn(&PanicHookInfo<'_>) + Send + Sync + 'static>;

/// Runs the workbench until the user quits or a SIGTERM/SIGHUP/SIGINT
/// arrives; the terminal is restored in every case, including a panic.
pub fn run(wb: Workbench, opts: TuiOptions) -> Result<()> {
    // A bad keymap is reported on a normal screen, before raw mode.
    let keymap = load_active_keymap(opts.keymap.as_deref())?;
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        return Err(Error::Other(
            "the workbench needs a terminal; for output a script can read, use `crmwb customers`".into(),
        ));
    }
    let theme = Theme::from_env();

    let stop = Arc::new(AtomicBool::new(false));
    let mut signals = Vec::new();
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP, signal_hook::consts::SIGINT] {
        signals.push(signal_hook::flag::register(sig, Arc::clone(&stop))?);
    }
    let watchdog = spawn_watchdog(Arc::clone(&stop))?;

    let previous: Arc<PanicHook> = Arc::new(std::panic::take_hook());
    let chained = Arc::clone(&previous);
    std::panic::set_hook(Box::new(move |info| {
        // Restore first, or the panic message lands on the alternate screen and vanishes.
        restore_terminal();
        chained(info)
    }));

    let result = (|| -> Result<()> {
        let _guard = TerminalGuard;
        enter_terminal()?;
        let mut term = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        let s = term.size()?;
        let mut app = App::new(wb, keymap, theme, Rect::new(0, 0, s.width, s.height))?;
        event_loop(&mut term, &mut app, &stop)
    })();

    watchdog.close();
    restore_terminal();
    let _ = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| previous(info)));
    for id in signals {
        signal_hook::low_level::unregister(id);
    }
    result
}

/// Events handled between two frames at most.
const MAX_EVENTS_PER_FRAME: usize = 256;

fn event_loop(term: &mut Terminal<CrosstermBackend<Stdout>>, app: &mut App, stop: &AtomicBool) -> Result<()> {
    let mut dirty = true;
    loop {
        if dirty {
            // Catches a resize whose event was lost (e.g. while suspended).
            let s = term.size()?;
            if (s.width, s.height) != (app.size.width, app.size.height) {
                app.resize(Rect::new(0, 0, s.width, s.height));
            }
            term.draw(|f| render(app, f))?;
            dirty = false;
        }
        if app.should_quit() || stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        // Job progress arrives between key presses; poll often while one runs.
        if app.tick() {
            dirty = true;
        }
        let wait = if app.busy() { BUSY_TICK } else { TICK };
        match event::poll(wait) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
        // Drain what is queued, then draw once. Bounded, and the stop flag
        // checked on every event: a terminal that went away (an SSH drop) can
        // report input forever, and SIGHUP must still end the program.
        for _ in 0..MAX_EVENTS_PER_FRAME {
            let ev = event::read()?;
            app.handle_event(&ev);
            dirty = true;
            if app.should_quit() || stop.load(Ordering::Relaxed) || !event::poll(Duration::ZERO)? {
                break;
            }
        }
    }
}
