//! Shared by the `server_*` integration tests: the real `driftdb-server`
//! binary as a child process, and a raw protocol client.
//!
//! [`TestServer`] builds nothing itself: it spawns the binary Cargo built for
//! the tests (`CARGO_BIN_EXE_driftdb-server`) with `--port 0` (so the kernel
//! picks a free port, with no race between choosing and binding), a fresh
//! temporary data directory and a password, reads the port from the
//! `listening on ... port N` log line, and keeps collecting the server's
//! stderr so tests can assert on its log (and that nothing panicked). It can
//! stop the server with SIGTERM or SIGKILL and start it again on the same
//! data directory. Dropping it kills the server.
#![allow(dead_code)]

pub mod raw;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The password every test server gets unless a test asks otherwise.
pub const PASSWORD: &str = "t3st pw";

/// How long a server may take to start listening (a loaded 2-core machine
/// running several test binaries at once can be slow).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The server binary Cargo built for these tests.
pub fn server_bin() -> &'static str {
    env!("CARGO_BIN_EXE_driftdb-server")
}

/// A running (or stopped) `driftdb-server` child process.
pub struct TestServer {
    child: Option<Child>,
    reader: Option<JoinHandle<()>>,
    /// The port of the current (or last) run.
    pub port: u16,
    dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    /// `DRIFTDB_PASSWORD`, or `None` to let the server generate one.
    password: Option<String>,
    /// Every stderr line of every run, in order.
    log: Arc<Mutex<String>>,
    /// Extra command-line arguments for every run.
    args: Vec<String>,
    /// The password clients use, when not `password`.
    client_password: Option<String>,
}

impl TestServer {
    /// Starts a server on a fresh data directory with [`PASSWORD`].
    pub fn start() -> TestServer {
        TestServer::start_with(Some(PASSWORD))
    }

    /// Starts a server on a fresh data directory; `password` is
    /// `DRIFTDB_PASSWORD` (`None`: unset, so the server generates one).
    pub fn start_with(password: Option<&str>) -> TestServer {
        TestServer::start_with_args(password, &[])
    }

