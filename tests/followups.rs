//! Follow-ups: every reminder rule at its boundaries, snoozes and
//! completions across restarts, the lifecycle, the rules' admin gate, a
//! bulk historical import, and the CLI (`followups`, `done`, `snooze`,
//! `status`, `log`, `rules`) with its JSON shape and `--check` status.

use assert_cmd::Command;
use chrono::NaiveDate;
use crm_workbench::domain::{InteractionKind, Reminder, Urgency};
use crm_workbench::service::{Clock, FollowupQuery, ImportOptions, NewInteraction, Workbench};
use crm_workbench::store::OpenMode;
use crm_workbench::Error;
use std::path::Path;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn at(wb: &mut Workbench, day: &str) {
    wb.set_clock(Clock::fixed(d(day).and_hms_opt(9, 0, 0).unwrap()));
}

fn bench(day: &str) -> Workbench {
    let mut wb = Workbench::open_in_memory("admin").unwrap();
    at(&mut wb, day);
    wb
}

fn add(wb: &mut Workbench, fields: &[(&str, &str)]) -> String {
    let sets: Vec<(String, String)> = fields.iter().map(|(f, v)| (f.to_string(), v.to_string())).collect();
    wb.add_customer(&sets).unwrap().number
}

fn list(wb: &Workbench, today: &str, within: u32) -> Vec<Reminder> {
    wb.reminders(d(today), &FollowupQuery { due_within: Some(within), ..Default::default() }).unwrap()
}

/// (rule, urgency) of one customer's reminders on `today` (due within `within` days).
fn of(wb: &Workbench, number: &str, today: &str, within: u32) -> Vec<(String, Urgency)> {
    list(wb, today, within).into_iter().filter(|r| r.number == number).map(|r| (r.rule, r.urgency)).collect()
}

fn call(kind: InteractionKind, note: &str) -> NewInteraction {
    NewInteraction { kind, summary: note.into(), at: None, contact: None, next: None }
}

fn rule(rule: &str, u: Urgency) -> Vec<(String, Urgency)> {
    vec![(rule.to_string(), u)]
}

#[test]
fn first_followup_is_due_on_day_3_and_overdue_on_day_4() {
    let mut wb = bench("2026-03-01");
    let a = add(&mut wb, &[("name", "星辰科技有限公司"), ("first_contact", "2026-03-01")]);
    let b = add(&mut wb, &[("name", "北辰贸易有限公司"), ("first_contact", "2026-03-01")]);
    assert_eq!(of(&wb, &a, "2026-03-03", 0), vec![]);
    assert_eq!(of(&wb, &a, "2026-03-03", 1), rule("first-followup", Urgency::Upcoming));
    assert_eq!(of(&wb, &a, "2026-03-04", 0), rule("first-followup", Urgency::DueToday));
    assert_eq!(of(&wb, &a, "2026-03-05", 0), rule("first-followup", Urgency::Overdue));
    let r = &list(&wb, "2026-03-05", 0)[0];
    assert!(r.reason.contains("first contact 2026-03-01") && r.reason.contains("3 days"), "{}", r.reason);
    // A call the next day is the follow-up; a note is not.
    at(&mut wb, "2026-03-02");
    wb.log_interaction(&a, &call(InteractionKind::Call, "intro call")).unwrap();
    wb.log_interaction(&b, &call(InteractionKind::Note, "looked them up")).unwrap();
    assert_eq!(of(&wb, &a, "2026-03-05", 0), vec![]);
    assert_eq!(of(&wb, &b, "2026-03-05", 0), rule("first-followup", Urgency::Overdue));
}

#[test]
fn a_new_customer_is_one_first_contacted_within_30_days() {
    let mut wb = bench("2026-04-30");
    let thirty = add(&mut wb, &[("name", "三十天有限公司"), ("first_contact", "2026-03-31")]);
    let thirty_one = add(&mut wb, &[("name", "三十一天有限公司"), ("first_contact", "2026-03-30")]);
    assert_eq!(of(&wb, &thirty, "2026-04-30", 0), rule("first-followup", Urgency::Overdue));
    assert_eq!(of(&wb, &thirty_one, "2026-04-30", 0), vec![]);
}

#[test]
fn contract_renewal_30_days_before_expiry() {
    let mut wb = bench("2026-03-01");
    let in30 = add(&mut wb, &[("name", "续约甲有限公司"), ("contract_no", "HT-30"), ("contract_expiry", "2026-03-31")]);
    let in31 = add(&mut wb, &[("name", "续约乙有限公司"), ("contract_no", "HT-31"), ("contract_expiry", "2026-04-01")]);
    assert_eq!(of(&wb, &in30, "2026-03-01", 0), rule("contract-renewal", Urgency::DueToday));
    assert_eq!(of(&wb, &in31, "2026-03-01", 0), vec![]);
    assert_eq!(of(&wb, &in31, "2026-03-01", 1), rule("contract-renewal", Urgency::Upcoming));
    let r = list(&wb, "2026-03-01", 0).into_iter().find(|r| r.number == in30).unwrap();
    assert!(r.reason.contains("HT-30") && r.reason.contains("2026-03-31"), "{}", r.reason);
    // A lost customer's contract raises nothing.
    wb.change_status(&in30, "流失客户", Some("moved to a rival"), None, None).unwrap();
    assert_eq!(of(&wb, &in30, "2026-03-01", 0), vec![]);
}

