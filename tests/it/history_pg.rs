//! The shared history on PostgreSQL, where it differs from a file: connecting, the
//! server's version, migrations run once by operators starting together, passwords, TLS,
//! errors that say what happened. (What both stores do alike is in `history`, run on both.)

use crate::support::pg::{self, Database};
use veriff_tui::history::{Query, Store, StoreError};

#[test]
fn a_new_database_is_migrated_and_usable() {
    let db = Database::new();
    let store = db.store();
    assert!(store.is_shared());
    assert_eq!(db.sql("SELECT version FROM schema_version"), "1");
    assert_eq!(store.count(&Query::default()).unwrap(), 0);
    assert!(!store.path().contains(pg::PASSWORD));
}
