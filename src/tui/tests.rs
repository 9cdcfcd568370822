//! Snapshot and key-driven tests of the whole TUI on a real (in-memory)
//! database, through the real default keymap.

use super::testkit::{self, press, screen};
use super::*;
use crate::service::SortKey;
use crate::service::{Clock, ImportOptions};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::style::{Color, Modifier};

const EXTRA_ROWS: usize = 40;

/// A small import with CJK names, an escape sequence, a bidi override and a
/// multi-line cell, plus enough plain rows to page through.
fn workbench() -> Workbench {
    filled(Workbench::open_in_memory("tester").unwrap())
}

fn filled(mut wb: Workbench) -> Workbench {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("客户.csv");
    let mut csv = String::from("客户名称,联系人,手机,城市,所属行业,客户状态,备注,工单时间,问题描述,处理人\n");
    csv.push_str(
        "北京星辰科技有限公司,张伟,13800001111,北京,信息技术,意向客户,\"首次拜访顺利\n六月决策\",\
         2026-02-20,\"打印机卡纸\n已远程处理\",客服小李\n",
    );
    csv.push_str("上海云帆贸易有限公司,李娜,139-0000-2222,上海,批发和零售业,潜在客户,,,,\n");
    // The golden name is cleaned of control characters on import, but notes
    // and the raw source row keep them: both must still show inert.
    csv.push_str("红色\x1b[31m警告公司,王强,13700003333,深圳,制造业,成交客户,红字\x1b[31m备注,,,\n");
    csv.push_str("反转\u{202E}moc.evil有限公司,赵敏,,广州,,流失客户,\u{202E}gnp.exe,,,\n");
    csv.push_str("Acme Trading Ltd,John Smith,13600004444,杭州,金融业,意向,,,,\n");
    for n in 1..=EXTRA_ROWS {
        csv.push_str(&format!("测试客户{n}号有限公司,联系人{n},1350000{n:04},成都,,潜在客户,,,,\n"));
    }
    std::fs::write(&path, csv).unwrap();
    let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap().and_hms_opt(9, 30, 0).unwrap();
    wb.set_clock(Clock::fixed(at));
    let opts = ImportOptions { source: "test".into(), interaction_kind: Some("ticket".into()), ..Default::default() };
    wb.import(&path, &opts, &mut |_| {}).unwrap();
    wb
}

/// Imports two near-identical rows and runs matching, so the Duplicates
/// pane has a cluster to show.
fn with_a_cluster(wb: &mut Workbench) -> crate::service::MatchReport {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("dup.csv");
    std::fs::write(
        &csv,
        "客户名称,联系人,手机,城市\n北京星辰科技有限公司,张伟,13800001111,北京\n北京星辰科技公司,张伟,138-0000-1111,北京市\n",
    )
    .unwrap();
    wb.import(&csv, &ImportOptions { source: "dup".into(), ..Default::default() }, &mut |_| {}).unwrap();
    wb.run_match(&crate::service::MatchOptions::default()).unwrap()
}

fn app(w: u16, h: u16) -> App {
    App::new(workbench(), load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, w, h)).unwrap()
}

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(app.size.width, app.size.height)).unwrap();
    t.draw(|f| render(app, f)).unwrap();
    t
}

