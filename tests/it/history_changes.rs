//! `Store::changes_after`: what other connections (other processes) wrote, named record by
//! record, and nothing for a connection's own writes. Two connections on one real file (or
//! one PostgreSQL database) stand for two processes: SQLite's `data_version` and the
//! writer's backend on PostgreSQL tell them apart the same way.

use chrono::Utc;
use veriff_tui::history::Store;
use veriff_tui::veriff::{Decision, SessionStatus};

use crate::history::{add, reopen, spec, t};

// Each test on a SQLite file and on a PostgreSQL database (`history`'s macro).
on_both_stores!(
    another_connections_writes_are_named_with_the_status_they_moved_from,
    own_writes_are_not_reported_even_when_mixed_with_none,
    several_writes_to_one_record_are_one_entry_from_its_first_status,
    more_than_one_look_holds_reads_as_reload_everything,
);

fn approved() -> Decision {
    Decision {
        status: SessionStatus::Approved,
        code: Some(9001),
        ..Default::default()
    }
}

fn another_connections_writes_are_named_with_the_status_they_moved_from(tui: &Store) {
    let other = reopen(tui);
    let before = add(&other, &spec("Old", "Record", t(2026, 11, 1, 9)));
    let mut watch = tui.watch().unwrap();
    assert_eq!(tui.changes_after(&mut watch).unwrap(), None, "idle");

    let made = add(&other, &spec("অমিত", "দাস", t(2026, 11, 2, 9)));
    let changes = tui
        .changes_after(&mut watch)
        .unwrap()
        .expect("the insert is seen");
    assert!(!changes.overflow);
    assert_eq!(changes.records.len(), 1);
    assert_eq!(changes.records[0].record.id, made.id);
    assert_eq!(changes.records[0].status_before, None, "new");
    assert!(changes.records[0].status_moved());
    assert_eq!(
        tui.changes_after(&mut watch).unwrap(),
        None,
        "seen once only"
    );

    other
        .record_decision(&made.session_id, Some(&approved()), Utc::now())
        .unwrap();
    let changes = tui
        .changes_after(&mut watch)
        .unwrap()
        .expect("the decision");
    let c = &changes.records[0];
    assert_eq!(c.record.status, SessionStatus::Approved);
    assert_eq!(c.record.decision_code, Some(9001));
    assert_eq!(c.status_before.as_deref(), Some("created"));
    assert!(c.status_moved());

    // A write that moves no status (a failed check) is named, but not as a move.
    other
        .record_check_error(&before.session_id, "timed out")
        .unwrap();
    let changes = tui.changes_after(&mut watch).unwrap().expect("the check");
    assert_eq!(changes.records[0].record.id, before.id);
    assert!(!changes.records[0].status_moved());

    assert!(other.delete(before.id).unwrap());
    let changes = tui.changes_after(&mut watch).unwrap().expect("the delete");
    assert_eq!(changes.deleted, vec![before.id]);
    assert!(changes.records.is_empty());
}

fn own_writes_are_not_reported_even_when_mixed_with_none(tui: &Store) {
    let other = reopen(tui);
    let mut watch = tui.watch().unwrap();
    let mine = add(tui, &spec("Mine", "Own", t(2026, 11, 3, 9)));
    tui.record_decision(&mine.session_id, Some(&approved()), Utc::now())
        .unwrap();
    assert_eq!(tui.changes_after(&mut watch).unwrap(), None);
    // The next write by another connection names only itself, not the own ones before.
    let theirs = add(&other, &spec("Theirs", "Other", t(2026, 11, 3, 10)));
    let changes = tui.changes_after(&mut watch).unwrap().unwrap();
    let ids: Vec<i64> = changes.records.iter().map(|c| c.record.id).collect();
    assert_eq!(ids, vec![theirs.id]);
}

fn several_writes_to_one_record_are_one_entry_from_its_first_status(tui: &Store) {
    let other = reopen(tui);
    let r = add(&other, &spec("Anna", "Smith", t(2026, 11, 4, 9)));
    let mut watch = tui.watch().unwrap();
    let started = Decision {
        status: SessionStatus::Submitted,
        ..Default::default()
    };
    other
        .record_decision(&r.session_id, Some(&started), Utc::now())
        .unwrap();
    other
        .record_decision(&r.session_id, Some(&approved()), Utc::now())
        .unwrap();
    let changes = tui.changes_after(&mut watch).unwrap().unwrap();
    assert_eq!(changes.records.len(), 1);
    assert_eq!(changes.records[0].status_before.as_deref(), Some("created"));
    assert_eq!(changes.records[0].record.status, SessionStatus::Approved);
}

fn more_than_one_look_holds_reads_as_reload_everything(tui: &Store) {
    let other = reopen(tui);
    let mut watch = tui.watch().unwrap();
    for i in 0..501u32 {
        add(
            &other,
            &spec("Many", "Rows", t(2026, 10, 1 + i % 28, i % 24)),
        );
    }
    let changes = tui.changes_after(&mut watch).unwrap().unwrap();
    assert!(changes.overflow);
    assert!(changes.records.is_empty());
    assert_eq!(tui.changes_after(&mut watch).unwrap(), None, "caught up");
    // And the watch goes on naming records after the overflow.
    let one = add(&other, &spec("After", "Overflow", t(2026, 11, 5, 9)));
    let changes = tui.changes_after(&mut watch).unwrap().unwrap();
    assert!(!changes.overflow);
    assert_eq!(changes.records[0].record.id, one.id);
}