#[test]
fn core_customers_monthly() {
    let mut wb = bench("2026-01-01");
    let on_time = add(&mut wb, &[("name", "核心甲有限公司"), ("priority", "高"), ("last_followup", "2026-03-01")]);
    let late = add(&mut wb, &[("name", "核心乙有限公司"), ("priority", "high"), ("last_followup", "2026-02-28")]);
    let medium = add(&mut wb, &[("name", "一般有限公司"), ("priority", "中"), ("last_followup", "2026-01-02")]);
    assert_eq!(of(&wb, &on_time, "2026-03-31", 0), rule("core-monthly", Urgency::DueToday));
    assert_eq!(of(&wb, &late, "2026-03-31", 0), rule("core-monthly", Urgency::Overdue));
    assert_eq!(of(&wb, &medium, "2026-03-31", 0), vec![]);
    // Never followed up: the month counts from the day it entered the database.
    let fresh = add(&mut wb, &[("name", "核心丙有限公司"), ("priority", "高")]);
    assert_eq!(of(&wb, &fresh, "2026-01-31", 0), rule("core-monthly", Urgency::DueToday));
}

#[test]
fn quote_without_follow_up_escalates_to_the_owners_manager() {
    let mut wb = bench("2026-03-01");
    let conn = wb.store().conn();
    conn.execute_batch(
        "INSERT INTO users (login, role, created_at) VALUES ('wang', 'manager', '2026-01-01T00:00:00Z');
         INSERT INTO users (login, role, manager_id, created_at)
             SELECT 'li', 'sales', id, '2026-01-01T00:00:00Z' FROM users WHERE login = 'wang';",
    )
    .unwrap();
    let a = add(&mut wb, &[("name", "报价甲有限公司"), ("owner", "li")]);
    let b = add(&mut wb, &[("name", "报价乙有限公司"), ("owner", "zhao")]);
    let c = add(&mut wb, &[("name", "报价丙有限公司"), ("owner", "li")]);
    for n in [&a, &b, &c] {
        wb.log_interaction(n, &call(InteractionKind::Quote, "quoted 500k")).unwrap();
    }
    // The same day, after the quote: a follow-up.
    wb.log_interaction(&c, &call(InteractionKind::Call, "walked them through it")).unwrap();
    assert_eq!(of(&wb, &a, "2026-03-04", 0), rule("quote-escalation", Urgency::DueToday));
    assert_eq!(of(&wb, &a, "2026-03-05", 0), rule("quote-escalation", Urgency::Overdue));
    assert_eq!(of(&wb, &c, "2026-03-05", 0), vec![]);
    let all = list(&wb, "2026-03-05", 0);
    let ra = all.iter().find(|r| r.number == a).unwrap();
    assert!(ra.escalated && ra.escalate_to.as_deref() == Some("wang"), "{ra:?}");
    assert!(ra.reason.contains("wang"), "{}", ra.reason);
    let rb = all.iter().find(|r| r.number == b).unwrap();
    assert!(rb.escalated && rb.escalate_to.is_none() && rb.reason.contains("none on record"), "{rb:?}");
    // A note is not a follow-up; a visit two days later is.
    at(&mut wb, "2026-03-02");
    wb.log_interaction(&a, &call(InteractionKind::Note, "internal: waiting")).unwrap();
    assert_eq!(of(&wb, &a, "2026-03-05", 0), rule("quote-escalation", Urgency::Overdue));
    at(&mut wb, "2026-03-03");
    wb.log_interaction(&a, &call(InteractionKind::Visit, "visited")).unwrap();
    assert_eq!(of(&wb, &a, "2026-03-05", 0), vec![]);
}

#[test]
fn explicit_next_followup_and_logging_settles_it() {
    let mut wb = bench("2026-03-01");
    let a = add(&mut wb, &[("name", "计划有限公司"), ("next_followup", "2026-03-05")]);
    assert_eq!(of(&wb, &a, "2026-03-05", 0), rule("next-followup", Urgency::DueToday));
    assert_eq!(of(&wb, &a, "2026-03-06", 0), rule("next-followup", Urgency::Overdue));
    at(&mut wb, "2026-03-06");
    let l = wb
        .log_interaction(&a, &NewInteraction { next: Some(d("2026-03-20")), ..call(InteractionKind::Call, "talked") })
        .unwrap();
    assert_eq!((l.last_followup.as_deref(), l.next_followup.as_deref()), (Some("2026-03-06"), Some("2026-03-20")));
    assert_eq!(of(&wb, &a, "2026-03-19", 0), vec![]);
    assert_eq!(of(&wb, &a, "2026-03-21", 0), rule("next-followup", Urgency::Overdue));
    // Dates that make no sense are refused.
    let future = NewInteraction { at: Some(d("2026-04-01")), ..call(InteractionKind::Call, "x") };
    assert!(matches!(wb.log_interaction(&a, &future), Err(Error::Invalid(m)) if m.contains("after today")));
    let past_next = NewInteraction { next: Some(d("2026-03-01")), ..call(InteractionKind::Call, "x") };
    assert!(matches!(wb.log_interaction(&a, &past_next), Err(Error::Invalid(m)) if m.contains("past")));
    let empty = call(InteractionKind::Call, "  ");
    assert!(matches!(wb.log_interaction(&a, &empty), Err(Error::Invalid(_))));
    let with_nobody = NewInteraction { contact: Some("王五".into()), ..call(InteractionKind::Call, "x") };
    assert!(matches!(wb.log_interaction(&a, &with_nobody), Err(Error::NotFound(m)) if m.contains("王五")));
}