#[test]
fn snapshot_80x24() {
    let app = app(80, 24);
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn snapshot_160x48() {
    let app = app(160, 48);
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn snapshot_hostile_text_is_inert() {
    let mut app = app(160, 48);
    press(&mut app, "j j");
    let s = screen(&app);
    assert!(s.contains("红字^[[31m备注"), "{s}");
    assert!(!s.contains('\x1b'));
    insta::assert_snapshot!(s);
    press(&mut app, "j");
    let s = screen(&app);
    assert!(s.contains("<U+202E>gnp.exe"), "{s}");
    assert!(!s.contains('\u{202E}'));
}

#[test]
fn snapshot_help_80x24() {
    let mut app = app(80, 24);
    press(&mut app, "?");
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn snapshot_detail_focused_and_scrolled_80x24() {
    let mut app = app(80, 24);
    press(&mut app, "<Enter> j j j");
    insta::assert_snapshot!(draw(&app).backend());
}

#[test]
fn detail_shows_golden_fields_sources_and_history() {
    let mut app = app(160, 48);
    let lines = testkit::detail_lines(&app);
    let text = lines.join("\n");
    for want in [
        "CRM2026-000001  北京星辰科技有限公司",
        "客户名称  北京星辰科技有限公司",
        "联系人    张伟",
        "备注      首次拜访顺利",
        "          六月决策",
        "── Source records (1) ──",
        "客户名称: 北京星辰科技有限公司",
        "── Interactions (1) ──",
        "    2026-02-20  ticket  by 客服小李\n        打印机卡纸\n        已远程处理",
        "── History",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    // The detail is fetched on selection change, not on draw.
    press(&mut app, "j");
    assert!(app.customers.detail.as_ref().unwrap().lines[0].iter().any(|s| s.text.contains("上海云帆")));
}

#[test]
fn cursor_keys_move_the_selection() {
    let mut app = app(80, 24);
    let last = app.customers.ids.len() - 1;
    press(&mut app, "j");
    assert_eq!(app.customers.selected, 1);
    press(&mut app, "<Down> <Down> k");
    assert_eq!(app.customers.selected, 2);
    press(&mut app, "G");
    assert_eq!(app.customers.selected, last);
    press(&mut app, "g g");
    assert_eq!(app.customers.selected, 0);
    press(&mut app, "<End>");
    assert_eq!(app.customers.selected, last);
    press(&mut app, "<Home>");
    assert_eq!(app.customers.selected, 0);
    let page = app.customers.list_rows();
    press(&mut app, "<PageDown>");
    assert_eq!(app.customers.selected, page);
    press(&mut app, "<PageUp>");
    assert_eq!(app.customers.selected, 0);
    press(&mut app, "k");
    assert_eq!(app.customers.selected, 0, "stays at the top");
    // The selection is always on screen.
    press(&mut app, "<PageDown> <PageDown> j");
    assert!(
        app.customers.offset <= app.customers.selected
            && app.customers.selected < app.customers.offset + app.customers.list_rows()
    );
}

#[test]
fn pending_prefix_waits_shows_and_cancels() {
    let mut app = app(80, 24);
    press(&mut app, "j j g");
    assert_eq!(app.customers.selected, 2, "a prefix alone does nothing");
    assert!(screen(&app).contains("│ g …"), "the status bar shows the pending key");
    press(&mut app, "x");
    assert!(app.pending.is_empty());
    assert_eq!(app.customers.selected, 2);
    assert!(matches!(app.message(), Some(Message::Info(m)) if m.contains("g x is not bound")));
    press(&mut app, "g g");
    assert_eq!(app.customers.selected, 0);
}

/// Issue 16, beyond the findings: `/` inside help narrows it to the keys
/// whose key, description (either language) or action name hold the text;
/// Enter keeps the search and the keys scroll again, Esc shows every key.
#[test]
fn help_is_searchable_with_slash() {
    let mut app = app(80, 24);
    press(&mut app, "?");
    let all = app.help_lines.len();
    press(&mut app, "/");
    typed(&mut app, "snooze");
    assert!(app.help_open(), "typing is text, not commands (q does not close)");
    let s = screen(&app);
    assert!(s.contains("/ snooze   (5 keys; Enter keeps it, Esc shows all)"), "{s}");
    assert!(s.contains("Snooze 1 week") && s.contains("followup.snooze_1w"), "{s}");
    assert!(!s.contains("Approve"), "{s}");
    assert!(app.help_lines.len() < all);
    insta::assert_snapshot!(s);
    // The Chinese description is searched too.
    press(&mut app, "<C-u>");
    typed(&mut app, "推迟");
    assert!(screen(&app).contains("(5 keys;"), "{}", screen(&app));
    // Enter keeps it; j scrolls again; Esc (help's close) closes help.
    press(&mut app, "<Enter>");
    press(&mut app, "j");
    assert!(matches!(&app.help_search, Some((q, false)) if q.text() == "推迟"), "j scrolls, it is no longer typed");
    press(&mut app, "/");
    typed(&mut app, "nothing-like-it");
    assert!(screen(&app).contains("No key matches"), "{}", screen(&app));
    // Esc while typing drops the search: every key again.
    press(&mut app, "<Esc>");
    assert!(app.help_open());
    assert_eq!(app.help_lines.len(), all);
    press(&mut app, "<Esc>");
    assert!(!app.help_open());
}

/// Found in a real terminal (80×24): typing a help search (`? /`) offered
/// the list filter's words, "↓ Next match", where ↓ scrolls help. The hints
/// say what the keys do there, in either language.
#[test]
fn help_search_hints_say_what_the_keys_do_in_help() {
    let hints = |app: &App| testkit::row(screen(app).lines().last().unwrap()).trim().to_string();
    let mut app = app(80, 24);
    press(&mut app, "/");
    assert!(hints(&app).contains("↓ Next match"), "the list filter keeps its words: {}", hints(&app));
    press(&mut app, "<Esc> ? /");
    assert_eq!(hints(&app), "Enter Keep the search  Esc Show every key  ↓ Scroll down  ↑ Scroll up");
    // And ↓ does scroll, still typing.
    press(&mut app, "<Down> <Down>");
    assert!(matches!(app.overlay, Some(app::Overlay::Help { scroll: 2 })));
    assert!(matches!(&app.help_search, Some((_, true))));
    typed(&mut app, "snooze");
    insta::assert_snapshot!(screen(&app));
    // Enter keeps it: help's own keys again.
    press(&mut app, "<Enter>");
    assert!(hints(&app).starts_with("Esc Close help"), "{}", hints(&app));
    crate::i18n::set_thread_lang(crate::i18n::Lang::Zh);
    let mut app = self::app(80, 24);
    press(&mut app, "? /");
    typed(&mut app, "推迟");
    let s = screen(&app);
    crate::i18n::set_thread_lang(crate::i18n::Lang::En);
    assert_eq!(
        testkit::row(s.lines().last().unwrap()).trim(),
        "Enter 保留搜索  Esc 显示全部按键  ↓ 向下滚动  ↑ 向上滚动"
    );
    insta::assert_snapshot!("help_search_hints_say_what_the_keys_do_in_help_zh", s);
}

/// Found in a real terminal (80×24): with customers marked, the hint line
/// offered neither `M` (merge them) nor `U` (clear the marks); they come
/// first now, and `M` only once two are marked.
#[test]
fn marked_customers_offer_merge_and_clear_in_the_hints() {
    let hints = |app: &App| screen(app).lines().last().unwrap().to_string();
    let mut app = app(80, 24);
    assert!(!hints(&app).contains("U Clear marks"), "{}", hints(&app));
    press(&mut app, "<Space>");
    let h = hints(&app);
    assert!(h.contains("U Clear marks") && !h.contains("M Merge"), "one mark cannot merge: {h}");
    press(&mut app, "<Space>");
    let h = hints(&app);
    assert!(h.contains("? Help: all keys  q Quit  M Merge marked  U Clear marks"), "{h}");
    insta::assert_snapshot!(screen(&app));
    crate::i18n::set_thread_lang(crate::i18n::Lang::Zh);
    let mut app = self::app(80, 24);
    press(&mut app, "<Space> <Space>");
    let h = hints(&app);
    let s = screen(&app);
    press(&mut app, "?");
    let help = testkit::text(&app.help_lines);
    crate::i18n::set_thread_lang(crate::i18n::Lang::En);
    assert!(h.contains("M 合并已标记  U 清除标记"), "{h}");
    assert!(help.contains("合并已标记 · 已标记的 2 条"), "{help}");
    insta::assert_snapshot!("marked_customers_offer_merge_and_clear_in_the_hints_zh", s);
}

#[test]
fn help_opens_closes_and_is_modal() {
    let mut app = app(80, 24);
    press(&mut app, "?");
    assert!(app.help_open());
    press(&mut app, "<Esc>");
    assert!(!app.help_open());
    press(&mut app, "?");
    assert!(app.help_open());
    // Under the overlay, cursor keys scroll help and leave the list alone.
    press(&mut app, "j j");
    assert_eq!(app.customers.selected, 0);
    assert!(matches!(app.overlay, Some(app::Overlay::Help { scroll: 2 })));
    // `<Enter>` is a list binding; the modal overlay swallows it.
    press(&mut app, "<Enter>");
    assert_eq!(app.focus(), Focus::List);
    press(&mut app, "?");
    assert!(!app.help_open());
    // `q` closes help rather than quitting.
    press(&mut app, "? q");
    assert!(!app.help_open() && !app.should_quit());
}

#[test]
fn hints_offer_only_what_works() {
    let mut app = app(160, 48);
    let hints = |app: &App| screen(app).lines().last().unwrap().to_string();
    assert!(hints(&app).contains("Enter Open detail"), "{}", hints(&app));
    press(&mut app, "<Enter>");
    assert!(hints(&app).contains("Esc Back to list"), "{}", hints(&app));
    press(&mut app, "?");
    let h = hints(&app);
    assert!(h.contains("Esc Close help") && h.contains("j Scroll down"), "{h}");
    assert!(!h.contains("Back to list") && !h.contains("Next pane"), "the overlay swallows these: {h}");
}

#[test]
fn help_lists_every_binding_from_the_keymap() {
    let app = app(160, 48);
    let text = testkit::text(&app.help_lines);
    for ctx in Context::ALL {
        assert!(text.contains(&ctx.title()));
        for b in app.keymap.bindings(ctx) {
            assert!(text.contains(&b.desc), "{} missing", b.desc);
            assert!(text.contains(&b.keys_display()), "{} missing", b.keys_display());
        }
    }
}

/// Issue 16, finding 16: every binding of the built-in keymaps describes
/// itself in both languages, and help in Chinese lists the Chinese ones.
#[test]
fn finding_16_16_built_in_keymaps_describe_every_binding_in_both_languages() {
    for name in ["default", "vim"] {
        let keymap = load_keymap(Some(name)).unwrap();
        for ctx in Context::ALL {
            for b in keymap.bindings(ctx) {
                let zh =
                    b.desc_zh.as_deref().unwrap_or_else(|| panic!("{name} [{}] {}: no desc_zh", ctx.name(), b.desc));
                assert!(!zh.is_ascii(), "{name}: desc_zh `{zh}` is not Chinese");
            }
        }
    }
    crate::i18n::set_thread_lang(crate::i18n::Lang::Zh);
    let keymap = load_keymap(None).unwrap();
    let text = testkit::text(&super::view::help_lines(&keymap));
    for ctx in Context::ALL {
        assert!(text.contains(&ctx.title()), "{}", ctx.title());
        for b in keymap.bindings(ctx) {
            assert!(text.contains(b.desc_zh.as_deref().unwrap()), "{:?} missing", b.desc_zh);
        }
    }
}

#[test]
fn q_quits_and_ctrl_c_only_cancels_jobs() {
    let mut a = app(80, 24);
    press(&mut a, "q");
    assert!(a.should_quit());
    let mut a = app(80, 24);
    a.handle_key(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(!a.should_quit(), "a stray Ctrl-C must not throw the session away");
    assert_eq!(a.message(), Some(&Message::Info("No job is running".into())));
}

#[test]
fn only_key_presses_act() {
    let mut app = app(80, 24);
    for kind in [KeyEventKind::Release, KeyEventKind::Repeat] {
        app.handle_key(&KeyEvent::new_with_kind(KeyCode::Char('j'), KeyModifiers::NONE, kind));
    }
    assert_eq!(app.customers.selected, 0);
    app.handle_key(&KeyEvent::new_with_kind(KeyCode::Char('j'), KeyModifiers::NONE, KeyEventKind::Press));
    assert_eq!(app.customers.selected, 1);
}

#[test]
fn enter_opens_detail_and_detail_scrolls() {
    let mut app = app(80, 24);
    press(&mut app, "<Enter>");
    assert_eq!(app.focus(), Focus::Detail);
    press(&mut app, "j j");
    assert_eq!(app.customers.selected, 0, "the list stays put");
    assert_eq!(app.customers.detail_scroll, 2);
    press(&mut app, "G");
    let max = app.customers.detail.as_ref().unwrap().lines.len() - app.customers.detail_rows();
    assert_eq!(app.customers.detail_scroll, max);
    press(&mut app, "g g");
    assert_eq!(app.customers.detail_scroll, 0);
    press(&mut app, "h");
    assert_eq!(app.focus(), Focus::List);
    press(&mut app, "<Enter>");
    assert_eq!(app.focus(), Focus::Detail);
    press(&mut app, "<Esc>");
    assert_eq!(app.focus(), Focus::List);
    // A new selection starts its detail at the top.
    press(&mut app, "<Enter> j <Esc> j");
    assert_eq!(app.customers.detail_scroll, 0);
}

#[test]
fn list_reads_only_a_window() {
    let mut app = app(80, 24);
    let rows = app.customers.list_rows();
    assert!(app.customers.window.rows.len() <= 3 * rows && app.customers.window.rows.len() < app.customers.ids.len());
    let fetches = app.customers.row_fetches;
    press(&mut app, "j");
    assert_eq!(app.customers.row_fetches, fetches, "moving within the cached window reads nothing");
    press(&mut app, "G");
    assert!(app.customers.window.rows.len() <= 3 * rows);
    assert!(app.customers.window.get(app.customers.selected).is_some());
    // Drawing never reads.
    let fetches = app.customers.row_fetches;
    draw(&app);
    assert_eq!(app.customers.row_fetches, fetches);
}

#[test]
fn resize_keeps_selection_visible_and_redraws() {
    let mut app = app(160, 48);
    press(&mut app, "G");
    app.resize(Rect::new(0, 0, 80, 24));
    assert!(
        app.customers.offset <= app.customers.selected
            && app.customers.selected < app.customers.offset + app.customers.list_rows()
    );
    let s = screen(&app);
    assert!(s.contains(&format!("{}/{}", app.customers.ids.len(), app.customers.ids.len())));
    app.resize(Rect::new(0, 0, 30, 6));
    assert!(screen(&app).contains("crmwb needs at least"));
    app.resize(Rect::new(0, 0, 160, 48));
    assert!(screen(&app).contains("Customers ("));
}

#[test]
fn no_color_uses_modifiers_only_and_selection_is_reversed() {
    let mut app = app(80, 24);
    press(&mut app, "j");
    let t = draw(&app);
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "colour with NO_COLOR at {cell:?}");
    }
    // Pane bar on row 0, list header on row 2 (inside the border), first customer on row 3.
    let selected_y = 3 + app.customers.selected as u16;
    assert!(buf[(5, selected_y)].modifier.contains(Modifier::REVERSED));
    assert!(!buf[(5, selected_y - 1)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn status_bar_names_database_user_role_and_position() {
    let mut app = app(80, 24);
    press(&mut app, "j");
    let s = screen(&app);
    let total = app.customers.ids.len();
    assert!(s.contains(&format!(":memory: │ tester (admin) │ NORMAL │ 2/{total}")), "{s}");
    assert!(s.contains("? Help"), "hints come from the keymap: {s}");
}

#[test]
fn empty_database_renders() {
    let wb = Workbench::open_in_memory("tester").unwrap();
    let mut app = App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, 80, 24)).unwrap();
    press(&mut app, "j G g g <Enter> j");
    let s = screen(&app);
    assert!(s.contains("No customers yet") && s.contains("0/0"), "{s}");
}

fn names(app: &App) -> Vec<String> {
    app.customers.window.rows.iter().flatten().map(|r| r.name.clone()).collect()
}

/// Types text and waits for the searches it started.
fn typed(app: &mut App, text: &str) {
    testkit::typ(app, text);
    app.settle();
}

#[test]
fn slash_filters_incrementally_and_esc_clears() {
    let mut app = app(80, 24);
    let all = app.customers.ids.len();
    press(&mut app, "/");
    assert_eq!(app.pane_context(), Context::Filter);
    // Letters type into the filter instead of running commands (q would quit).
    typed(&mut app, "q云帆");
    assert!(!app.should_quit());
    assert!(app.customers.ids.is_empty(), "nothing has q and 云帆");
    press(&mut app, "<Left>");
    app.handle_key(&KeyEvent::new(KeyCode::Home, KeyModifiers::NONE));
    app.handle_key(&KeyEvent::new(KeyCode::Delete, KeyModifiers::NONE));
    app.settle();
    assert_eq!(app.customers.filter.input.text(), "云帆");
    assert_eq!(names(&app), vec!["上海云帆贸易有限公司".to_string()]);
    let s = screen(&app);
    assert!(s.contains("Customers (1 of") && s.contains("/ 云帆") && s.contains("FILTER"), "{s}");
    // Enter keeps the filter and gives the keys back to the list.
    press(&mut app, "<Enter>");
    assert_eq!(app.pane_context(), Context::Customers);
    assert_eq!(app.customers.ids.len(), 1);
    // Several terms must all match; a number fragment finds its customer.
    press(&mut app, "/ <End>");
    app.handle_key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    typed(&mut app, "000043");
    // A run of digits is part of a number or a phone: CRM2026-000045 (…40号)
    // holds those digits too, but scattered, and is no match.
    assert_eq!(app.customers.filter.hits.iter().map(|h| h.1).collect::<Vec<_>>(), [43]);
    assert_eq!(app.customers.selected_id(), Some(43));
    press(&mut app, "<Esc>");
    assert_eq!(app.customers.ids.len(), all);
    assert!(!screen(&app).contains("/ 000043"));
}

#[test]
fn pasted_escape_sequences_are_inert_in_the_filter() {
    let mut app = app(80, 24);
    press(&mut app, "/");
    app.handle_event(&ratatui::crossterm::event::Event::Paste("云\x1b[2J帆\n".into()));
    app.settle();
    assert_eq!(app.customers.filter.input.text(), "云[2J帆");
    assert!(!screen(&app).contains('\x1b'));
}

#[test]
fn sort_cycles_columns_and_reverses() {
    let mut app = app(160, 48);
    let by_number = app.customers.ids.clone();
    press(&mut app, "s");
    app.settle();
    assert_eq!(app.customers.sort, SortKey::Name);
    let first = app.customers.ids.clone();
    assert_ne!(first, by_number);
    assert!(screen(&app).contains("客户名称▲"));
    press(&mut app, "r");
    app.settle();
    let mut rev = (*first).clone();
    rev.reverse();
    assert_eq!(*app.customers.ids, rev, "all names are distinct and present, so reversing is exact");
    assert!(screen(&app).contains("客户名称▼"));
}

#[test]
fn quick_filters_narrow_combine_and_clear() {
    let mut app = app(160, 48);
    let all = app.customers.ids.len();
    press(&mut app, "f i");
    app.settle();
    let flagged = app.customers.ids.len();
    assert!(flagged > 0 && flagged < all);
    assert!(app.customers.window.rows.iter().flatten().all(|r| r.flags.iter().any(|f| f == "待完善")));
    assert!(screen(&app).contains("· 待完善"));
    press(&mut app, "f s");
    app.settle();
    assert!(app.customers.window.rows.iter().flatten().all(|r| r.status.as_deref() == Some("潜在客户")));
    assert!(app.customers.ids.len() <= flagged);
    press(&mut app, "f m");
    app.settle();
    assert!(app.customers.ids.is_empty(), "tester owns nobody");
    assert!(screen(&app).contains("No customer matches the quick filters"));
    press(&mut app, "<Esc>");
    app.settle();
    assert_eq!(app.customers.ids.len(), all);
}

#[test]
fn mark_two_merge_with_confirmation_then_undo() {
    let mut app = app(160, 48);
    let all = app.customers.ids.len();
    press(&mut app, "<Space> <Space>");
    assert_eq!(app.customers.marked.len(), 2);
    press(&mut app, "M");
    let s = screen(&app);
    assert!(s.contains("Merge customers?") && s.contains("Merge 2 customers into CRM2026-000001"), "{s}");
    // The key that asked does not answer.
    press(&mut app, "M");
    assert!(matches!(app.overlay, Some(app::Overlay::Confirm { .. })));
    press(&mut app, "y");
    app.settle();
    assert_eq!(app.customers.ids.len(), all - 1);
    assert!(app.customers.marked.is_empty());
    press(&mut app, "g g u");
    assert!(screen(&app).contains("Undo merge?"));
    press(&mut app, "y");
    app.settle();
    assert_eq!(app.customers.ids.len(), all);
    assert!(matches!(app.message(), Some(Message::Info(m)) if m.contains("CRM2026-000002")), "{:?}", app.message());
}

#[test]
fn merge_needs_two_marks_and_n_declines() {
    let mut app = app(80, 24);
    press(&mut app, "M");
    assert!(
        matches!(app.message(), Some(Message::Info(m)) if m.contains("Mark two or more") && m.contains("Space Mark")),
        "{:?}",
        app.message()
    );
    press(&mut app, "<Space> <Space> M n");
    assert!(app.overlay.is_none());
    assert_eq!(app.customers.marked.len(), 2, "declining keeps the marks");
}

#[test]
fn command_palette_runs_an_action_by_name() {
    let mut app = app(80, 24);
    press(&mut app, ":");
    typed(&mut app, "go to dupl");
    assert!(screen(&app).contains("Go to Duplicates"));
    press(&mut app, "<Enter>");
    assert_eq!(app.pane(), PaneId::Duplicates);
    press(&mut app, ": <Esc>");
    assert!(app.overlay.is_none());
}

#[test]
fn number_keys_and_tab_switch_panes() {
    let mut app = app(80, 24);
    press(&mut app, "3");
    assert_eq!(app.pane(), PaneId::Followups);
    press(&mut app, "<Tab>");
    assert_eq!(app.pane(), PaneId::Imports);
    press(&mut app, "<S-Tab> <S-Tab> <S-Tab>");
    assert_eq!(app.pane(), PaneId::Customers);
    assert!(screen(&app).contains("[1 Customers"));
}

#[test]
fn the_list_loads_in_the_background_on_a_file_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bg.db");
    let mut wb = Workbench::open(&path, crate::store::OpenMode::Create, "tester").unwrap();
    let csv = dir.path().join("a.csv");
    std::fs::write(&csv, "客户名称,手机\n甲公司,13800001111\n乙公司,13800002222\n").unwrap();
    wb.import(&csv, &ImportOptions { source: "s".into(), ..Default::default() }, &mut |_| {}).unwrap();
    let mut app = App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, 80, 24)).unwrap();
    // The first frame does not wait for the list or the counts.
    let first = screen(&app);
    assert!(first.contains("Customers ("), "{first}");
    app.settle();
    assert_eq!(app.customers.ids.len(), 2);
    assert!(screen(&app).contains("甲公司"));
    assert!(app.counts.duplicates.is_some() && app.counts.overdue.is_some());
}

fn detail_text(app: &App) -> String {
    testkit::text(&app.customers.detail.as_ref().unwrap().lines)
}

#[test]
fn detail_flags_fields_and_shows_follow_ups_and_merges() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("f.csv");
    std::fs::write(&csv, "客户名称,手机,下次跟进\n坏号码公司,12345,2026-03-01\n好号码公司,13800009999,\n").unwrap();
    let mut wb = Workbench::open_in_memory("tester").unwrap();
    let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap().and_hms_opt(9, 0, 0).unwrap();
    wb.set_clock(Clock::fixed(at));
    wb.import(&csv, &ImportOptions { source: "s".into(), ..Default::default() }, &mut |_| {}).unwrap();
    wb.merge_customers(1, &[2], &[], crate::service::MergeOrigin::Manual).unwrap();
    let app = App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, 160, 48)).unwrap();
    let t = detail_text(&app);
    // The bad mobile is flagged at its field with the rule and the row it came from.
    let mobile = t.lines().position(|l| l.starts_with(crate::domain::Field::Mobile.label())).unwrap();
    let flag = t.lines().skip(mobile + 1).find(|l| l.contains('⚠')).unwrap();
    assert!(flag.contains("(s row 1)"), "{t}");
    assert!(t.contains("── Follow-ups (1) ──") && t.contains("2026-03-01"), "{t}");
    assert!(t.contains("── Merges (1) ──") && t.contains("absorbed CRM2026-000002"), "{t}");
}

