//! Length-prefixed framing (protocol.md §2.1): every WebSocket message, UDP datagram and DTLS
//! record is `varint(N) || N bytes of Packet`. Also [`FastPacket`], the fast-channel form that lets
//! a fan-out encode a packet once and stamp each recipient's sequence number cheaply.

use bytes::{BufMut, Bytes, BytesMut};
use prost::Message;
use prost::encoding::{decode_varint, encode_varint, encoded_len_varint};

use super::Packet;

/// Why bytes from the network did not decode into a packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The length prefix is missing or not a valid varint.
    #[error("bad length prefix")]
    BadPrefix,
    /// The prefix announces more bytes than the limit allows.
    #[error("packet of {len} bytes exceeds the {max}-byte limit")]
    TooLong {
        /// Announced length.
        len: u64,
        /// The limit in force.
        max: usize,
    },
    /// The prefix announces more bytes than the frame holds.
    #[error("frame truncated: prefix says {len} bytes, {available} present")]
    Truncated {
        /// Announced length.
        len: u64,
        /// Bytes after the prefix.
        available: usize,
    },
    /// The packet bytes are not a valid `Packet`.
    #[error("malformed packet: {0}")]
    Malformed(String),
}

/// Decodes one length-prefixed packet of at most `max_len` bytes (after the prefix) from a
/// frame. Trailing bytes after the announced length are ignored (protocol.md §2.1). Never panics.
pub fn decode(mut frame: Bytes, max_len: usize) -> Result<Packet, DecodeError> {
    let len = decode_varint(&mut frame).map_err(|_| DecodeError::BadPrefix)?;
    if len > max_len as u64 {
        return Err(DecodeError::TooLong { len, max: max_len });
    }
    if len > frame.len() as u64 {
        return Err(DecodeError::Truncated {
            len,
            available: frame.len(),
        });
    }
    // `len <= frame.len()`, a usize, so the cast is lossless.
    let body = frame.split_to(len as usize);
    Packet::decode(body).map_err(|e| DecodeError::Malformed(e.to_string()))
}

/// The `opCode` of a length-prefixed packet, read without decoding it or allocating: the
/// UDP socket uses it to drop datagrams from unknown addresses that are not a handshake at
/// the cost of a few byte comparisons. `None` when the bytes are not a well-formed packet
/// with an opcode. As in decoding, the last occurrence of the field wins.
pub fn peek_op_code(mut frame: &[u8], max_len: usize) -> Option<i32> {
    let len = decode_varint(&mut frame).ok()?;
    if len > max_len as u64 || len > frame.len() as u64 {
        return None;
    }
    let mut fields = &frame[..len as usize];
    let mut op_code = None;
    while !fields.is_empty() {
        let key = decode_varint(&mut fields).ok()?;
        let (tag, wire_type) = (key >> 3, key & 7);
        let skip = match wire_type {
            0 => {
                let value = decode_varint(&mut fields).ok()?;
                if tag == 1 {
                    // sint32: zigzag; truncation to 32 bits is what decoding does too.
                    let value = value as u32;
                    op_code = Some((value >> 1) as i32 ^ -((value & 1) as i32));
                }
                0
            }
            1 => 8,
            2 => usize::try_from(decode_varint(&mut fields).ok()?).ok()?,
            5 => 4,
            _ => return None,
        };
        fields = fields.get(skip..)?;
    }
    op_code
}

/// Encodes a packet with its length prefix.
pub fn encode(packet: &Packet) -> Bytes {
    let len = packet.encoded_len();
    let mut buf = BytesMut::with_capacity(len + encoded_len_varint(len as u64));
    packet
        .encode_length_delimited(&mut buf)
        .expect("buffer reserved with the exact length");
    buf.freeze()
}

/// A packet for the fast channel, encoded once and shared by every recipient of a fan-out.
///
/// Recipients differ only in the sequence number (protocol.md §5.8), so the packet is stored as its
/// opcode plus the encoding of every other field; [`FastPacket::write`] puts the prefix,
/// opcode and sequence number in front. Fields 1 and 2 come first, so the bytes are exactly
/// what encoding the whole packet would give.
#[derive(Clone, Debug, PartialEq)]
pub struct FastPacket {
    op_code: i32,
    rest: Bytes,
}

impl FastPacket {
    /// Splits `packet`; its own `op_code` is kept and its `sequence_number` ignored.
    pub fn new(packet: &Packet) -> Self {
        let mut tail = packet.clone();
        tail.op_code = 0;
        tail.sequence_number = 0;
        Self {
            op_code: packet.op_code,
            rest: tail.encode_to_vec().into(),
        }
    }

    /// The packet's opcode.
    pub fn op_code(&self) -> i32 {
        self.op_code
    }

    /// Bytes of the whole datagram for a given sequence number.
    pub fn encoded_len(&self, seq: i32) -> usize {
        let inner = self.inner_len(seq);
        encoded_len_varint(inner as u64) + inner
    }

    /// Appends the length-prefixed datagram with sequence number `seq` to `out`.
    pub fn write(&self, seq: i32, out: &mut impl BufMut) {
        out.put_slice(self.header(seq).as_bytes());
        out.put_slice(&self.rest);
    }

    /// The per-recipient start of the datagram (length prefix, opcode, sequence number); the
    /// rest is [`FastPacket::body`], the same for every recipient. For vectored sends.
    pub fn header(&self, seq: i32) -> FastHeader {
        let mut header = FastHeader {
            bytes: [0; FastHeader::MAX],
            len: 0,
        };
        let mut out = &mut header.bytes[..];
        let before = out.len();
        encode_varint(self.inner_len(seq) as u64, &mut out);
        if self.op_code != 0 {
            out.put_u8(0x08);
            encode_varint(zigzag(self.op_code), &mut out);
        }
        if seq != 0 {
            out.put_u8(0x10);
            encode_varint(seq as i64 as u64, &mut out);
        }
        header.len = (before - out.len()) as u8;
        header
    }

    /// The part of the datagram shared by every recipient.
    pub fn body(&self) -> &Bytes {
        &self.rest
    }

    /// The datagram with sequence number `seq` as one buffer.
    pub fn to_bytes(&self, seq: i32) -> Bytes {
        let mut buf = BytesMut::with_capacity(self.encoded_len(seq));
        self.write(seq, &mut buf);
        buf.freeze()
    }

    fn inner_len(&self, seq: i32) -> usize {
        let op = if self.op_code != 0 {
            1 + encoded_len_varint(zigzag(self.op_code))
        } else {
            0
        };
        let seq = if seq != 0 {
            1 + encoded_len_varint(seq as i64 as u64)
        } else {
            0
        };
        op + seq + self.rest.len()
    }
}

/// The per-recipient start of a fast datagram, built on the stack.
#[derive(Clone, Copy, Debug)]
pub struct FastHeader {
    bytes: [u8; FastHeader::MAX],
    len: u8,
}

impl FastHeader {
    /// Prefix (at most 5 bytes for any frame we send) + opcode field (1 + 5) + sequence field
    /// (1 + 10 for a negative number, which the server never sends, but the bound is cheap).
    const MAX: usize = 22;

    /// The header bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

fn zigzag(value: i32) -> u64 {
    (((value << 1) ^ (value >> 31)) as u32).into()
}
