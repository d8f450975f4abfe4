//! The pre-login WebSocket path: bytes from a client socket through the server handshake with
//! Volley's own WebSocket settings, then the frames before LOGIN decoded as the login wait
//! does. Nothing panics, and no message above `limits.max_frame_bytes` is ever buffered;
//! `fuzz/run` also fails any single allocation of 64 MiB or more (`-malloc_limit_mb`).

#![no_main]

use std::sync::LazyLock;

use futures_util::StreamExt;
use libfuzzer_sys::fuzz_target;
use tokio::runtime::Runtime;
use tokio_tungstenite::tungstenite::Message;
use volley::config::Config;
use volley::fuzzing::websocket_config;
use volley::protocol::{Body, Opcode, Packet, decode};

static MAX_FRAME: LazyLock<usize> = LazyLock::new(|| {
    Config::parse("")
        .expect("the built-in defaults are valid")
        .limits
        .max_frame_bytes
});

static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
});

fuzz_target!(|data: &[u8]| {
    let max_frame = *MAX_FRAME;
    RUNTIME.block_on(async {
        // The client's bytes, then end of stream; whatever the server writes is discarded.
        let stream = tokio::io::join(data, tokio::io::sink());
        let config = websocket_config(max_frame);
        let Ok(mut ws) = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await
        else {
            return;
        };
        // Ends: every message consumes input, and the input ends.
        while let Some(Ok(message)) = ws.next().await {
            let frame = match message {
                Message::Binary(frame) => frame,
                Message::Text(text) => {
                    assert!(text.len() <= max_frame, "text message above the limit");
                    continue;
                }
                Message::Close(_) => return,
                _ => continue,
            };
            assert!(frame.len() <= max_frame, "binary message above the limit");
            if let Ok(Packet {
                op_code,
                body: Some(Body::Login(_)),
                ..
            }) = decode(frame, max_frame)
                && op_code == Opcode::LOGIN.0
            {
                return;
            }
        }
    });
});