#[test]
fn slash_finds_a_customer_from_any_pane() {
    // Any pane without a search of its own (Follow-ups searches its list).
    let mut app = app(80, 24);
    press(&mut app, "2 /");
    assert_eq!(app.pane(), PaneId::Customers);
    assert_eq!(app.pane_context(), Context::Filter);
    typed(&mut app, "云帆");
    assert_eq!(names(&app), vec!["上海云帆贸易有限公司".to_string()]);
}

#[test]
fn overlays_over_cjk_text_keep_their_borders() {
    let mut app = app(80, 24);
    for keys in [":", "<Esc> <Space> <Space> M"] {
        press(&mut app, keys);
        let s = screen(&app);
        // Every overlay line that has a left border has its corner or side intact.
        let top = s.lines().find(|l| l.contains("Command palette") || l.contains("Merge customers?")).unwrap();
        assert!(top.contains('╔'), "{s}");
    }
}

/// Every pane and every editor, at the smallest and a large terminal, on the
/// fixture's CJK names, escape sequence and U+202E (customer 3 carries the
/// escape sequence in its notes and source row, 4 the bidi override).
#[test]
fn every_pane_and_editor_at_80x24_and_160x48() {
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        let mut wb = workbench();
        let r = with_a_cluster(&mut wb);
        assert!(wb.queue_size().unwrap() > 0, "{r:?}");
        let mut app = App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, w, h)).unwrap();
        app.settle();
        for (name, keys) in
            [("customers", "1"), ("duplicates", "2"), ("followups", "3"), ("imports", "4"), ("quality", "5")]
        {
            press(&mut app, keys);
            app.settle();
            let s = screen(&app);
            assert!(!s.contains('\x1b') && !s.contains('\u{202E}'), "{s}");
            insta::assert_snapshot!(format!("pane_{name}_{w}x{h}"), s);
        }
        press(&mut app, "1 g g j j");
        for (name, keys) in
            [("edit", "e"), ("new", "n"), ("status", "S"), ("owner", "O"), ("contact", "a"), ("interaction", "i")]
        {
            press(&mut app, keys);
            assert!(matches!(app.overlay, Some(app::Overlay::Form(_))), "{name}: {:?}", app.message());
            let s = screen(&app);
            assert!(!s.contains('\x1b'), "{s}");
            insta::assert_snapshot!(format!("editor_{name}_{w}x{h}"), s);
            press(&mut app, "<Esc>");
            assert!(app.overlay.is_none(), "{name}: Esc on an untouched editor closes it");
        }
    }
}