#[test]
fn snoozes_and_completions_survive_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let open = |day: &str| {
        let mut wb = Workbench::open(&db, OpenMode::Create, "admin").unwrap();
        at(&mut wb, day);
        wb
    };
    let (a, b) = {
        let mut wb = open("2026-03-01");
        let a = add(&mut wb, &[("name", "暂缓有限公司"), ("next_followup", "2026-03-05")]);
        let b = add(&mut wb, &[("name", "续约有限公司"), ("contract_no", "HT-9"), ("contract_expiry", "2026-04-10")]);
        (a, b)
    };
    {
        let mut wb = open("2026-03-06");
        assert_eq!(of(&wb, &a, "2026-03-06", 0), rule("next-followup", Urgency::Overdue));
        let s = wb.snooze_followup(&a, None, "3d").unwrap();
        assert_eq!(s[0].snoozed_until, Some(d("2026-03-09")));
    }
    {
        let wb = open("2026-03-07");
        assert_eq!(of(&wb, &a, "2026-03-08", 0), vec![], "hidden while snoozed");
        assert_eq!(of(&wb, &a, "2026-03-09", 0), rule("next-followup", Urgency::DueToday));
        assert_eq!(of(&wb, &a, "2026-03-10", 0), rule("next-followup", Urgency::Overdue));
        let r = list(&wb, "2026-03-10", 0).into_iter().find(|r| r.number == a).unwrap();
        assert_eq!((r.due, r.snoozed_until, r.days_overdue), (d("2026-03-05"), Some(d("2026-03-09")), 1));
    }
    {
        let mut wb = open("2026-03-10");
        let done = wb.complete_followup(&a, None, &call(InteractionKind::Call, "finally reached them")).unwrap();
        assert_eq!(done.completed.len(), 1);
        assert_eq!(done.logged.next_followup, None, "the planned follow-up happened");
        // Completing the renewal ahead of time, by naming it.
        let done = wb
            .complete_followup(&b, Some("contract-renewal"), &call(InteractionKind::Visit, "renewal agreed"))
            .unwrap();
        assert_eq!(done.completed[0].due, d("2026-03-11"));
        assert!(matches!(
            wb.complete_followup(&b, Some("no-such-rule"), &call(InteractionKind::Call, "x")),
            Err(Error::NotFound(m)) if m.contains("contract-renewal")
        ));
    }
    {
        let wb = open("2026-03-20");
        assert_eq!(of(&wb, &a, "2026-03-20", 30), vec![]);
        assert_eq!(of(&wb, &b, "2026-03-20", 30), vec![], "a completed reminder stays completed");
        let by: String = wb
            .store()
            .conn()
            .query_row(
                "SELECT by_user || ' ' || state FROM reminder_states WHERE rule_id = 'contract-renewal'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(by, "admin done");
        // The contract is renewed to a new expiry: the rule fires anew.
        wb.store()
            .conn()
            .execute("UPDATE customers SET contract_expiry = '2027-04-10' WHERE number = ?1", [&b])
            .unwrap();
        assert_eq!(of(&wb, &b, "2027-03-11", 0), rule("contract-renewal", Urgency::DueToday));
    }
    let wb = open("2026-03-20");
    let history = wb.customer_by_number(&a).unwrap().history;
    let actions: Vec<&str> = history.iter().map(|h| h.action.as_str()).collect();
    assert!(actions.contains(&"followup.snooze") && actions.contains(&"followup.done"), "{actions:?}");
}

/// Undo of a snooze (issue 16, beyond the findings): each reminder goes
/// back to what it was before (not snoozed, or its earlier snooze), through
/// the rights check and the audit; a reminder changed since is left alone
/// and its customer refused.
#[test]
fn undoing_a_snooze_puts_each_reminder_back_and_never_a_later_decision() {
    use crm_workbench::domain::Role;
    use crm_workbench::service::Snoozed;
    let mut wb = bench("2026-03-06");
    let a = add(&mut wb, &[("name", "暂缓有限公司"), ("next_followup", "2026-03-05")]);
    let b = add(&mut wb, &[("name", "再缓有限公司"), ("next_followup", "2026-03-04")]);
    let c = add(&mut wb, &[("name", "已办有限公司"), ("next_followup", "2026-03-03")]);
    // b was snoozed before, to the 7th; then all three for a week.
    wb.snooze_followup(&b, None, "1d").unwrap();
    let snoozed = |wb: &Workbench, n: &str| {
        list(wb, "2026-03-06", 30).into_iter().find(|r| r.number == n).map(|r| (r.due, r.snoozed_until))
    };
    let before_b = snoozed(&wb, &b).unwrap().1;
    assert_eq!(before_b, Some(d("2026-03-07")));
    let mut undo = Vec::new();
    for n in [&a, &b, &c] {
        let before = snoozed(&wb, n).unwrap().1;
        for r in wb.snooze_followup(n, Some("next-followup"), "1w").unwrap() {
            let until = r.snoozed_until.unwrap();
            undo.push(Snoozed { number: r.number, rule: r.rule, due: r.due, until, before });
        }
    }
    // c is done meanwhile: that decision stands.
    let done = wb.complete_followup(&c, Some("next-followup"), &call(InteractionKind::Call, "reached")).unwrap();
    assert_eq!(done.completed.len(), 1);
    let out = wb.undo_snoozes(&undo).unwrap();
    assert_eq!(out.done, vec![a.clone(), b.clone()]);
    assert_eq!(out.refused.len(), 1);
    assert!(out.refused[0].0 == c && out.refused[0].1.contains("changed after the snooze"), "{out:?}");
    assert_eq!(snoozed(&wb, &a), Some((d("2026-03-05"), None)), "overdue again, not snoozed");
    assert_eq!(snoozed(&wb, &b), Some((d("2026-03-04"), before_b)), "back to its earlier snooze");
    assert_eq!(snoozed(&wb, &c), None, "done stays done");
    // Undone once: a second undo finds the reminders changed and writes nothing.
    let out = wb.undo_snoozes(&undo).unwrap();
    assert!(out.done.is_empty() && out.refused.len() == 3, "{out:?}");
    let history = wb.customer_by_number(&a).unwrap().history;
    assert_eq!(history[0].action, "followup.unsnooze");
    // A sales user may not undo on a customer that is not theirs: refused
    // by the rights check, before anything is read or written.
    wb.snooze_followup(&a, Some("next-followup"), "1w").unwrap();
    let again = Snoozed { until: d("2026-03-13"), before: None, ..undo[0].clone() };
    wb.add_user("li", Role::Sales, Some("李娜"), None).unwrap();
    wb.act_as("li").unwrap();
    let out = wb.undo_snoozes(std::slice::from_ref(&again)).unwrap();
    assert!(out.done.is_empty() && out.refused.len() == 1, "{out:?}");
    assert!(!out.refused[0].1.contains("changed after"), "{out:?}");
    assert_eq!(snoozed(&wb, &a).unwrap().1, Some(d("2026-03-13")), "refused: nothing written");
}

