//! The packet and frame decoders (`volley::protocol`): any bytes, as a WebSocket message, a
//! UDP datagram or a DTLS record carries them. Decoding never panics; a packet that decodes
//! encodes back to bytes that decode to the same packet, the UDP socket's opcode peek agrees
//! with decoding, and the fast channel's encode-once form writes exactly the packet's bytes.

#![no_main]

use std::sync::LazyLock;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use volley::config::Config;
use volley::protocol::{FastPacket, Opcode, decode, encode, peek_op_code};

/// `limits.max_frame_bytes` as shipped: what every transport decodes with.
static MAX_FRAME: LazyLock<usize> = LazyLock::new(|| {
    Config::parse("")
        .expect("the built-in defaults are valid")
        .limits
        .max_frame_bytes
});

fuzz_target!(|data: &[u8]| {
    let max = *MAX_FRAME;
    let peeked = peek_op_code(data, max);
    let Ok(packet) = decode(Bytes::copy_from_slice(data), max) else {
        return;
    };
    if let Some(op_code) = peeked {
        assert_eq!(
            op_code, packet.op_code,
            "peeked opcode differs from the decoded one"
        );
    }
    let _ = Opcode(packet.op_code).kind();

    // Re-encoding may be longer than the input (a negative int32 sent as a 5-byte varint
    // encodes in 10), so the second decode has no limit.
    let encoded = encode(&packet);
    let again = decode(encoded.clone(), usize::MAX).expect("an encoded packet decodes");
    assert_eq!(again, packet, "decode(encode(p)) != p");
    assert_eq!(encode(&again), encoded, "encoding is not stable");

    let fast = FastPacket::new(&packet);
    let seq = packet.sequence_number;
    assert_eq!(
        fast.to_bytes(seq),
        encoded,
        "FastPacket bytes differ from encode()"
    );
    assert_eq!(fast.encoded_len(seq), encoded.len());
    let mut header_and_body = fast.header(seq).as_bytes().to_vec();
    header_and_body.extend_from_slice(fast.body());
    assert_eq!(
        header_and_body, encoded,
        "header + body differ from encode()"
    );
});