#[test]
fn a_query_matching_more_than_the_cap_keeps_only_the_best() {
    let mut app = app(80, 24);
    press(&mut app, "/");
    typed(&mut app, "c");
    // All 45 match `c` (crm…): under the cap, all are kept.
    assert_eq!((app.customers.filter.matched, app.customers.ids.len()), (45, 45));
    assert!(screen(&app).contains("45 found"));
    // Over it, the best are kept and the rest counted.
    app.customers.filter.cap = Some(5);
    press(&mut app, "<BS>");
    typed(&mut app, "c");
    assert_eq!((app.customers.filter.matched, app.customers.ids.len()), (45, 5));
    assert!(screen(&app).contains("45 found, best 5 shown"), "{}", screen(&app));
}

/// Issue 16, finding 1: an exact customer number, absorbed by a merge, goes
/// straight to its survivor (with a note saying so), Enter opens it, and
/// after the merge is undone the same filter runs again and finds the
/// customer itself.
#[test]
fn finding_16_1_exact_absorbed_number_opens_survivor() {
    let mut wb = workbench();
    let (a, b) = (1, 2);
    wb.merge_customers(a, &[b], &[], crate::service::MergeOrigin::Manual).unwrap();
    let mut app = App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, 80, 24)).unwrap();
    app.settle();
    press(&mut app, "/");
    typed(&mut app, "crm2026-000002");
    assert_eq!(*app.customers.ids, vec![a], "the survivor, alone: not every customer with those letters");
    assert!(matches!(app.message(), Some(Message::Info(m)) if m == "CRM2026-000002 was merged into CRM2026-000001"));
    press(&mut app, "<Enter>");
    assert_eq!(app.pane_context(), Context::Detail, "Enter goes straight to the customer");
    let s = screen(&app);
    assert!(s.contains("CRM2026-000001  北京星辰科技有限公司"), "{s}");
    insta::assert_snapshot!(s);
    // Undo the merge from the detail: the filter runs again on the new data.
    press(&mut app, "u y");
    app.settle();
    assert_eq!(*app.customers.ids, vec![b], "{}", screen(&app));
}

