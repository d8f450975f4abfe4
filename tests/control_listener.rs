//! The control API's listener over real sockets: connection limits, eviction of connections
//! that wait for a request, the request header deadline and the idle timeout (README
//! "Limits and bad input"). The reconnecting flood against a signed backend is in
//! `tests/control/test_connections.py`.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;
use volley::Options;
use volley::config::{AuthMode, Config};

/// A server whose control API takes unsigned requests, with `limit` applied to its config.
async fn server(limit: impl FnOnce(&mut Config)) -> TestServer {
    let mut config = test_config();
    config.control.auth = AuthMode::None;
    limit(&mut config);
    TestServer::with(config, Options::default()).await
}

async fn connect(addr: SocketAddr) -> TcpStream {
    connect_from("127.0.0.1", addr).await
}

/// A connection from another loopback address (Linux routes all of 127/8 to loopback).
async fn connect_from(ip: &str, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    let local: SocketAddr = format!("{ip}:0").parse().expect("address");
    socket.bind(local).expect("bind a loopback address");
    within("connect", socket.connect(addr))
        .await
        .expect("connected")
}

/// The head of a `ListFleets` request whose two-byte body (`{}`) is sent separately.
fn list_fleets_head(addr: SocketAddr) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: GameLift.ListFleets\r\n\
         Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n"
    )
}

/// Sends a whole `ListFleets` on a kept-alive connection and reads its answer: the status.
async fn list_fleets(stream: &mut TcpStream, addr: SocketAddr) -> u16 {
    let request = format!("{}{{}}", list_fleets_head(addr));
    send(stream, request.as_bytes()).await;
    read_response(stream).await
}

/// Starts a `ListFleets` whose body waits for `100 Continue`, and reads that interim
/// answer: the server has the request head and waits for the body, so the connection is
/// busy with a request.
async fn start_list_fleets(stream: &mut TcpStream, addr: SocketAddr) {
    let head = list_fleets_head(addr).replace("\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n");
    send(stream, head.as_bytes()).await;
    let interim = read_head(stream).await;
    assert!(interim.starts_with("HTTP/1.1 100 "), "{interim}");
}

async fn send(stream: &mut TcpStream, bytes: &[u8]) {
    within("sent", stream.write_all(bytes)).await.expect("sent");
}

/// Reads a response head, up to its blank line.
async fn read_head(stream: &mut TcpStream) -> String {
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") {
        let n = within("response head", stream.read(&mut byte))
            .await
            .expect("read");
        assert_eq!(
            n,
            1,
            "closed before a response: {:?}",
            String::from_utf8_lossy(&seen)
        );
        seen.push(byte[0]);
    }
    String::from_utf8(seen).expect("ascii head")
}

/// Reads one response with a `Content-Length` body: its status.
async fn read_response(stream: &mut TcpStream) -> u16 {
    let head = read_head(stream).await;
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(": ")?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.parse().expect("a length"))
        })
        .expect("content-length");
    let mut body = vec![0u8; length];
    within("response body", stream.read_exact(&mut body))
        .await
        .expect("body read");
    head[9..12].parse().expect("status code")
}

/// Whether the server closed the connection (end of stream or reset) within [`STEP`].
async fn closed(stream: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        within("closed", stream.read(&mut byte)).await,
        Ok(0) | Err(_)
    )
}

#[tokio::test]
async fn a_new_connection_evicts_the_one_that_waited_longest_and_never_a_busy_one() {
    let server = server(|config| {
        config.control.max_connections = 3;
        config.control.max_connections_per_ip = 2;
    })
    .await;
    let control = server.addresses.control;
    let mut first = connect(control).await;
    let mut second = connect(control).await;
    // Its source over the limit: its connection that has waited longest makes room.
    let mut third = connect(control).await;
    assert!(closed(&mut first).await);
    eventually("eviction counted", async || {
        server.metrics().control_connections_evicted == 1
    })
    .await;

    // Both busy with a request: nothing of that source can make room, so a newcomer from
    // it is closed on accept.
    start_list_fleets(&mut second, control).await;
    start_list_fleets(&mut third, control).await;
    let mut refused = connect(control).await;
    assert!(closed(&mut refused).await);
    assert_eq!(server.metrics().control_connections_over_limit, 1);
    // Another source has room until the listener is full; then its own idle connection,
    // the only one waiting, makes room.
    let mut other = connect_from("127.0.0.2", control).await;
    let _another = connect_from("127.0.0.2", control).await;
    assert!(closed(&mut other).await);
    eventually("eviction counted", async || {
        server.metrics().control_connections_evicted == 2
    })
    .await;

    // The busy connections were kept, and their requests are answered.
    send(&mut second, b"{}").await;
    assert_eq!(read_response(&mut second).await, 200);
    send(&mut third, b"{}").await;
    assert_eq!(read_response(&mut third).await, 200);
    // Kept alive and waiting again, they make room once more, longest waiting first.
    let _fourth = connect(control).await;
    assert!(closed(&mut second).await);
    assert_eq!(list_fleets(&mut third, control).await, 200);
    eventually("eviction counted", async || {
        server.metrics().control_connections_evicted == 3
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn a_connection_that_sends_no_complete_request_head_in_time_is_closed() {
    let timeout = Duration::from_millis(300);
    let server = server(|config| {
        config.control.request_header_timeout = timeout;
    })
    .await;
    let control = server.addresses.control;
    let started = Instant::now();
    let mut silent = connect(control).await;
    let mut partial = connect(control).await;
    let mut kept = connect(control).await;
    send(&mut partial, b"POST / HTTP/1.1\r\nHost: x\r\n").await;
    assert_eq!(list_fleets(&mut kept, control).await, 200);
    assert!(closed(&mut silent).await);
    assert!(closed(&mut partial).await);
    let took = started.elapsed();
    assert!(took >= timeout && took < Duration::from_secs(3), "{took:?}");
    assert_eq!(server.metrics().control_request_header_timeouts, 2);

    // A keep-alive connection between two requests has the idle timeout (60 s), not the
    // request header timeout.
    tokio::time::sleep(2 * timeout).await;
    assert_eq!(list_fleets(&mut kept, control).await, 200);
    assert_eq!(server.metrics().control_request_header_timeouts, 2);
    server.stop().await;
}

#[tokio::test]
async fn a_keep_alive_connection_idle_for_the_idle_timeout_is_closed() {
    let server = server(|config| {
        config.control.idle_timeout = Duration::from_millis(300);
    })
    .await;
    let control = server.addresses.control;
    let mut kept = connect(control).await;
    // The server's idle time starts once it has answered, which is before the client has read
    // the answer: measured from before the request, it is at least the timeout.
    let idle_since = Instant::now();
    assert_eq!(list_fleets(&mut kept, control).await, 200);
    assert!(closed(&mut kept).await);
    let idle = idle_since.elapsed();
    assert!(
        idle >= Duration::from_millis(300) && idle < Duration::from_secs(3),
        "{idle:?}"
    );
    // A connection that starts a request head and stalls is closed after it too.
    let mut stalled = connect(control).await;
    assert_eq!(list_fleets(&mut stalled, control).await, 200);
    send(&mut stalled, b"POST / HTTP/1.1\r\n").await;
    assert!(closed(&mut stalled).await);
    server.stop().await;
}