#[test]
fn the_lifecycle_with_its_conditions_and_history() {
    let mut wb = bench("2026-03-01");
    let a = add(&mut wb, &[("name", "生命周期有限公司"), ("status", "潜在客户")]);
    let refused = |r: crm_workbench::Result<_>, rule: &str| match r {
        Err(Error::Refused(m)) => assert!(m.contains(rule), "{m}"),
        other => panic!("expected refusal by {rule}, got {other:?}"),
    };
    assert!(wb.change_status(&a, "意向", None, None, None).unwrap().changed);
    refused(wb.change_status(&a, "潜在客户", None, None, None), "status.downgrade_needs_reason");
    refused(wb.change_status(&a, "成交客户", None, None, None), "status.won_needs_contract");
    refused(wb.change_status(&a, "成交客户", None, None, Some("2026-13-45")), "date.format");
    refused(wb.change_status(&a, "maybe", None, None, None), "status.allowed");
    let won = wb.change_status(&a, "won", None, None, Some("2026/3/1")).unwrap();
    assert_eq!((won.from.as_deref(), won.to.as_str()), (Some("意向客户"), "成交客户"));
    assert_eq!(wb.customer_by_number(&a).unwrap().customer.contract_signed.as_deref(), Some("2026-03-01"));
    assert!(!wb.change_status(&a, "成交", None, None, None).unwrap().changed, "same status: nothing to do");
    refused(wb.change_status(&a, "意向客户", Some("x"), None, None), "status.won_is_final");
    refused(wb.change_status(&a, "流失客户", None, None, None), "status.lost_needs_reason");
    wb.change_status(&a, "流失客户", Some("budget cut"), None, None).unwrap();
    refused(wb.change_status(&a, "意向客户", None, None, None), "status.reactivate_needs_reason");
    wb.change_status(&a, "意向客户", Some("new budget next year"), None, None).unwrap();
    let d = wb.customer_by_number(&a).unwrap();
    assert_eq!(d.customer.status.as_deref(), Some("意向客户"));
    let changes: Vec<(String, String, String)> = d
        .history
        .iter()
        .filter(|h| h.action == "customer.status")
        .map(|h| {
            let s = |k: &str| h.details[k].as_str().unwrap_or("").to_string();
            (s("from"), s("to"), s("reason"))
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            ("流失客户".into(), "意向客户".into(), "new budget next year".into()),
            ("成交客户".into(), "流失客户".into(), "budget cut".into()),
            ("意向客户".into(), "成交客户".into(), "".into()),
            ("潜在客户".into(), "意向客户".into(), "".into()),
        ]
    );
    assert!(d.history.iter().all(|h| h.actor == "admin"));
    // Entering a customer straight as won needs a contract too.
    let sets = vec![("name".to_string(), "直接成交有限公司".to_string()), ("status".into(), "成交客户".into())];
    assert!(matches!(wb.add_customer(&sets), Err(Error::Invalid(m)) if m.contains("status.won_needs_contract")));
}

#[test]
fn reminder_rules_are_for_admins_and_stored_for_everyone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let mut admin = Workbench::open(&db, OpenMode::Create, "admin").unwrap();
    admin
        .store()
        .conn()
        .execute("INSERT INTO users (login, role, created_at) VALUES ('sam', 'sales', '2026-01-01T00:00:00Z')", [])
        .unwrap();
    assert!(admin.reminder_rules().unwrap().builtin);
    let text = "[[rule]]\nid = \"renew-early\"\nkind = \"contract_renewal\"\ndays_before = 60\n\
                [[rule]]\nid = \"planned\"\nkind = \"next_followup\"\nenabled = false\n";
    let mut sam = Workbench::open(&db, OpenMode::Existing, "sam").unwrap();
    assert!(
        matches!(sam.set_reminder_rules(text), Err(Error::Refused(m)) if m.contains("sam (sales) may not change reminder rules"))
    );
    // Someone who is not a user cannot even open the database.
    assert!(
        matches!(Workbench::open(&db, OpenMode::Existing, "stranger"), Err(Error::Refused(m)) if m.contains("not a user"))
    );
    assert!(matches!(admin.set_reminder_rules("[[rule]]\nid = 1\n"), Err(Error::Invalid(_))));
    let set = admin.set_reminder_rules(text).unwrap();
    assert!(!set.builtin && set.updated_by.as_deref() == Some("admin"));
    // Everyone sees the stored rules.
    let seen = sam.reminder_rules().unwrap();
    assert_eq!(seen.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["renew-early", "planned"]);
    at(&mut admin, "2026-03-01");
    let a = add(
        &mut admin,
        &[("name", "规则有限公司"), ("next_followup", "2026-03-02"), ("contract_expiry", "2026-04-30")],
    );
    assert_eq!(of(&sam, &a, "2026-03-03", 0), rule("renew-early", Urgency::Overdue), "a disabled rule raises nothing");
    assert_eq!(admin.recent_audit(1).unwrap()[0].action, "customer.create");
    assert!(admin.recent_audit(10).unwrap().iter().any(|e| e.action == "rules.set" && e.actor == "admin"));
}