/// Issue 16, finding 1: a run of digits matches part of a phone or of the
/// customer number, never digits scattered over names and numbers; the
/// filter runs again after `R`.
#[test]
fn finding_16_1_digit_runs_match_phones_and_numbers_only_and_r_reruns() {
    let mut app = app(80, 24);
    press(&mut app, "/");
    // 13500000040 is 40号's mobile; 1350000 then 4 and 0 scattered would
    // match 41号's number and phone too under a fuzzy join.
    typed(&mut app, "00000040");
    assert_eq!(names(&app), vec!["测试客户40号有限公司".to_string()]);
    press(&mut app, "<C-u>");
    typed(&mut app, "000044");
    assert_eq!(*app.customers.ids, vec![5, 44], "Acme's 13600004444 and the number CRM2026-000044");
    press(&mut app, "<C-u>");
    typed(&mut app, "13600004444");
    assert_eq!(names(&app), vec!["Acme Trading Ltd".to_string()]);
    press(&mut app, "<Enter>");
    // Another process (or the CLI) gives 40号 the same mobile: R shows it.
    let id40 = app.workbench_mut().customer_by_number("CRM2026-000045").unwrap().customer.id;
    let v = app.workbench_mut().customer_detail(id40).unwrap().customer.version;
    app.workbench_mut().edit_customer(id40, v, &[(crate::domain::Field::Mobile, Some("13600004444".into()))]).unwrap();
    press(&mut app, "R");
    app.settle();
    assert_eq!(app.customers.ids.len(), 2, "{}", screen(&app));
    assert!(app.customers.ids.contains(&id40));
}

