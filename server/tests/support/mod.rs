//! The server tests' harness: the `ledger-server` binary started on a free
//! loopback port against the PostgreSQL that scripts/test-server.sh started
//! (`LEDGER_TEST_DATABASE_URL`), and a raw HTTP/1.1 client, so a test sends
//! exactly the bytes it means (any Host, any Origin, any body).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

pub fn database_url() -> String {
    std::env::var("LEDGER_TEST_DATABASE_URL")
        .expect("LEDGER_TEST_DATABASE_URL is not set: run scripts/test-server.sh, which starts PostgreSQL for these tests")
}

/// A running server, stopped when dropped (a failing test too).
pub struct Server {
    /// Behind a lock so a test can kill the server while its threads send.
    child: Mutex<Child>,
    pub port: u16,
}

/// Another web page's origin that CORS_ORIGINS allows.
pub const ALLOWED_ORIGIN: &str = "http://app.example";

impl Server {
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// A server on the database `url` names (a restored copy, say).
    pub fn start_on(url: &str) -> Server {
        Server::start_with(&[("DATABASE_URL", url)])
    }

    /// The server with `env` besides the usual (a free port, the test
    /// database, `CORS_ORIGINS`), once it answers `/health`.
    pub fn start_with(env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let child = command(port, env).stdout(Stdio::null()).spawn().unwrap();
        let server = Server { child: Mutex::new(child), port };
        let started = Instant::now();
        loop {
            assert!(server.running(), "the server exited at start");
            if server.try_send("GET", "/health", &[], None).is_ok_and(|reply| reply.status == 200) {
                return server;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "the server did not answer /health within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the server with `env`, which must make it exit at once with a
    /// failure; answers what it said on stderr.
    pub fn refuses_to_start(env: &[(&str, &str)]) -> String {
        let mut child = command(free_port(), env).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the server started with {env:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert!(!status.success(), "{status}: {stderr}");
        stderr
    }

    /// Kills the process at once (SIGKILL on unix: no shutdown of its own)
    /// and waits for it to be gone.
    pub fn kill(&self) {
        let mut child = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = child.kill();
        let _ = child.wait();
    }

    /// The process has not exited.
    pub fn running(&self) -> bool {
        self.child.lock().unwrap_or_else(PoisonError::into_inner).try_wait().unwrap().is_none()
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[], None)
    }

    pub fn post(&self, path: &str, body: &str) -> Reply {
        self.send("POST", path, &[("Content-Type", "application/json")], Some(body.as_bytes()))
    }

    /// `GET` with `Authorization: Bearer {token}`.
    pub fn get_as(&self, token: &str, path: &str) -> Reply {
        self.send("GET", path, &[("Authorization", &format!("Bearer {token}"))], None)
    }

    /// `POST` of a JSON body with `Authorization: Bearer {token}`.
    pub fn post_as(&self, token: &str, path: &str, body: &str) -> Reply {
        let headers = [("Content-Type", "application/json"), ("Authorization", &format!("Bearer {token}"))];
        self.send("POST", path, &headers, Some(body.as_bytes()))
    }

    /// One request; `Host` is the server's unless `headers` name one.
    #[track_caller]
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Reply {
        self.try_send(method, path, headers, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// `POST` of a JSON body, or why no answer came (connection refused or
    /// cut: the server is down).
    pub fn try_post(&self, path: &str, body: &str) -> Result<Reply, String> {
        self.try_send("POST", path, &[("Content-Type", "application/json")], Some(body.as_bytes()))
    }

    pub fn try_send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Result<Reply, String> {
        let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("host")) {
            request.push_str(&format!("Host: 127.0.0.1:{}\r\n", self.port));
        }
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            request.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        self.try_raw(&bytes)
    }

    /// Sends `bytes` as they are and reads the answer to the end.
    #[track_caller]
    pub fn raw(&self, bytes: &[u8]) -> Reply {
        self.try_raw(bytes).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn try_raw(&self, bytes: &[u8]) -> Result<Reply, String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| format!("can't connect: {e}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        // The server may answer (413) and close before reading all of a
        // large body: a failed write is then no failure.
        let _ = stream.write_all(bytes);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        Reply::parse(&answer)
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap()
}

fn command(port: u16, env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ledger-server"));
    command
        .env("DATABASE_URL", database_url())
        .env("PORT", port.to_string())
        .env("CORS_ORIGINS", ALLOWED_ORIGIN)
        .env_remove("HOST")
        .env_remove("DIST")
        .env_remove("TOKENS_FILE")
        // No rate limit unless a test sets one: the tests that go flat out
        // (a pull racing writers, faults under load) test other things, and
        // on a fast machine they passed the default 200/s by chance (a 429
        // failed the test command once). auth.rs tests the limit itself.
        .env("RATE_LIMIT", "0")
        .env_remove("RATE_BURST")
        .env_remove("READ_DATABASE_URL");
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// A tokens file in the temporary folder, removed when dropped.
pub struct TokensFile {
    pub path: std::path::PathBuf,
}

impl TokensFile {
    /// `lines` as `(token, tenant, device)`; `name` tells the tests' files apart.
    pub fn new(name: &str, lines: &[(&str, &str, &str)]) -> TokensFile {
        let path = std::env::temp_dir().join(format!("ledger-tokens-{}-{name}", std::process::id()));
        let file = TokensFile { path };
        file.write(lines);
        file
    }

    pub fn write(&self, lines: &[(&str, &str, &str)]) {
        let text: String = lines.iter().map(|(token, tenant, device)| format!("{token} {tenant} {device}\n")).collect();
        self.write_text(&format!("# test tokens\n{text}"));
    }

    /// Replaces the file's text at once (a rename), as an editor may.
    pub fn write_text(&self, text: &str) {
        let next = self.path.with_extension("next");
        std::fs::write(&next, text).unwrap();
        std::fs::rename(&next, &self.path).unwrap();
    }

    pub fn path(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

impl Drop for TokensFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A token of 40 characters made from `seed`.
pub fn token(seed: &str) -> String {
    format!("{seed:_<40}")
}

/// The `device` in the metadata of each message of `stream`, oldest first,
/// read from `message_store.messages` in the test database.
pub fn devices(stream: &str) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&database_url(), tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(connection);
        let rows = client
            .query("SELECT metadata->>'device' FROM message_store.messages WHERE stream_name = $1 ORDER BY position", &[&stream])
            .await
            .unwrap();
        rows.iter().map(|row| row.get::<_, String>(0)).collect()
    })
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    fn parse(answer: &[u8]) -> Result<Reply, String> {
        let text = String::from_utf8_lossy(answer);
        let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| format!("no HTTP answer: {text:?}"))?;
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("no status: {text:?}"))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        let chunked = headers.iter().any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
        let body = if chunked { dechunk(body) } else { body.to_owned() };
        Ok(Reply { status, headers, body })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The `code` of a `{"code","message"}` body.
    #[track_caller]
    pub fn code(&self) -> String {
        let json: serde_json::Value = serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {self:?}"));
        assert!(json.get("message").is_some_and(|m| m.is_string()), "{self:?}");
        json.get("code").and_then(|c| c.as_str()).unwrap_or_else(|| panic!("no code: {self:?}")).to_owned()
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        // A cut answer (the server killed while writing) keeps what came.
        let Some(chunk) = rest.get(..size) else {
            out.push_str(rest);
            break;
        };
        out.push_str(chunk);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// The answer is `status` with exactly `body`.
#[track_caller]
pub fn answers(reply: &Reply, status: u16, body: &str) {
    assert_eq!((reply.status, reply.body.as_str()), (status, body), "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("application/json"), "{reply:?}");
}

/// The answer is the error `code` with `status`, as `{"code","message"}`.
#[track_caller]
pub fn refused(reply: &Reply, status: u16, code: &str) {
    assert_eq!((reply.status, reply.code().as_str()), (status, code), "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("application/json"), "{reply:?}");
}