#[test]
fn a_bulk_historical_import_does_not_flood_the_overdue_list() {
    let dir = tempfile::tempdir().unwrap();
    let summary = crm_workbench::sample::generate(&crm_workbench::sample::GenOptions {
        customers: 1500,
        seed: 7,
        out_dir: dir.path().to_path_buf(),
    })
    .unwrap();
    assert!(summary.customers > 0);
    let mut wb = bench("2026-03-01");
    // Years of sheets: the import says its events before 2026-03-01 are
    // history (`--reminders-from`); without it every past date is overdue.
    let opts = ImportOptions {
        source: "sales".into(),
        key: Some("客户编号".into()),
        reminders_from: Some(d("2026-03-01")),
        ..Default::default()
    };
    let r = wb.import(&dir.path().join("sales.csv"), &opts, &mut |_| {}).unwrap();
    assert!(r.counts.imported > 1000, "{:?}", r.counts);
    let dated: i64 = wb
        .store()
        .conn()
        .query_row("SELECT count(*) FROM customers WHERE next_followup < '2026-03-01'", [], |r| r.get(0))
        .unwrap();
    assert!(dated > 500, "the sample should carry many past follow-up dates ({dated})");
    // What is due is what the import said is work.
    let on_import_day = list(&wb, "2026-03-01", 7);
    assert!(on_import_day.len() * 20 < dated as usize, "{} reminders for {dated} past dates", on_import_day.len());
    assert_eq!(wb.reminder_horizon().unwrap().history, dated as u64, "the pane counts them as history");
    let horizon = d("2026-03-01");
    for r in &on_import_day {
        let event = match r.rule.as_str() {
            "contract-renewal" => crm_workbench::domain::reminder::shift(r.due, 30),
            "next-followup" => r.due,
            other => panic!("{other} fired for imported history: {r:?}"),
        };
        assert!(event >= horizon, "{r:?}");
    }
    // A date shortly before the import is still work.
    let recent = add(&mut wb, &[("name", "最近有限公司"), ("next_followup", "2026-02-10")]);
    assert_eq!(of(&wb, &recent, "2026-03-01", 0), rule("next-followup", Urgency::Overdue));
    // Core customers: the month starts at the import, not at a 2023 visit.
    let core: Vec<Reminder> = list(&wb, "2026-03-31", 0).into_iter().filter(|r| r.rule == "core-monthly").collect();
    assert!(!core.is_empty() && core.iter().all(|r| r.urgency == Urgency::DueToday), "{core:?}");
}

#[test]
fn every_rule_is_an_indexed_query() {
    let wb = bench("2026-03-01");
    for r in crm_workbench::domain::reminder::default_rules() {
        let plan = crm_workbench::store::followups::explain(wb.store().conn(), &r, d("2026-03-01")).unwrap();
        assert!(plan.lines().all(|l| !l.starts_with("SCAN")), "{}: {plan}", r.id);
        assert!(plan.contains("INDEX"), "{}: {plan}", r.id);
        // "Mine" (login and name) keeps the rule's own index: the owners
        // filter the few due rows, they do not pick the index.
        let mine = ["linfeng".to_string(), "林峰".to_string()];
        let owned =
            crm_workbench::store::followups::explain_for(wb.store().conn(), &r, d("2026-03-01"), &mine).unwrap();
        assert_eq!(owned, plan, "{}", r.id);
    }
}

// ---------------------------------------------------------------- the CLI

fn crmwb(db: &Path) -> Command {
    let mut c = Command::cargo_bin("crmwb").unwrap();
    c.env("CRMWB_LANG", "en");
    c.env_remove("CRMWB_DB").arg("--db").arg(db);
    c
}

fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

fn days(n: i64) -> String {
    let today = chrono::Local::now().date_naive();
    crm_workbench::domain::reminder::shift(today, n).format("%Y-%m-%d").to_string()
}

fn add_cli(db: &Path, sets: &[&str]) -> String {
    let mut c = crmwb(db);
    c.args(["customer", "add", "--json"]);
    for s in sets {
        c.args(["--set", s]);
    }
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    json(&out.stdout)["number"].as_str().unwrap().to_string()
}