#[test]
fn finding_16_2_ctrl_o_returns_to_the_customer_row_and_detail_scroll() {
    let mut app = app(80, 24);
    press(&mut app, "G k k <Enter> j j j");
    let (selected, offset, scroll) = (app.customers.selected, app.customers.offset, app.customers.detail_scroll);
    assert!(selected > 10 && scroll == 3, "{selected} {scroll}");
    press(&mut app, "3");
    app.settle();
    press(&mut app, "<C-o>");
    assert_eq!(app.pane(), PaneId::Customers);
    assert_eq!(app.focus(), Focus::Detail);
    assert_eq!((app.customers.selected, app.customers.offset, app.customers.detail_scroll), (selected, offset, scroll));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn finding_16_9_contact_title_label_is_not_cut() {
    for w in [80, 160] {
        let app = app(w, 24);
        let s = screen(&app);
        let text = testkit::detail_lines(&app);
        assert!(text.iter().any(|l| l.starts_with("联系人职务  ")), "{text:?}");
        assert!(!s.contains("联系人…"), "{s}");
    }
}

#[test]
fn finding_16_9_half_pages_in_every_list() {
    let km = load_keymap(None).unwrap();
    for ctx in [
        Context::Customers,
        Context::Detail,
        Context::Duplicates,
        Context::Followups,
        Context::Imports,
        Context::Quality,
        Context::Help,
    ] {
        let path = ctx.path(ctx);
        for (key, want) in [("<C-d>", Action::HalfPageDown), ("<C-u>", Action::HalfPageUp)] {
            let mut pending = Vec::new();
            let k = parse_seq(key).unwrap()[0];
            assert!(
                matches!(km.resolve(&path, &mut pending, k), Resolution::Action(a) if a == want),
                "{key} in {}",
                ctx.name()
            );
        }
    }
    // Through the real keys: Ctrl-d scrolls the help by half its height.
    let mut app = app(80, 24);
    press(&mut app, "? <C-d>");
    assert!(matches!(app.overlay, Some(super::app::Overlay::Help { scroll }) if scroll > 0));
}

#[test]
fn finding_16_9_a_ranked_filter_claims_no_sort_column() {
    let mut app = app(80, 24);
    assert!(screen(&app).contains("客户编号▲"));
    press(&mut app, "/");
    testkit::typ(&mut app, "测试客户");
    app.settle();
    let s = screen(&app);
    assert!(s.contains("found"), "{s}");
    assert!(!s.contains('▲') && !s.contains('▼'), "{s}");
    insta::assert_snapshot!(s);
    // Cleared, the sort order is back and says so.
    press(&mut app, "<Esc>");
    app.settle();
    assert!(screen(&app).contains("客户编号▲"));
}

#[test]
fn finding_16_9_names_sort_by_pinyin_and_statuses_by_lifecycle() {
    let mut app = app(80, 24);
    // `s` once: by name, as a Chinese reader orders them (Acme, bei, ce, fan, hong, shang),
    // not by code point (上海 before 北京, 测试 after 红色).
    press(&mut app, "s");
    app.settle();
    assert_eq!(app.customers.sort, SortKey::Name);
    let n = names(&app);
    assert_eq!(n[..3], ["Acme Trading Ltd", "北京星辰科技有限公司", "测试客户1号有限公司"], "{n:?}");
    let s = screen(&app);
    assert!(s.contains("客户名称▲"), "{s}");
    insta::assert_snapshot!(s);
    // Reversed: 上海 first (shang), Acme last.
    press(&mut app, "r");
    app.settle();
    let first = app.workbench().customer_rows(&app.customers.ids[..1]).unwrap();
    assert_eq!(first[0].name, "上海云帆贸易有限公司");
    // `s` again (and `r` back to ascending): statuses in the lifecycle's order.
    press(&mut app, "r s");
    app.settle();
    assert_eq!(app.customers.sort, SortKey::Status);
    let lifecycle = ["潜在客户", "意向客户", "成交客户", "流失客户"];
    let ids = app.customers.ids.clone();
    let rows = app.workbench().customer_rows(&ids).unwrap();
    let ranks: Vec<usize> = rows
        .iter()
        .filter_map(|r| r.status.as_deref())
        .map(|s| lifecycle.iter().position(|l| *l == s).unwrap_or(lifecycle.len()))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    assert_eq!(ranks.first(), Some(&0));
    assert_eq!(rows.iter().rev().find_map(|r| r.status.as_deref()), Some("流失客户"));
    insta::assert_snapshot!("finding_16_9_statuses_sort_by_lifecycle", screen(&app));
}

#[test]
fn finding_16_3_a_confirmation_body_wraps_instead_of_being_cut() {
    let mut app = app(80, 24);
    let long = "无法合并：CRM2026-000106 已被合并到 CRM2026-000062，请先撤销那次合并 \
                (merge 12, 2026-03-02 by tester); the survivor keeps every value, contact and source record.";
    app.overlay = Some(super::app::Overlay::Confirm {
        confirm: super::pane::Confirm { title: "Merge customers?".into(), body: vec![long.into()], tag: 0 },
        owner: None,
    });
    let s = screen(&app);
    // Every word of it on screen, the Chinese part filling its lines.
    assert!(s.contains("║every value, contact and source record."), "{s}");
    assert!(s.contains("║无法合并：CRM2026-000106 已被合并到 CRM2026-000062，请先撤销那║"), "{s}");
    assert!(s.contains("║次合并 (merge 12,"), "{s}");
    insta::assert_snapshot!(s);
}

/// Issue 16, finding 8: a change committed by another process (the CLI, a
/// teammate) shows within two seconds, noticed through `data_version`:
/// the counts and the list follow, the selected customer stays selected and
/// an open editor stays open with what was typed.
#[test]
fn finding_16_8_changes_by_another_process_show_within_two_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let wb = filled(Workbench::open(&path, crate::store::OpenMode::Create, "tester").unwrap());
    let clock = wb.clock();
    let mut app = App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, 80, 24)).unwrap();
    app.settle();
    press(&mut app, "j");
    let selected = app.customers.ids[app.customers.selected];
    assert!(screen(&app).contains("Customers (45)"), "{}", screen(&app));
    // Nothing changed: polling reloads nothing.
    std::thread::sleep(Duration::from_millis(1100));
    assert!(!app.tick());
    press(&mut app, "e");
    testkit::typ(&mut app, "半途");
    assert!(matches!(app.overlay, Some(super::app::Overlay::Form(_))));

    // A teammate adds an overdue customer, in another process.
    let mut other = Workbench::open(&path, crate::store::OpenMode::Existing, "tester").unwrap();
    other.set_clock(clock);
    let sets = [("name", "队友新增有限公司"), ("next_followup", "2026-02-01")];
    let sets: Vec<(String, String)> = sets.iter().map(|(f, v)| (f.to_string(), v.to_string())).collect();
    other.add_customer(&sets).unwrap();

    let start = std::time::Instant::now();
    while !screen(&app).contains("Customers (46)") && start.elapsed() < Duration::from_secs(3) {
        app.tick();
        std::thread::sleep(Duration::from_millis(20));
    }
    app.settle();
    let s = screen(&app);
    assert!(start.elapsed() < Duration::from_secs(2), "seen after {:?}:\n{s}", start.elapsed());
    assert!(s.contains("Customers (46)") && s.contains("F-up (1 overdue)"), "{s}");
    let Some(super::app::Overlay::Form(form)) = &app.overlay else { panic!("the editor stays open:\n{s}") };
    assert!(form.fields.iter().any(|f| f.input.text().ends_with("半途")), "what was typed stays");
    assert_eq!(app.customers.ids[app.customers.selected], selected, "the same customer stays selected");
    insta::assert_snapshot!(s);
}

/// Issue 16, finding 13: the detail's History reads as sentences (old → new,
/// the reason), stamped in local time, through the core's one formatter.
#[test]
fn finding_16_13_detail_history_reads_as_sentences() {
    let mut wb = workbench();
    wb.change_status("CRM2026-000001", "潜在客户", Some("预算\u{1b}[31m推迟"), None, None).unwrap();
    let entry = wb.customer_by_number("CRM2026-000001").unwrap().history[0].clone();
    let app = App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, 160, 48)).unwrap();
    let text = detail_text(&app);
    assert!(text.contains("status 意向客户 → 潜在客户 (reason 预算^[[31m推迟)"), "{text}");
    assert!(text.contains(&crate::history::local_time(&entry.at)), "{text}");
    assert!(!text.contains("{\""), "raw JSON in the history:\n{text}");
}

/// The screen's last `n` lines: the status bar and the hints.
fn bottom(app: &App, n: usize) -> String {
    let s = screen(app);
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len() - n..].join("\n")
}

