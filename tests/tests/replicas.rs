//! Three mcp-crm replicas on PostgreSQL + Redis behind haproxy on
//! loopback, under load from stateless (2026-07-28) and `initialize`
//! session clients: one replica is killed and restarted, all three are
//! restarted one by one with SIGTERM, and PostgreSQL itself is restarted.
//! No call may fail and every lead written must read back.
//!
//! The PostgreSQL is the test's own (initdb in a temp dir), so restarting
//! it does not disturb the tests running beside this one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use promptsales_tests::{Backend, Client, Era, HttpServer, free_port, http_client};
use serde_json::{Value, json};

const SCOPES: (&str, &str) = ("PROMPTSALES_SCOPES", "crm:read,crm:write");
/// What each replica is told to wait on SIGTERM before closing its
/// listener (the k8s ConfigMap sets 5 s; haproxy here checks every 200 ms).
const DRAIN_MS: &str = "1500";
/// A call taking longer than this counts as failed.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A PostgreSQL cluster of the test's own, stopped on drop.
struct PrivatePg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PrivatePg {
    /// `None` outside CI when the server binaries are not installed.
    fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|d| {
                let mut v: Vec<PathBuf> = d.flatten().map(|e| e.path().join("bin")).collect();
                v.sort();
                v.pop()
            })
            .filter(|b| b.join("initdb").exists());
        let Some(bin) = bin else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but PostgreSQL's initdb is not installed"
            );
            eprintln!("no PostgreSQL server binaries: replica test skipped");
            return None;
        };
        // PostgreSQL refuses to run as root: run it as `postgres` then.
        let as_postgres = std::process::Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let dir = tempfile::tempdir().unwrap();
        if as_postgres {
            let ok = std::process::Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap()
                .success();
            assert!(ok, "chown of the private cluster's directory");
        }
        let pg = PrivatePg {
            dir,
            bin,
            port: free_port(),
            as_postgres,
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c max_connections=200",
            pg.port,
            pg.dir.path().display()
        );
        let log = format!("{}/server.log", pg.dir.path().display());
        pg.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-o", &opts, "-w", "start"],
        );
        Some(pg)
    }

    fn data(&self) -> String {
        format!("{}/data", self.dir.path().display())
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let out = if self.as_postgres {
            std::process::Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(args)
                .current_dir(self.dir.path())
                .output()
        } else {
            std::process::Command::new(&exe).args(args).output()
        }
        .unwrap();
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A fast restart: sessions are terminated (57P01), in-flight
    /// transactions roll back, new connections are refused until it is up.
    fn restart(&self) {
        // `-l` again: without it the new postmaster writes to (and holds
        // open) the pipes `run` reads to the end.
        let log = format!("{}/server.log", self.dir.path().display());
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-m",
                "fast",
                "-w",
                "restart",
            ],
        );
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let data = self.data();
        let exe = self.bin.join("pg_ctl");
        let args = ["-D", data.as_str(), "-m", "immediate", "stop"];
        let _ = if self.as_postgres {
            std::process::Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(args)
                .output()
        } else {
            std::process::Command::new(&exe).args(args).output()
        };
    }
}

/// haproxy in the foreground in front of `ports`, killed on drop.
struct Haproxy {
    _child: tokio::process::Child,
    port: u16,
}