#[test]
fn cli_list_json_check_done_and_snooze() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let late = add_cli(&db, &["name=逾期有限公司", "owner=li", &format!("next_followup={}", days(-2))]);
    let soon = add_cli(&db, &["name=将到有限公司", "owner=zhao", &format!("next_followup={}", days(3))]);
    crmwb(&db).args(["followups", "--check"]).assert().code(4);
    crmwb(&db).args(["followups", "--check", "--owner", "zhao"]).assert().code(0);
    let v = json(&crmwb(&db).args(["followups", "--json", "--due-within", "7"]).output().unwrap().stdout);
    assert_eq!(v["today"], days(0));
    assert_eq!(v["counts"], serde_json::json!({"overdue": 1, "due_today": 0, "upcoming": 1}));
    let r = &v["reminders"][0];
    for key in ["number", "name", "owner", "status", "rule", "kind", "due", "snoozed_until", "urgency", "days_overdue"]
    {
        assert!(r.get(key).is_some(), "missing {key} in {r}");
    }
    assert_eq!((r["number"].as_str(), r["rule"].as_str()), (Some(late.as_str()), Some("next-followup")));
    assert_eq!((r["urgency"].as_str(), r["days_overdue"].as_i64()), (Some("overdue"), Some(2)));
    assert_eq!(r["due"], days(-2));
    assert!(r["reason"].as_str().unwrap().contains(&days(-2)));
    assert_eq!(v["reminders"][1]["number"], soon.as_str());
    let text = crmwb(&db).args(["followups"]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains(&late) && !text.contains(&soon) && text.contains("1 overdue"), "{text}");
    crmwb(&db).args(["followups", "--overdue", "--due-within", "3"]).assert().code(2);

    // Snooze for a week: nothing overdue until then, overdue after.
    crmwb(&db).args(["followups", "snooze", &late, "--for", "1w"]).assert().success();
    crmwb(&db).args(["followups", "--check"]).assert().code(0);
    crmwb(&db).args(["followups", "--check", "--owner", "li", "--now", &days(7)]).assert().code(0);
    crmwb(&db).args(["followups", "--check", "--owner", "li", "--now", &days(8)]).assert().code(4);
    crmwb(&db).args(["followups", "snooze", &late, "--for", "soon"]).assert().code(2);

    // Done: completes it, logs the call, plans the next one.
    let out = crmwb(&db)
        .args(["followups", "done", &late, "--note", "reached them", "--next", &days(14), "--now", &days(8), "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let done = json(&out.stdout);
    assert_eq!(done["completed"][0]["rule"], "next-followup");
    assert_eq!(done["logged"]["next_followup"], days(14));
    crmwb(&db).args(["followups", "--check", "--owner", "li", "--now", &days(8)]).assert().code(0);
    crmwb(&db).args(["followups", "--check", "--owner", "li", "--now", &days(15)]).assert().code(4);
    let show = json(&crmwb(&db).args(["customer", "show", &late, "--json"]).output().unwrap().stdout);
    assert_eq!(show["interactions"][0]["summary"], "reached them");
    assert_eq!(show["last_followup"], days(8));

    crmwb(&db).args(["followups", "--now", "2026-13-01"]).assert().code(1);
    crmwb(&db).args(["followups", "done", "CRM1999-000001", "--note", "x"]).assert().code(1);
}

#[test]
fn cli_status_log_and_rules() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let n = add_cli(&db, &["name=状态有限公司", "status=意向"]);
    let out = crmwb(&db).args(["status", &n, "won"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "a refusal exits 3");
    assert!(String::from_utf8_lossy(&out.stderr).contains("status.won_needs_contract"));
    crmwb(&db).args(["status", &n, "成交客户", "--contract-no", "HT-2026-01"]).assert().success();
    crmwb(&db).args(["status", &n, "lost"]).assert().code(3);
    crmwb(&db).args(["status", &n, "lost", "--reason", "went bankrupt"]).assert().success();
    let text = String::from_utf8(crmwb(&db).args(["customer", "show", &n]).output().unwrap().stdout).unwrap();
    assert!(text.contains("status 成交客户 → 流失客户 (reason went bankrupt)"), "{text}");

    let out = crmwb(&db).args(["log", &n, "--kind", "smoke-signal", "--note", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interaction.kind"));
    let l = json(
        &crmwb(&db)
            .args(["log", &n, "--kind", "报价", "--note", "quoted again", "--at", &days(-1), "--json"])
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!((l["at"].as_str(), l["last_followup"].as_str()), (Some(days(-1).as_str()), Some(days(-1).as_str())));

    // Rules: show as TOML, change, set back, see the effect.
    let toml = String::from_utf8(crmwb(&db).args(["rules", "show"]).output().unwrap().stdout).unwrap();
    assert!(toml.contains("built-in") && toml.contains("id = \"next-followup\""), "{toml}");
    let n2 = add_cli(&db, &["name=规则有限公司", &format!("next_followup={}", days(-1))]);
    crmwb(&db).args(["followups", "--check"]).assert().code(4);
    let edited = toml.replace("kind = \"next_followup\"\nenabled = true", "kind = \"next_followup\"\nenabled = false");
    assert_ne!(edited, toml);
    let file = dir.path().join("rules.toml");
    std::fs::write(&file, &edited).unwrap();
    crmwb(&db).args(["rules", "set", file.to_str().unwrap()]).assert().success();
    crmwb(&db).args(["followups", "--check"]).assert().code(0);
    let shown = json(&crmwb(&db).args(["rules", "show", "--json"]).output().unwrap().stdout);
    assert_eq!(shown["builtin"], false);
    std::fs::write(&file, "[[rule]]\nid = \"x\"\nkind = \"weekly\"\n").unwrap();
    let out = crmwb(&db).args(["rules", "set", file.to_str().unwrap()]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code() == Some(1) && err.contains("rules.toml") && err.contains("weekly"), "{err}");
    let _ = n2;
}

#[test]
fn the_demo_has_overdue_due_today_and_upcoming_follow_ups() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    crmwb(&db).args(["demo", "--no-tui"]).assert().success();
    let v = json(&crmwb(&db).args(["followups", "--json", "--due-within", "7"]).output().unwrap().stdout);
    let counts = &v["counts"];
    for k in ["overdue", "due_today", "upcoming"] {
        assert!(counts[k].as_u64().unwrap() > 0, "{k}: {counts}");
    }
    // Past events were not moved into the future.
    let list = json(&crmwb(&db).args(["customers", "--json"]).output().unwrap().stdout);
    let today = days(0);
    for c in list.as_array().unwrap() {
        for f in ["first_contact", "last_followup", "contract_signed"] {
            if let Some(v) = c[f].as_str() {
                assert!(v <= today.as_str(), "{f} {v} after today");
            }
        }
    }
}

#[test]
fn real_databases_never_shift_dates() {
    let mut wb = bench("2026-03-01");
    let a = add(&mut wb, &[("name", "真实有限公司"), ("next_followup", "2024-01-01")]);
    assert!(matches!(wb.shift_demo_dates(d("2026-03-01")), Err(Error::Refused(_))));
    assert_eq!(wb.customer_by_number(&a).unwrap().customer.next_followup.as_deref(), Some("2024-01-01"));
}

/// Issue 16, finding 6: the reminders horizon is a setting of each import,
/// set with the import or afterwards, shown by `imports show`; without it a
/// past planned follow-up is overdue.
#[test]
fn finding_16_6_reminders_from_is_set_per_import_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let csv = dir.path().join("old.csv");
    std::fs::write(&csv, "客户名称,下次跟进\n旧甲有限公司,2025-01-05\n旧乙有限公司,2026-02-20\n").unwrap();
    crmwb(&db).args(["import"]).arg(&csv).args(["--source", "old"]).assert().success();
    let overdue = |db: &Path| -> serde_json::Value {
        let v = json(&crmwb(db).args(["followups", "--json", "--now", "2026-03-01"]).output().unwrap().stdout);
        v["counts"]["overdue"].clone()
    };
    assert_eq!(overdue(&db), 2, "every date counts by default");
    let show =
        |db: &Path| String::from_utf8(crmwb(db).args(["imports", "show", "1"]).output().unwrap().stdout).unwrap();
    assert!(show(&db).contains("Reminders: every date counts"), "{}", show(&db));
    let out = crmwb(&db).args(["imports", "reminders-from", "1", "2026-02-01"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("reminders from 2026-02-01"));
    assert_eq!(overdue(&db), 1, "the 2025 date is history now");
    assert!(show(&db).contains("Reminders from 2026-02-01"), "{}", show(&db));
    crmwb(&db).args(["imports", "reminders-from", "1", "none"]).assert().success();
    assert_eq!(overdue(&db), 2);
    crmwb(&db).args(["imports", "reminders-from", "1", "2026-13-45"]).assert().code(2);
    // Set with the import itself.
    let csv2 = dir.path().join("archive.csv");
    std::fs::write(&csv2, "客户名称,下次跟进\n档案丙有限公司,2025-06-01\n").unwrap();
    crmwb(&db)
        .args(["import"])
        .arg(&csv2)
        .args(["--source", "archive", "--reminders-from", "2026-01-01"])
        .assert()
        .success();
    assert_eq!(overdue(&db), 2, "the archive's old date raises nothing");
}

/// Issue 16, finding 10: bulk done / snooze / reassign. Each customer is
/// its own unit of work with its own audit entry, so a refusal stops
/// nothing else and says which customer and why.
#[test]
fn finding_16_10_bulk_actions_are_one_unit_of_work_each_with_audit() {
    use crm_workbench::domain::Role;
    use crm_workbench::service::ReminderKey;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let open_as = |login: &str| {
        let mut wb = Workbench::open(&path, OpenMode::Existing, "admin").unwrap();
        at(&mut wb, "2026-03-10");
        if login != "admin" {
            wb.act_as(login).unwrap();
        }
        wb
    };
    let mut wb = Workbench::open(&path, OpenMode::Create, "admin").unwrap();
    at(&mut wb, "2026-03-10");
    wb.add_user("wang", Role::Manager, Some("王经理"), None).unwrap();
    wb.add_user("li", Role::Sales, Some("李娜"), Some("wang")).unwrap();
    wb.add_user("linfeng", Role::Sales, Some("林峰"), Some("wang")).unwrap();
    let a = add(&mut wb, &[("name", "北京星辰科技有限公司"), ("owner", "li"), ("next_followup", "2026-03-05")]);
    let b = add(&mut wb, &[("name", "上海云帆贸易有限公司"), ("owner", "wang"), ("next_followup", "2026-03-08")]);
    let c = add(&mut wb, &[("name", "广州李记有限公司"), ("owner", "李娜"), ("next_followup", "2026-03-09")]);
    let key = |n: &str| ReminderKey { number: n.to_string(), rule: "next-followup".into() };
    // A salesperson: the customers owned under her login and under her
    // name are hers; the manager's is refused, with why.
    let mut wb = open_as("li");
    assert_eq!(wb.mine_owners().unwrap(), vec!["li".to_string(), "李娜".to_string()]);
    let audit_before = wb.recent_audit(1000).unwrap().len();
    let out = wb.snooze_followups(&[key(&a), key(&b), key(&c)], "1w").unwrap();
    assert_eq!(out.done.iter().flatten().count(), 2, "{out:?}");
    assert_eq!(out.refused.len(), 1);
    assert_eq!(out.refused[0].0, b);
    let summary = out.summary(2, "snoozed");
    assert!(summary.starts_with("2 snoozed, 1 refused (") && summary.contains(&b), "{summary}");
    let audit = wb.recent_audit(1000).unwrap();
    assert_eq!(audit.len() - audit_before, 2);
    assert!(audit.iter().take(2).all(|e| e.action == "followup.snooze" && e.actor == "li"));
    let overdue: Vec<String> = list(&wb, "2026-03-10", 0).into_iter().map(|r| r.number).collect();
    assert_eq!(overdue, vec![b.clone()]);
    // A bad length refuses the batch before anything is written.
    assert!(wb.snooze_followups(&[key(&b)], "soon").is_err());
    // Done: one interaction per customer, each its own audit entry; one
    // already done is refused, the rest complete.
    let mut wb = open_as("admin");
    wb.complete_followup(&b, Some("next-followup"), &call(InteractionKind::Call, "done before")).unwrap();
    at(&mut wb, "2026-03-20");
    let out = wb.complete_followups(&[key(&a), key(&b), key(&c)], &call(InteractionKind::Visit, "季度拜访"));
    assert_eq!(out.done.len(), 2, "{out:?}");
    assert_eq!(out.refused.len(), 1);
    assert!(out.refused[0].1.contains("no open `next-followup` reminder"), "{:?}", out.refused);
    for n in [&a, &c] {
        let detail = wb.customer_by_number(n).unwrap();
        assert_eq!(detail.interactions.iter().filter(|i| i.summary == "季度拜访").count(), 1);
    }
    let audit = wb.recent_audit(6).unwrap();
    let done: Vec<Option<&str>> =
        audit.iter().filter(|e| e.action == "followup.done").map(|e| e.entity_id.as_deref()).collect();
    assert!(done.contains(&Some(a.as_str())) && done.contains(&Some(c.as_str())), "{audit:#?}");
    // Reassign: to a user's name as the data writes owners; an unknown
    // owner refuses the batch, nothing written.
    let err = wb.reassign_customers(&[a.clone(), c.clone()], "nobody").unwrap_err();
    assert!(err.to_string().contains("not an active user"), "{err}");
    let out = wb.reassign_customers(&[a.clone(), c.clone(), a.clone()], "林峰").unwrap();
    assert_eq!(out.done, vec![a.clone(), c.clone()]);
    assert!(out.refused.is_empty());
    for n in [&a, &c] {
        assert_eq!(wb.customer_by_number(n).unwrap().customer.owner.as_deref(), Some("林峰"));
    }
    // linfeng's "mine" now holds both, under his name.
    let mine = open_as("linfeng").mine_owners().unwrap();
    assert_eq!(mine, vec!["linfeng".to_string(), "林峰".to_string()]);
}

/// Issue 16, finding 11: a new customer is checked against the existing
/// ones by the matcher's keys on normalised values, before it is saved.
#[test]
fn finding_16_11_possible_duplicates_by_normalised_mobile_and_name_core() {
    let mut wb = bench("2026-03-10");
    let a = add(&mut wb, &[("name", "北京星辰科技有限公司"), ("mobile", "13800138000")]);
    let b = add(&mut wb, &[("name", "星辰科技（上海）有限公司")]);
    let p =
        add(&mut wb, &[("name", "陈明"), ("kind", "person"), ("mobile", "13912345678"), ("email", "chen@example.com")]);
    let sets = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter().map(|(f, x)| (f.to_string(), x.to_string())).collect()
    };
    // The same mobile written another way, the same core name.
    let found =
        wb.possible_duplicates(&sets(&[("name", "星辰科技有限公司"), ("mobile", "+86 138-0013-8000")])).unwrap();
    let got: Vec<(&str, Vec<&str>)> = found.iter().map(|d| (d.number.as_str(), d.shared.clone())).collect();
    assert_eq!(got, vec![(a.as_str(), vec!["name", "mobile"]), (b.as_str(), vec!["name"])]);
    assert_eq!(found[0].name, "北京星辰科技有限公司");
    // A person: same e-mail in another case, same name.
    let found =
        wb.possible_duplicates(&sets(&[("name", "陈明"), ("kind", "person"), ("email", "Chen@Example.com")])).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].number, p);
    assert_eq!(found[0].shared, vec!["name", "email"]);
    // Nothing in common: nothing found. Merged-away customers never count.
    assert!(wb
        .possible_duplicates(&sets(&[("name", "远洋物流有限公司"), ("mobile", "13700000000")]))
        .unwrap()
        .is_empty());
    // The check writes nothing; add_customer still saves when told to.
    assert_eq!(wb.customer_count().unwrap(), 3);
}