#[test]
fn finding_16_4_confirmations_name_the_key() {
    let mut app = app(80, 24);
    // Marking names the key that merges, not `customer.merge_marked`.
    press(&mut app, "<Space>");
    let m = app.message().unwrap().text().to_string();
    assert!(m.contains("M merges them") && !m.contains("customer."), "{m}");
    press(&mut app, "U");
    // (The approve confirmation: `duplicates::tests::finding_16_4_…`.)
    // Help's hint line: `q` closes help there, so it is not offered as Quit.
    press(&mut app, "?");
    let h = bottom(&app, 1);
    assert!(h.contains("Esc Close help") && !h.contains("q Quit"), "{h}");
    insta::assert_snapshot!(screen(&app));
    // An empty queue names the key and the title.
    let mut empty = App::new(
        Workbench::open_in_memory("tester").unwrap(),
        load_keymap(None).unwrap(),
        Theme { color: false },
        Rect::new(0, 0, 80, 24),
    )
    .unwrap();
    press(&mut empty, "2");
    empty.settle();
    let s = screen(&empty);
    assert!(s.contains("m Find duplicates now here"), "{s}");
    assert!(!s.contains("match.run"), "{s}");
}

#[test]
fn finding_16_4_no_action_name_in_user_text() {
    // Every string a pane shows or says is built from the keymap: no
    // action name in quotes or format strings outside the keymap code.
    for (file, text) in [
        ("customers.rs", include_str!("customers.rs")),
        ("duplicates.rs", include_str!("duplicates.rs")),
        ("followups.rs", include_str!("followups.rs")),
        ("imports.rs", include_str!("imports.rs")),
        ("quality.rs", include_str!("quality.rs")),
        ("app.rs", include_str!("app.rs")),
    ] {
        let code = text.split("#[cfg(test)]").next().unwrap();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//") && l.contains('"')) {
            for a in Action::ALL {
                // The name as a word of its own: `(match.run)`, `merge.undo here`,
                // `"customer.merge_marked"`; audit-log action names that
                // merely start like one (`customer.merged_into`) are data.
                let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
                let named = line
                    .match_indices(a.name())
                    .any(|(i, n)| !word(line[..i].chars().next_back()) && !word(line[i + n.len()..].chars().next()));
                assert!(!named, "{file}: `{}` in user text: {line}", a.name());
            }
        }
    }
}

#[test]
fn finding_16_5_palette_and_hints_offer_only_what_works_here() {
    let mut app = app(80, 24);
    // `:` then Enter does not quit: Quit is not the first entry.
    press(&mut app, ": <Enter>");
    assert!(!app.should_quit());
    // From Customers the palette does not offer what means nothing here.
    press(&mut app, "<Esc> 1 :");
    {
        let Some(app::Overlay::Palette(p)) = &app.overlay else { panic!("palette") };
        let titles: Vec<&str> = p.matches.iter().map(|i| p.items[*i].title.as_str()).collect();
        assert!(!titles.contains(&"Undo an import batch"), "{titles:?}");
        assert!(!titles.iter().any(|t| t.starts_with("Snooze")), "{titles:?}");
        assert_ne!(titles.first(), Some(&"Quit"));
        assert_eq!(titles.last(), Some(&"Merge the marked customers"), "what cannot run comes last: {titles:?}");
    }
    insta::assert_snapshot!("finding_16_5_palette_80x24", screen(&app));
    // What cannot run says why, in the palette and when chosen.
    testkit::typ(&mut app, "merge marked");
    let s = screen(&app);
    assert!(s.contains("✗ Merge the marked customers — Mark two or more"), "{s}");
    press(&mut app, "<Enter>");
    assert!(app.overlay.is_none());
    let m = app.message().unwrap().text().to_string();
    assert!(m.contains("Mark two or more customers first (Space Mark"), "{m}");
    // The hints follow the state: no filter, no "Clear filters"; with one, it is offered.
    assert!(!bottom(&app, 1).contains("Clear filters"));
    press(&mut app, "f m");
    app.settle();
    assert!(bottom(&app, 1).contains("Esc Clear filters"), "{}", bottom(&app, 1));
    // Help marks what cannot run here, with why.
    press(&mut app, "<Esc>");
    app.settle();
    press(&mut app, "?");
    let s = screen(&app);
    assert!(s.contains("Clear filters  ✗ No filter to clear"), "{s}");
    assert!(s.contains("Customer list [customers] — here"), "{s}");
    press(&mut app, "<Esc>");
    // The import preview's Enter runs the import, and hints say so.
    press(&mut app, "4");
    assert!(app.offers(Action::ImportOpen));
    // `q` in a main pane still quits at once, and the bar marks the pane.
    assert!(screen(&app).contains("[4 Imports]"));
    press(&mut app, "q");
    assert!(app.should_quit());
}

#[test]
fn finding_16_5_a_pending_prefix_shows_what_can_follow() {
    let mut app = app(80, 24);
    press(&mut app, "f");
    let s = screen(&app);
    for want in ["f …", "m  Only mine", "o  Only overdue", "i  Only 待完善", "s  Only one status (cycle)"] {
        assert!(s.contains(want), "{want}:\n{s}");
    }
    insta::assert_snapshot!(s);
    press(&mut app, "m");
    app.settle();
    assert!(!screen(&app).contains("m  Only mine"), "the box closes");
}

#[test]
fn finding_16_3_the_message_log_keeps_every_message_in_full() {
    let mut app = app(80, 24);
    // A message longer than the status bar: the context gives way, and the
    // message takes the hints' row rather than being cut.
    press(&mut app, "M");
    let m = app.message().unwrap().text().to_string();
    let b = bottom(&app, 2);
    assert!(!b.contains('…'), "{b}");
    let flat: String = b.replace('"', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&m.split_whitespace().collect::<Vec<_>>().join(" ")), "{m}\n{b}");
    // A short message keeps the context.
    press(&mut app, "s");
    app.settle();
    let b = bottom(&app, 2);
    assert!(b.contains(":memory: │ tester (admin) │ NORMAL") && b.contains("Sorted by"), "{b}");
    press(&mut app, "x");
    // One key away, every message of the session, in full.
    press(&mut app, "L");
    assert!(app.log_open());
    let s = screen(&app);
    assert!(s.contains("Messages (3)"), "{s}");
    assert!(s.contains("Sorted by") && s.contains("x is not bound here"), "{s}");
    assert!(s.contains("then merge them"), "the long one wrapped, not cut:\n{s}");
    insta::assert_snapshot!("finding_16_3_message_log_80x24", s);
    // A message while the log is open joins it at once.
    press(&mut app, "x");
    let Some(app::Overlay::Log { lines, .. }) = &app.overlay else { panic!("the log stays open") };
    let text: String = lines.iter().flatten().map(|s| s.text.as_str()).collect();
    assert_eq!(text.matches("x is not bound here").count(), 2, "{text}");
    press(&mut app, "q");
    assert!(!app.log_open() && !app.should_quit(), "q closes the log");
}

#[test]
fn the_log_opens_from_help() {
    let mut app = app(80, 24);
    press(&mut app, "?");
    assert!(app.offers(Action::LogOpen), "help offers the log");
    press(&mut app, "L");
    assert!(app.log_open() && !app.help_open(), "what help offers, the key does");
}