impl Haproxy {
    async fn start(dir: &Path, ports: &[u16]) -> Self {
        let port = free_port();
        let servers: String = ports
            .iter()
            .enumerate()
            .map(|(i, p)| format!("    server r{i} 127.0.0.1:{p} check\n"))
            .collect();
        // Health checks on /readyz mark a draining replica down within
        // 200 ms; L7 retries resend a call whose connection failed or
        // whose replica died before answering, to another replica; session
        // clients stick to the replica that issued their Mcp-Session-Id.
        let cfg = format!(
            "global\n    maxconn 4000\n\
             defaults\n    mode http\n    timeout connect 500ms\n    timeout client 60s\n    \
             timeout server 60s\n    retries 3\n    option redispatch 1\n    \
             retry-on conn-failure empty-response\n\
             frontend mcp\n    bind 127.0.0.1:{port}\n    default_backend crm\n\
             backend crm\n    balance roundrobin\n    option httpchk GET /readyz\n    \
             http-check expect status 200\n    \
             stick-table type string len 80 size 10k expire 30m\n    \
             stick match req.hdr(mcp-session-id)\n    \
             stick store-response res.hdr(mcp-session-id)\n    \
             default-server inter 200ms fastinter 100ms downinter 200ms fall 1 rise 2\n{servers}"
        );
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, cfg).unwrap();
        let check = std::process::Command::new("haproxy")
            .arg("-c")
            .arg("-f")
            .arg(&path)
            .output()
            .expect("haproxy is installed (.ci/run installs it)");
        assert!(
            check.status.success(),
            "haproxy config: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let child = tokio::process::Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let lb = Haproxy {
            _child: child,
            port,
        };
        lb.wait_all_up(ports.len()).await;
        lb
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }

    /// Waits until haproxy answers (its checks need `rise` passes first).
    async fn wait_all_up(&self, _replicas: usize) {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http
                .get(format!("http://127.0.0.1:{}/readyz", self.port))
                .send()
                .await
                && r.status().is_success()
            {
                return;
            }
            assert!(Instant::now() < deadline, "haproxy never answered readyz");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// What the load saw.
#[derive(Default)]
struct Seen {
    /// (lead id, email) of every registration that succeeded.
    written: Vec<(String, String)>,
    calls: usize,
    failures: Vec<String>,
}

fn lead(email: &str) -> Value {
    json!({
        "client_id": "cli_001", "channel": "web", "country": "CO",
        "name": "Réplica", "email": email, "company": "Acme"
    })
}

/// One call; a tool error, a protocol error or a timeout is a failure.
async fn call(client: &Client, tool: &str, args: Value) -> Result<Value, String> {
    let request = rmcp::model::CallToolRequestParams::new(tool.to_owned())
        .with_arguments(args.as_object().cloned().unwrap_or_default());
    let r = tokio::time::timeout(CALL_TIMEOUT, client.call_tool(request))
        .await
        .map_err(|_| format!("{tool}: no answer in {CALL_TIMEOUT:?}"))?
        .map_err(|e| format!("{tool}: protocol error {e}"))?;
    if r.is_error == Some(true) {
        let text = r
            .content
            .first()
            .and_then(|c| c.as_text())
            .map(|t| t.text.clone());
        return Err(format!("{tool}: {}", text.unwrap_or_default()));
    }
    r.structured_content
        .ok_or_else(|| format!("{tool}: no structured content"))
}

/// Registers leads and reads each back until `stop`.
async fn worker(url: String, era: Era, n: usize, stop: Arc<AtomicBool>, seen: Arc<Mutex<Seen>>) {
    let client = match http_client(&url, era).await {
        Ok(c) => c,
        Err(e) => {
            seen.lock()
                .unwrap()
                .failures
                .push(format!("{era:?} connect: {e}"));
            return;
        }
    };
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        let email = format!("w{n}-{i}@replicas.test");
        i += 1;
        let written = call(&client, "register_lead", lead(&email)).await;
        let read = match &written {
            Ok(v) => {
                let id = v["lead"]["id"].as_str().unwrap_or_default().to_owned();
                let r = call(&client, "get_lead", json!({ "lead_id": id })).await;
                Some((id, r))
            }
            Err(_) => None,
        };
        let mut s = seen.lock().unwrap();
        s.calls += 1;
        match (written, read) {
            (Err(e), _) => s.failures.push(format!("{era:?} {e}")),
            (Ok(_), Some((id, r))) => {
                s.calls += 1;
                if let Err(e) = r {
                    s.failures.push(format!("{era:?} {e}"));
                }
                s.written.push((id, email));
            }
            (Ok(_), None) => unreachable!(),
        }
    }
    let _ = client.cancel().await;
}