/// Issue 16, finding 7 ("mine" filters): a user's customers are those owned
/// under their login or their name, in `customers --mine` and `followups
/// --mine` alike (linfeng is 林峰).
#[test]
fn finding_16_7_cli_mine_is_owned_under_the_login_or_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let late = format!("next_followup={}", days(-2));
    let by_login = add_cli(&db, &["name=登录名有限公司", "owner=linfeng", &late]);
    let by_name = add_cli(&db, &["name=显示名有限公司", "owner=林峰", &late]);
    let other = add_cli(&db, &["name=别人有限公司", "owner=wang", &late]);
    crmwb(&db).args(["users", "add", "linfeng", "--role", "sales", "--name", "林峰"]).assert().success();
    crmwb(&db).args(["users", "add", "wang", "--role", "sales", "--name", "王芳"]).assert().success();
    let numbers = |args: &[&str], key: Option<&str>| -> Vec<String> {
        let out = crmwb(&db).args(["--as", "linfeng"]).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let v = json(&out.stdout);
        let list = key.map_or(&v, |k| &v[k]);
        let mut n: Vec<String> =
            list.as_array().unwrap().iter().map(|r| r["number"].as_str().unwrap().to_string()).collect();
        n.sort();
        n
    };
    let mine = vec![by_login.clone(), by_name.clone()];
    assert_eq!(numbers(&["followups", "--mine", "--json"], Some("reminders")), mine);
    assert_eq!(numbers(&["customers", "--mine", "--json"], None), mine);
    // The text lists say the same; one owner is still one owner.
    let text = crmwb(&db).args(["--as", "linfeng", "customers", "--mine"]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains(&by_login) && text.contains(&by_name) && !text.contains(&other), "{text}");
    assert_eq!(numbers(&["customers", "--owner", "林峰", "--json"], None), vec![by_name.clone()]);
    crmwb(&db).args(["customers", "--mine", "--owner", "x"]).assert().code(2);
}