/// Issue 16, finding 7 ("mine" filters): `f m` in Customers lists what is
/// owned under the login and under the name, as Follow-ups and the CLI do.
#[test]
fn finding_16_7_customers_mine_is_owned_under_the_login_or_the_name() {
    let mut wb = workbench();
    wb.add_user("linfeng", crate::domain::Role::Sales, Some("林峰"), None).unwrap();
    wb.add_user("wang", crate::domain::Role::Sales, Some("王芳"), None).unwrap();
    for (name, owner) in [("登录名有限公司", "linfeng"), ("显示名有限公司", "林峰"), ("别人有限公司", "wang")]
    {
        let sets = vec![("name".to_string(), name.to_string()), ("owner".to_string(), owner.to_string())];
        wb.add_customer(&sets).unwrap();
    }
    wb.act_as("linfeng").unwrap();
    let mut app = App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, 80, 24)).unwrap();
    press(&mut app, "f m");
    app.settle();
    assert_eq!(names(&app), ["登录名有限公司", "显示名有限公司"]);
    let s = screen(&app);
    assert!(s.contains("登录名有限公司") && s.contains("显示名有限公司") && !s.contains("别人有限公司"), "{s}");
}

/// Issue 16, finding 15: `Space` marks and moves to the next customer, and
/// help says so.
#[test]
fn finding_16_15_space_marks_and_moves_down_and_help_says_so() {
    let mut app = app(80, 24);
    press(&mut app, "<Space> <Space> <Space>");
    assert_eq!(app.customers.selected, 3);
    assert_eq!(app.customers.marked.len(), 3);
    press(&mut app, "k <Space>");
    assert_eq!((app.customers.selected, app.customers.marked.len()), (3, 2), "Space on a marked one unmarks it");
    press(&mut app, "?");
    assert!(screen(&app).contains("Mark and move down (for M)"), "{}", screen(&app));
}

/// Issue 16, finding 15: `M` shows the merged record field by field (what
/// changes the survivor, where the members disagree) before `y`, as
/// `crmwb merge --dry-run` does.
#[test]
fn finding_16_15_merge_marked_previews_the_merged_record() {
    let mut wb = workbench();
    let add = |wb: &mut Workbench, v: &[(&str, &str)]| {
        wb.add_customer(&v.iter().map(|(f, x)| (f.to_string(), x.to_string())).collect::<Vec<_>>()).unwrap()
    };
    add(&mut wb, &[("name", "星河科技有限公司"), ("mobile", "13912340000"), ("city", "杭州")]);
    add(&mut wb, &[("name", "星河科技有限公司"), ("mobile", "13912340000"), ("city", "宁波"), ("industry", "制造业")]);
    let mut app = App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, 80, 24)).unwrap();
    press(&mut app, "G k <Space> <Space> M");
    let s = screen(&app);
    for want in ["Merge 2 customers into CRM2026-000046 星河科技有限公司", "* 行业", "制造业 ← CRM2026-000047", "城市"]
    {
        assert!(s.contains(want), "missing {want:?} in\n{s}");
    }
    insta::assert_snapshot!(s);
    press(&mut app, "n");
    assert!(app.overlay.is_none());
    // Customers that differ everywhere: as many fields as the dialog holds
    // once wrapped, the rest counted, and the summary and keys never cut.
    press(&mut app, "U g g <Space> <Space> <Space> M");
    let s = screen(&app);
    for want in ["Merge 3 customers into CRM2026-000001", "more fields differ (`crmwb merge --dry-run` lists all)"] {
        assert!(s.contains(want), "missing {want:?} in\n{s}");
    }
    assert!(s.contains("undo splits them") && s.contains("y yes"), "{s}");
}

/// The screen's cells, checked for what a CJK terminal shows wrong: a wide
/// character in the last column (cut in half), a row whose cells do not
/// add up to the terminal's width, and a box whose right border is out of
/// line with its left one.
fn assert_cjk_clean(t: &Terminal<TestBackend>, what: &str) {
    use unicode_width::UnicodeWidthStr;
    let buf = t.backend().buffer();
    let (w, h) = (buf.area.width, buf.area.height);
    for y in 0..h {
        let mut cols = 0;
        let mut x = 0;
        let mut row = String::new();
        while x < w {
            let s = buf[(x, y)].symbol();
            let cw = UnicodeWidthStr::width(s).max(1) as u16;
            assert!(x + cw <= w, "{what}: row {y}: `{s}` at column {x} is cut by the edge");
            row.push_str(s);
            cols += cw;
            x += cw;
        }
        assert_eq!(cols, w, "{what}: row {y} is {cols} columns wide: {row}");
        let first = buf[(0, y)].symbol();
        let last = buf[(w - 1, y)].symbol();
        if ["│", "┃", "║"].contains(&first) {
            assert!(["│", "┃", "║"].contains(&last), "{what}: row {y} starts a box but does not close it: {row}");
        }
    }
}

/// Issue 16, finding 16: the whole interface in Simplified Chinese, at
/// 80×24 through the real keymap: every pane, help, the palette, a
/// confirmation, the message log and every editor, with CJK widths right.
#[test]
fn finding_16_16_every_pane_and_editor_in_chinese_at_80x24() {
    crate::i18n::set_thread_lang(crate::i18n::Lang::Zh);
    let mut wb = workbench();
    with_a_cluster(&mut wb);
    let mut app = App::new(wb, load_keymap(None).unwrap(), Theme { color: false }, Rect::new(0, 0, 80, 24)).unwrap();
    app.settle();
    let shot = |app: &App, name: &str| {
        let t = draw(app);
        assert_cjk_clean(&t, name);
        insta::assert_snapshot!(format!("zh_{name}_80x24"), t.backend());
    };
    for (name, keys) in
        [("customers", "1"), ("duplicates", "2"), ("followups", "3"), ("imports", "4"), ("quality", "5")]
    {
        press(&mut app, keys);
        app.settle();
        shot(&app, &format!("pane_{name}"));
    }
    press(&mut app, "1 g g <Enter>");
    app.settle();
    shot(&app, "detail");
    press(&mut app, "<Esc> ?");
    shot(&app, "help");
    press(&mut app, "<Esc> :");
    testkit::typ(&mut app, "合并");
    shot(&app, "palette");
    press(&mut app, "<Esc> 2 a");
    shot(&app, "confirm_approve");
    press(&mut app, "n 1 L");
    shot(&app, "log");
    press(&mut app, "<Esc> g g j j");
    for (name, keys) in
        [("edit", "e"), ("new", "n"), ("status", "S"), ("owner", "O"), ("contact", "a"), ("interaction", "i")]
    {
        press(&mut app, keys);
        assert!(matches!(app.overlay, Some(app::Overlay::Form(_))), "{name}: {:?}", app.message());
        shot(&app, &format!("editor_{name}"));
        press(&mut app, "<Esc>");
    }
    press(&mut app, "4 n");
    shot(&app, "import_form");
}

/// The same screens in English pin that language too: a machine's LANG
/// never reaches the library (only `crmwb` resolves it, once, at start).
#[test]
fn finding_16_16_english_is_pinned_not_taken_from_the_machine() {
    crate::i18n::set_thread_lang(crate::i18n::Lang::En);
    let mut app = app(80, 24);
    let s = screen(&app);
    assert!(s.contains("Customers (45)") && s.contains("Help: all keys"), "{s}");
    crate::i18n::set_thread_lang(crate::i18n::Lang::Zh);
    press(&mut app, "R");
    let s = screen(&app);
    assert!(s.contains("客户（45）") && s.contains("帮助：全部按键"), "{s}");
}
