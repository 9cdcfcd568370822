//! The workbench at scale: drives the real app (keymap, background jobs,
//! store, render into a `TestBackend`) on an existing database and reports
//! time to first frame, key-to-frame latency for navigation, how soon filter
//! results begin, and peak memory, with the row count, database size and
//! commit.
//!
//!     CRMWB_BENCH_DB=/path/to/1m.db cargo bench --bench tui
//!
//! `benches/tui.sh` builds a 1,000,000-customer database with `gen-sample`
//! and `crmwb import` first. Run on demand, not in CI.

use crm_workbench::service::Workbench;
use crm_workbench::store::OpenMode;
use crm_workbench::tui::{load_keymap, parse_seq, render, App, Theme};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Terminal;
use std::time::{Duration, Instant};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn press(app: &mut App, keys: &str) {
    for k in parse_seq(keys).unwrap() {
        app.handle_key(&KeyEvent::new(k.code, k.mods));
    }
}

/// Waits (delivering job events, drawing as the loop would) until `done`.
fn wait(app: &mut App, term: &mut Terminal<TestBackend>, limit: Duration, done: impl Fn(&App) -> bool) -> Duration {
    let t = Instant::now();
    while !done(app) && t.elapsed() < limit {
        if app.tick() {
            term.draw(|f| render(app, f)).unwrap();
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    t.elapsed()
}

fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .unwrap_or(0)
        / 1024
}

fn main() {
    let Some(path) = std::env::var_os("CRMWB_BENCH_DB") else {
        eprintln!("set CRMWB_BENCH_DB to a database (benches/tui.sh builds one); skipping");
        return;
    };
    let path = std::path::PathBuf::from(path);
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let size = Rect::new(0, 0, 160, 48);

    // First frame: open, build the app, draw once.
    let t0 = Instant::now();
    let wb = Workbench::open(&path, OpenMode::Existing, &crm_workbench::service::actor::os_login()).unwrap();
    let mut app = App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, size).unwrap();
    let mut term = Terminal::new(TestBackend::new(size.width, size.height)).unwrap();
    term.draw(|f| render(&app, f)).unwrap();
    let first_frame = t0.elapsed();
    let rss_first = peak_rss_mb();
    let list = wait(&mut app, &mut term, Duration::from_secs(120), |a| a.probe().loaded) + first_frame;
    let rss_list = peak_rss_mb();
    // Let the counts and the filter index finish, so navigation is measured on its own.
    wait(&mut app, &mut term, Duration::from_secs(300), |a| !a.busy());
    let rss_index = peak_rss_mb();
    let indexed = app.probe().indexed;

    // Navigation: key → update (reads the window and the detail when needed) → frame.
    let mut lat = Vec::new();
    let script =
        ["j"; 300].iter().chain(["<PageDown>"; 100].iter()).chain(["k"; 100].iter()).chain(["<PageUp>"; 50].iter());
    let mut keys: Vec<&str> = script.copied().collect();
    keys.extend(["G", "g g", "G", "g g", "<C-d>", "<C-u>"]);
    for k in keys {
        let t = Instant::now();
        press(&mut app, k);
        app.tick();
        term.draw(|f| render(&app, f)).unwrap();
        lat.push(ms(t.elapsed()));
    }
    let (median, p99, max) = (percentile(&mut lat, 0.5), percentile(&mut lat, 0.99), percentile(&mut lat, 1.0));
    let rss_nav = peak_rss_mb();

    // Filter: from the keystroke to the first results on screen, and to the end.
    let mut firsts = Vec::new();
    let mut fulls = Vec::new();
    let mut hits = 0;
    for q in ["bj", "13", "科技", "crm2026-00012"] {
        press(&mut app, "/");
        for c in q.chars() {
            let t = Instant::now();
            app.handle_key(&KeyEvent::new(
                ratatui::crossterm::event::KeyCode::Char(c),
                ratatui::crossterm::event::KeyModifiers::NONE,
            ));
            term.draw(|f| render(&app, f)).unwrap();
            let first = wait(&mut app, &mut term, Duration::from_secs(60), |a| {
                let p = a.probe();
                p.filter_hits > 0 || !p.filtering
            }) + t.elapsed();
            firsts.push(ms(first));
            wait(&mut app, &mut term, Duration::from_secs(120), |a| !a.probe().filtering);
            fulls.push(ms(t.elapsed()));
        }
        hits = app.probe().filter_hits;
        press(&mut app, "<Esc>");
        app.tick();
    }
    let (f_median, f_p99) = (percentile(&mut firsts.clone(), 0.5), percentile(&mut firsts, 0.99));
    let full_median = percentile(&mut fulls, 0.5);

    let customers = app.workbench().customer_count().unwrap();
    let db_mb = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1048576.0;
    println!("commit {commit}, {} cores", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0));
    println!("database {} — {customers} customers, {db_mb:.0} MB", path.display());
    println!("first frame:        {:.1} ms (target < 300 ms)", ms(first_frame));
    println!("list loaded:        {:.1} ms (in the background; the frame before shows 'Loading')", ms(list));
    println!("navigation key→frame: median {median:.2} ms, p99 {p99:.2} ms, max {max:.2} ms over {} keys (target < 5 / < 16 ms)", lat.len());
    println!("filter first results: median {f_median:.1} ms, p99 {f_p99:.1} ms after a keystroke (target < 100 ms); all results: median {full_median:.0} ms; last query {hits} hits");
    println!(
        "peak RSS:           {} MB (target < 300 MB); after the first frame {rss_first} MB, with the list {rss_list} MB, with the filter index of {indexed} customers {rss_index} MB, after navigating {rss_nav} MB",
        peak_rss_mb()
    );
}
