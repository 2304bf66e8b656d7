//! The real binary in a pseudo-terminal shows what another process wrote to the history
//! without a key press: a CLI `decision` run beside it (another process, another connection
//! to the same file) stores an answer, and the open list, status line and dashboard follow.

use veriff_tui::history::{Query, Store};
use veriff_tui::sandbox::Outcome;

use crate::support::{SandboxEnv, Tui};

/// The sandbox, and the shared history's URL when the history is on PostgreSQL.
struct Setup {
    env: SandboxEnv,
    shared: Option<String>,
}

impl Setup {
    /// The binary run to completion, on the same history as the TUI.
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        match &self.shared {
            Some(url) => self
                .env
                .run_with(args, &[("VERIFF_TUI_HISTORY_URL", url.as_str())]),
            None => self.env.run(args),
        }
    }
}

/// The session id of the newest record named `first`.
fn session_of(setup: &Setup, first: &str) -> String {
    let store = match &setup.shared {
        Some(url) => Store::open_url(url).unwrap(),
        None => Store::open(&setup.env.history_db()).unwrap(),
    };
    let page = store
        .page(&Query {
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    page.into_iter()
        .find(|r| r.first_name == first)
        .map(|r| r.session_id)
        .unwrap_or_else(|| panic!("no record for {first}"))
}

/// Another process makes a link for `first last`.
fn generate(setup: &Setup, first: &str, last: &str) -> String {
    let (code, _, err) = setup.run(&["generate", "--first-name", first, "--last-name", last]);
    assert_eq!(code, 0, "{err}");
    session_of(setup, first)
}

/// The person decides in the flow, and another process asks Veriff (the sandbox) and stores
/// the answer.
fn decide_elsewhere(setup: &Setup, session_id: &str, outcome: Outcome) {
    assert!(setup.env.sandbox.decide(session_id, outcome));
    let (code, out, err) = setup.run(&["decision", session_id]);
    assert_eq!(code, 0, "{out}{err}");
}

/// Whether a row of the list shows `status` for `session_id`: told from the status line's
/// note (which names the person too) by the session id's first characters.
fn row(session_id: &str, status: &str) -> impl Fn(&str) -> bool {
    let (id, status) = (session_id[..8].to_string(), status.to_string());
    move |s: &str| s.lines().any(|l| l.contains(&id) && l.contains(&status))
}

#[test]
fn a_decision_stored_by_another_process_shows_without_a_key_press() {
    follows_other_processes(Setup {
        env: SandboxEnv::new(),
        shared: None,
    });
}

#[test]
fn on_a_shared_history_too() {
    let db = crate::support::pg::Database::new();
    follows_other_processes(Setup {
        env: SandboxEnv::new(),
        shared: Some(db.url()),
    });
}

fn follows_other_processes(setup: Setup) {
    // Latin and CJK: the test's terminal (the vt100 crate) counts the columns of Indic
    // scripts unlike tmux and the terminals the app follows, so their rows are checked in
    // tmux by hand, not here.
    let latin = generate(&setup, "Zoë", "Saldaña");
    let mut vars = setup.env.vars();
    if let Some(url) = &setup.shared {
        vars.push(("VERIFF_TUI_HISTORY_URL", url.clone()));
    }
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let tui = Tui::spawn(&[], &vars, 100, 30);
    tui.wait_for("Generate general session");
    tui.send("\x1b2"); // Alt+2: Generated tokens
    tui.wait_until("the record, created", row(&latin, "created"));

    // From here on no key is pressed: only other processes act.
    decide_elsewhere(&setup, &latin, Outcome::Approved);
    let approved = row(&latin, "approved");
    let screen = tui.wait_until("the row approved and the note", |s| {
        approved(s) && s.contains("Zoë Saldaña: approved (9001)")
    });
    assert!(!row(&latin, "created")(&screen), "{screen}");

    // A link made by another process appears in the list by itself.
    let chinese = generate(&setup, "李", "小龍");
    tui.wait_until("the new record listed", row(&chinese, "created"));

    // The dashboard's counts follow too.
    tui.send("\x1b3"); // Alt+3: Dashboard
    tui.wait_until("the dashboard", |s| s.contains("By status"));
    let declined_count = |s: &str, n: &str| {
        s.lines().any(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words.windows(2).any(|w| w[0] == "declined" && w[1] == n)
        })
    };
    tui.wait_until("no declined yet", |s| declined_count(s, "0"));
    decide_elsewhere(&setup, &chinese, Outcome::Declined);
    tui.wait_until("one declined, counted without a key", |s| {
        declined_count(s, "1") && s.contains("李 小龍: declined (9102)")
    });
}
