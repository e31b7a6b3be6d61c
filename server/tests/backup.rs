//! A backup restored (scripts/backup.sh, scripts/restore.sh): a server on
//! the restored database answers the backed-up states exactly, lacks what
//! was written after the backup, and has a new server id. Run by
//! scripts/test-server.sh.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use ledger_core::{Pulled, ServerEvent};
use support::{database_url, Server};

/// Runs one of scripts/, with `DATABASE_URL` set, to success.
fn script(name: &str, database: &str, file: &Path) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts").join(name);
    let output = Command::new(&path).arg(file).env("DATABASE_URL", database).output().unwrap();
    assert!(output.status.success(), "{name} failed: {}", String::from_utf8_lossy(&output.stderr));
}

/// The tests' database URL with another database's name.
fn other_database(name: &str) -> String {
    let url = database_url();
    let (server, _) = url.rsplit_once('/').unwrap();
    format!("{server}/{name}")
}

/// A folder for the dump, removed however the test ends.
struct Folder(PathBuf);

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The restored database, dropped however the test ends (after its server,
/// which is declared later, so dropped first).
struct Database(String);

impl Drop for Database {
    fn drop(&mut self) {
        let psql = format!("{}/psql", std::env::var("LEDGER_TEST_PG_BIN").unwrap_or_default());
        let drop = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.0);
        let _ = Command::new(psql).args(["-X", "-q", "-d", &other_database("postgres"), "-c", &drop]).status();
    }
}

fn pull_all(server: &Server) -> (String, Vec<ServerEvent>) {
    let (mut after, mut all) = (0, Vec::new());
    loop {
        let reply = server.get(&format!("/sync/events?after={after}&limit=1000"));
        let page = Pulled::read(&reply.body).unwrap_or_else(|e| panic!("{e}: {reply:?}"));
        if page.events.is_empty() {
            return (page.server, all);
        }
        after = page.next;
        all.extend(page.events);
    }
}

/// This run's account `n` (another run on the same database has its own).
fn at(n: &str) -> String {
    format!("/accounts/bak{}-{n}", std::process::id())
}

#[track_caller]
fn ok(reply: &support::Reply) {
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[test]
#[ignore = "needs PostgreSQL with Message DB: scripts/test-server.sh runs these"]
fn a_restored_backup_answers_what_was_backed_up_under_a_new_server_id() {
    let server = Server::start();
    ok(&server.post(&at("1"), r#"{"type":"OpenAccount","owner":"B","initial_balance":10}"#));
    ok(&server.post(&at("1"), r#"{"type":"Deposit","amount":"2.50","command_id":"bak-c1"}"#));
    ok(&server.post(&at("2"), r#"{"type":"OpenAccount","owner":"C","initial_balance":0}"#));
    let states: Vec<String> = [at("1"), at("2"), at("1/events")].iter().map(|path| server.get(path).body).collect();
    let (id, events) = pull_all(&server);

    let folder = Folder(std::env::temp_dir().join(format!("ledger-backup-test-{}", std::process::id())));
    let dump = folder.0.join("ledger.dump");
    script("backup.sh", &database_url(), &dump);
    assert!(std::fs::metadata(&dump).unwrap().len() > 0);

    // Written after the backup: not in the restored copy.
    ok(&server.post(&at("1"), r#"{"type":"Deposit","amount":1,"command_id":"bak-c2"}"#));
    ok(&server.post(&at("3"), r#"{"type":"OpenAccount","owner":"D","initial_balance":1}"#));

    let name = format!("restored_{}", std::process::id());
    let _database = Database(name.clone());
    script("restore.sh", &other_database(&name), &dump);
    let restored = Server::start_on(&other_database(&name));
    let again: Vec<String> = [at("1"), at("2"), at("1/events")].iter().map(|path| restored.get(path).body).collect();
    assert_eq!(again, states, "the backed-up states, exactly");
    assert_eq!(restored.get(&at("3")).status, 404, "written after the backup");
    let (new_id, restored_events) = pull_all(&restored);
    assert_eq!(restored_events, events, "every event, at its position");
    assert_ne!(new_id, id, "a restored database is another history: another server id");
    assert_eq!(new_id.len(), 36, "{new_id}");
    // The same command id on the restored copy is a new command there.
    let resent = restored.post(&at("1"), r#"{"type":"Deposit","amount":1,"command_id":"bak-c2"}"#);
    ok(&resent);
    assert!(resent.body.contains(r#""version":3"#), "{resent:?}");
    // A database that holds messages is never restored over.
    let refused = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/restore.sh"))
        .arg(&dump)
        .env("DATABASE_URL", other_database(&name))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("holds messages"), "{refused:?}");
    assert_eq!(restored.get(&at("1")).status, 200);
}