async fn replica(backend: &Backend, port: u16, log: &Path) -> HttpServer {
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    HttpServer::start_at(
        "mcp-crm",
        backend,
        &["--drain-delay-ms", DRAIN_MS],
        &[SCOPES],
        Stdio::from(stderr),
        port,
    )
    .await
}

/// Lets the load run for `d` and reports how many calls it made meanwhile.
async fn phase(name: &str, d: Duration, seen: &Mutex<Seen>) {
    let before = seen.lock().unwrap().calls;
    tokio::time::sleep(d).await;
    let s = seen.lock().unwrap();
    eprintln!(
        "{name}: {} calls, {} failures so far",
        s.calls - before,
        s.failures.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_survive_kills_rolling_restarts_and_a_database_restart() {
    let Some(redis) = std::env::var("TEST_REDIS_URL").ok() else {
        assert!(std::env::var_os("CI").is_none(), "CI needs TEST_REDIS_URL");
        return;
    };
    let Some(pg) = PrivatePg::start() else {
        return;
    };
    let backend = Backend::postgres_at(pg.url(), redis).migrated();
    let log = backend.dir.path().join("replicas.log");
    let ports = [free_port(), free_port(), free_port()];
    let mut replicas = Vec::new();
    for p in ports {
        replicas.push(Some(replica(&backend, p, &log).await));
    }
    let lb = Haproxy::start(backend.dir.path(), &ports).await;

    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let eras = [
        Era::Stateless,
        Era::Stateless,
        Era::Stateless,
        Era::Stateless,
        Era::Initialize,
        Era::Initialize,
    ];
    let workers: Vec<_> = eras
        .iter()
        .enumerate()
        .map(|(n, era)| tokio::spawn(worker(lb.url(), *era, n, stop.clone(), seen.clone())))
        .collect();
    phase("steady", Duration::from_secs(2), &seen).await;

    // A replica dies without warning, then comes back.
    let mut dead = replicas[1].take().unwrap();
    dead.child.kill().await.unwrap();
    phase("one replica killed", Duration::from_secs(2), &seen).await;
    replicas[1] = Some(replica(&backend, ports[1], &log).await);
    phase("killed replica back", Duration::from_secs(1), &seen).await;

    // A rolling restart: each replica drains on SIGTERM and exits cleanly.
    for (i, port) in ports.iter().enumerate() {
        let status = replicas[i].take().unwrap().terminate().await;
        assert!(
            status.success(),
            "replica {i} exited with {status} on SIGTERM"
        );
        replicas[i] = Some(replica(&backend, *port, &log).await);
        phase(
            &format!("replica {i} restarted"),
            Duration::from_secs(1),
            &seen,
        )
        .await;
    }

    // PostgreSQL restarts under the load.
    tokio::task::block_in_place(|| pg.restart());
    phase("PostgreSQL restarted", Duration::from_secs(2), &seen).await;

    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }

    let (written, calls, failures) = {
        let s = seen.lock().unwrap();
        (s.written.clone(), s.calls, s.failures.clone())
    };
    let server_log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        failures.is_empty(),
        "{} of {calls} calls failed:\n{}\n-- replicas' log --\n{}",
        failures.len(),
        failures.join("\n"),
        server_log
            .lines()
            .rev()
            .take(60)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(written.len() > 50, "too little load: {calls} calls");

    // Every lead a client was told was written is there.
    let reader = http_client(&lb.url(), Era::Stateless).await.unwrap();
    for (id, email) in &written {
        let v = call(&reader, "get_lead", json!({ "lead_id": id }))
            .await
            .unwrap_or_else(|e| panic!("lead {id} ({email}) lost: {e}"));
        assert_eq!(v["profile"]["email"], email.as_str(), "{v}");
    }
    eprintln!(
        "{calls} calls through haproxy, 0 failed; {} leads written, all read back",
        written.len()
    );
    reader.cancel().await.unwrap();
    drop(lb);
    for r in replicas.into_iter().flatten() {
        r.terminate().await;
    }
}
