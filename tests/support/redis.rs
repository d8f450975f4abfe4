//! A real `redis-server` for the tests of one test binary: started on a free loopback port
//! on first use, and stopped when the test binary exits (it runs under a shell that waits on
//! the test binary's end of a pipe, which closes when the binary exits however it ends).
//! Tests share it, each under a fleet id of its own ([`fresh_fleet_id`]).

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// The running server.
pub struct RedisServer {
    /// `redis://127.0.0.1:<port>/`.
    pub url: String,
    /// Its port.
    pub port: u16,
    /// Held open until the binary exits: closing it stops the server.
    _lifeline: Mutex<(Child, ChildStdin)>,
}

static SERVER: OnceLock<RedisServer> = OnceLock::new();

/// The shared server, started if it is not running yet. Panics, naming the cause, when
/// `redis-server` is missing or does not start within 10 s.
pub fn shared() -> &'static RedisServer {
    SERVER.get_or_init(start)
}

/// A fleet id no other test of this run uses.
pub fn fresh_fleet_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "fleet-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn start() -> RedisServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let script = format!(
        "redis-server --port {port} --bind 127.0.0.1 --save '' --appendonly no & \
         pid=$!; read _; kill $pid"
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sh to start redis-server (install redis-server)");
    let stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut ready = Some(ready_tx);
        // Read to the end, so that the server never blocks on a full pipe.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("Ready to accept connections")
                && let Some(ready) = ready.take()
            {
                let _ = ready.send(());
            }
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("redis-server ready within 10 s (is redis-server installed?)");
    RedisServer {
        url: format!("redis://127.0.0.1:{port}/"),
        port,
        _lifeline: Mutex::new((child, stdin)),
    }
}