    /// Like [`TestServer::start_with`], with extra command-line arguments
    /// (`--auth-method md5`).
    pub fn start_with_args(password: Option<&str>, args: &[&str]) -> TestServer {
        let tmp = tempfile::Builder::new()
            .prefix("driftdb-itest-")
            .tempdir()
            .expect("a temporary directory");
        let mut s = TestServer {
            child: None,
            reader: None,
            port: 0,
            dir: tmp.path().join("data"),
            _tmp: Some(tmp),
            password: password.map(str::to_string),
            log: Arc::new(Mutex::new(String::new())),
            args: args.iter().map(|a| a.to_string()).collect(),
            client_password: None,
        };
        s.launch();
        s
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The password clients must use (for a generated one, see the log).
    pub fn password(&self) -> &str {
        self.client_password
            .as_deref()
            .or(self.password.as_deref())
            .unwrap_or("")
    }

    /// Sets the password clients use (for instance one the server
    /// generated); `DRIFTDB_PASSWORD` stays as it was.
    pub fn set_client_password(&mut self, password: &str) {
        self.client_password = Some(password.to_string());
    }

    /// Everything the server wrote to stderr so far (all runs).
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Panics if any run of the server logged a panic.
    pub fn assert_no_panic(&self) {
        let log = self.log();
        assert!(
            !log.contains("panicked") && !log.contains("(panic)"),
            "the server panicked:\n{log}"
        );
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server is running").id()
    }

    /// Spawns the binary on `self.dir` and waits until it listens.
    fn launch(&mut self) {
        let mut cmd = Command::new(server_bin());
        cmd.arg("--data-path")
            .arg(&self.dir)
            .args(["--port", "0", "--host", "127.0.0.1"])
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        match &self.password {
            Some(p) => cmd.env("DRIFTDB_PASSWORD", p),
            None => cmd.env_remove("DRIFTDB_PASSWORD"),
        };
        let mut child = cmd.spawn().expect("spawn driftdb-server");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        let log = self.log.clone();
        self.reader = Some(std::thread::spawn(move || {
            collect_log(BufReader::new(stderr), &log, &tx)
        }));
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(port) => {
                    self.port = port;
                    return;
                }
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => {
                    if let Some(st) = self.try_status() {
                        panic!("the server exited ({st}) before listening:\n{}", self.log());
                    }
                }
                Err(_) => panic!("the server did not start listening:\n{}", self.log()),
            }
        }
    }

    /// Starts the server again on the same data directory (it must have
    /// stopped; see [`TestServer::kill`] and [`TestServer::terminate`]).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "restart: the server is still running");
        self.launch();
    }

    /// Runs the server on the data directory expecting it to fail at
    /// startup; returns its exit status and what this run logged.
    pub fn start_expecting_failure(&mut self) -> (ExitStatus, String) {
        assert!(self.child.is_none(), "the server is still running");
        let out = Command::new(server_bin())
            .arg("--data-path")
            .arg(&self.dir)
            .args(["--port", "0"])
            .args(&self.args)
            .env("DRIFTDB_PASSWORD", self.password.as_deref().unwrap_or(""))
            .stdin(Stdio::null())
            .output()
            .expect("run driftdb-server");
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_str(&text);
        (out.status, text)
    }

    /// Starts the server on the data directory and SIGKILLs it after
    /// `delay`, whatever it is doing then (recovering, checkpointing,
    /// listening). Its log is kept.
    pub fn start_and_kill_after(&mut self, delay: Duration) {
        assert!(self.child.is_none(), "the server is still running");
        let mut child = Command::new(server_bin())
            .arg("--data-path")
            .arg(&self.dir)
            .args(["--port", "0"])
            .args(&self.args)
            .env("DRIFTDB_PASSWORD", self.password.as_deref().unwrap_or(""))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn driftdb-server");
        std::thread::sleep(delay);
        let _ = child.kill();
        let out = child.wait_with_output().expect("wait");
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_str(&text);
    }

    /// The exit status, if the server has exited (reaped by this call).
    fn try_status(&mut self) -> Option<ExitStatus> {
        let st = self.child.as_mut()?.try_wait().expect("try_wait");
        if st.is_some() {
            self.child = None;
            if let Some(r) = self.reader.take() {
                let _ = r.join();
            }
        }
        st
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }

    /// Sends SIGTERM without waiting.
    pub fn send_sigterm(&self) {
        let st = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(st.success(), "kill -TERM failed");
    }

    /// Waits up to `timeout` for the server to exit; `None` if it did not.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(st) = self.try_status() {
                return Some(st);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, and the exit status (panics if it takes over `timeout`).
    pub fn terminate(&mut self, timeout: Duration) -> ExitStatus {
        self.send_sigterm();
        let start = Instant::now();
        match self.wait_exit(timeout) {
            Some(st) => st,
            None => {
                self.kill();
                panic!(
                    "no exit {:?} after SIGTERM:\n{}",
                    start.elapsed(),
                    self.log()
                )
            }
        }
    }

    /// A `postgres` crate configuration for this server.
    pub fn config(&self) -> postgres::Config {
        let mut c = postgres::Config::new();
        c.host("127.0.0.1")
            .port(self.port)
            .user("driftdb")
            .dbname("driftdb")
            .password(self.password())
            .connect_timeout(Duration::from_secs(30));
        c
    }

    /// A connected client.
    pub fn client(&self) -> postgres::Client {
        self.config()
            .connect(postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect: {e}\n{}", self.log()))
    }

    /// A raw protocol client, logged in.
    pub fn raw(&self) -> raw::Raw {
        raw::Raw::login(self.port, self.password())
    }

    /// Runs psql against this server with `args`, feeding `stdin`.
    pub fn psql(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new("psql")
            .args(["-X", "-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "driftdb", "-d", "driftdb"])
            .args(args)
            .env("PGPASSWORD", self.password())
            .env("PGCONNECT_TIMEOUT", "30")
            .env_remove("PGSSLMODE")
            .env_remove("PGOPTIONS")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("psql is installed");
        let mut input = child.stdin.take().expect("piped stdin");
        input.write_all(stdin.as_bytes()).expect("write psql stdin");
        drop(input);
        child.wait_with_output().expect("psql output")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Copies the server's stderr into `log`; sends the port once it listens.
fn collect_log(r: impl BufRead, log: &Mutex<String>, tx: &mpsc::Sender<u16>) {
    for line in r.lines() {
        let Ok(line) = line else { return };
        if let Some(port) = listening_port(&line) {
            let _ = tx.send(port);
        }
        let mut l = log.lock().unwrap_or_else(|p| p.into_inner());
        l.push_str(&line);
        l.push('\n');
    }
}

/// The port in `listening on IPv4 address "127.0.0.1", port 41234`.
fn listening_port(line: &str) -> Option<u16> {
    let (_, rest) = line.split_once("listening on ")?;
    rest.rsplit_once("port ")?.1.trim().parse().ok()
}

/// The server's rows for a simple query, each column as text (`None` for NULL).
pub fn rows(c: &mut postgres::Client, sql: &str) -> Vec<Vec<Option<String>>> {
    let msgs = c
        .simple_query(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    msgs.iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
            }
            _ => None,
        })
        .collect()
}

/// The rows of a simple query as strings with NULL written `NULL`, columns
/// joined by `|`: compact to compare.
pub fn lines(c: &mut postgres::Client, sql: &str) -> Vec<String> {
    rows(c, sql)
        .into_iter()
        .map(|r| {
            r.into_iter()
                .map(|v| v.unwrap_or_else(|| "NULL".into()))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

/// One value of a one-row, one-column query.
pub fn scalar(c: &mut postgres::Client, sql: &str) -> String {
    let r = rows(c, sql);
    assert_eq!(r.len(), 1, "{sql}: {r:?}");
    r[0][0].clone().unwrap_or_else(|| "NULL".into())
}

/// The database-wide latest committed seq.
pub fn current_seq(c: &mut postgres::Client) -> u64 {
    scalar(c, "SELECT driftdb_current_seq()")
        .parse()
        .expect("a seq")
}

/// SQLSTATE and message of a failed statement.
pub fn db_error(e: &postgres::Error) -> (String, String) {
    let db = e
        .as_db_error()
        .unwrap_or_else(|| panic!("a server error, got {e:?}"));
    (db.code().code().to_string(), db.message().to_string())
}
