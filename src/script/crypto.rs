//! The native half of Node.js's `crypto` module (`node/crypto.js`): randomness from the
//! operating system and hashes and HMACs, all from ring except MD5, which ring does not have
//! (RustCrypto's `md-5`, with its `hmac`). Nothing here is hand-written cryptography.
//!
//! Bytes come in as strings: binary data as latin1 strings (one char code 0-255 per byte), as
//! the `send` native takes payloads, text as the string itself, whose UTF-8 is what Node.js
//! hashes. rquickjs gives no safe view of an ArrayBuffer's bytes (reading one is `unsafe`,
//! which this crate forbids), and the alternative, an array of numbers, converts every byte
//! through a JS value; a string is one copy. Bytes go out as ArrayBuffers, one copy.
//!
//! A hash streams natively: `update` feeds its state, so hashing a long stream of messages
//! keeps a few hundred bytes, not the stream. The state lives in the closure of a JS function
//! and is freed with it (or at `digest`); at most [`MAX_OPEN_HASHES`] are open at once, so
//! what a script holds here outside the runtime's memory cap stays small.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hmac::{KeyInit, Mac};
use md5::{Digest, Md5};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{digest, hmac as ring_hmac};
use rquickjs::function::{Func, Opt};
use rquickjs::{ArrayBuffer, Ctx, Exception, Function, Object, Value};
use subtle::ConstantTimeEq;

/// Most hashes and HMACs a script may have open (created and not yet digested) at once;
/// each keeps up to about 500 bytes.
const MAX_OPEN_HASHES: usize = 1024;
/// Most bytes one call of the `random` native makes; the module asks in pieces.
const MAX_RANDOM_BYTES: usize = 64 << 10;
/// `randomInt` draws 48 bits, as Node.js does: its ranges are at most this wide.
const RANDOM_INT_SPAN: u64 = 1 << 48;

/// A digest algorithm of [`ALGORITHMS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

/// The names Node.js (OpenSSL) knows these algorithms by, matched without regard to case;
/// `true` marks the names `getHashes()` lists, as Node.js does.
const ALGORITHMS: &[(&str, Algorithm, bool)] = &[
    ("md5", Algorithm::Md5, true),
    ("RSA-MD5", Algorithm::Md5, true),
    ("md5WithRSAEncryption", Algorithm::Md5, true),
    ("ssl3-md5", Algorithm::Md5, true),
    ("sha1", Algorithm::Sha1, true),
    ("RSA-SHA1", Algorithm::Sha1, true),
    ("RSA-SHA1-2", Algorithm::Sha1, true),
    ("sha1WithRSAEncryption", Algorithm::Sha1, true),
    ("ssl3-sha1", Algorithm::Sha1, true),
    ("sha-1", Algorithm::Sha1, false),
    ("sha256", Algorithm::Sha256, true),
    ("RSA-SHA256", Algorithm::Sha256, true),
    ("sha256WithRSAEncryption", Algorithm::Sha256, true),
    ("sha-256", Algorithm::Sha256, false),
    ("sha2-256", Algorithm::Sha256, false),
    ("sha384", Algorithm::Sha384, true),
    ("RSA-SHA384", Algorithm::Sha384, true),
    ("sha384WithRSAEncryption", Algorithm::Sha384, true),
    ("sha-384", Algorithm::Sha384, false),
    ("sha2-384", Algorithm::Sha384, false),
    ("sha512", Algorithm::Sha512, true),
    ("RSA-SHA512", Algorithm::Sha512, true),
    ("sha512WithRSAEncryption", Algorithm::Sha512, true),
    ("sha-512", Algorithm::Sha512, false),
    ("sha2-512", Algorithm::Sha512, false),
];

fn algorithm(name: &str) -> Option<Algorithm> {
    ALGORITHMS
        .iter()
        .find(|(known, _, _)| known.eq_ignore_ascii_case(name))
        .map(|&(_, algorithm, _)| algorithm)
}

/// A hash or HMAC in progress.
#[derive(Clone)]
enum State {
    Digest(digest::Context),
    Hmac(ring_hmac::Context),
    Md5(Md5),
    HmacMd5(hmac::Hmac<Md5>),
}

impl State {
    /// A hash of `algorithm`, or with a `key` an HMAC; `None` only if `md-5`'s HMAC refused
    /// a key, which HMAC's definition never does (longer keys are hashed first).
    fn new(algorithm: Algorithm, key: Option<&[u8]>) -> Option<Self> {
        let (hash, mac) = match algorithm {
            Algorithm::Md5 => {
                return match key {
                    Some(key) => hmac::Hmac::<Md5>::new_from_slice(key)
                        .ok()
                        .map(Self::HmacMd5),
                    None => Some(Self::Md5(Md5::new())),
                };
            }
            Algorithm::Sha1 => (
                &digest::SHA1_FOR_LEGACY_USE_ONLY,
                ring_hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            ),
            Algorithm::Sha256 => (&digest::SHA256, ring_hmac::HMAC_SHA256),
            Algorithm::Sha384 => (&digest::SHA384, ring_hmac::HMAC_SHA384),
            Algorithm::Sha512 => (&digest::SHA512, ring_hmac::HMAC_SHA512),
        };
        Some(match key {
            Some(key) => Self::Hmac(ring_hmac::Context::with_key(&ring_hmac::Key::new(mac, key))),
            None => Self::Digest(digest::Context::new(hash)),
        })
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Digest(context) => context.update(data),
            Self::Hmac(context) => context.update(data),
            Self::Md5(hash) => Digest::update(hash, data),
            Self::HmacMd5(mac) => Mac::update(mac, data),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            Self::Digest(context) => context.finish().as_ref().to_vec(),
            Self::Hmac(context) => context.sign().as_ref().to_vec(),
            Self::Md5(hash) => hash.finalize().to_vec(),
            Self::HmacMd5(mac) => mac.finalize().into_bytes().to_vec(),
        }
    }
}

/// One of the open hashes [`MAX_OPEN_HASHES`] counts, given back when dropped.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(open: &Arc<AtomicUsize>) -> Option<Self> {
        open.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
            (n < MAX_OPEN_HASHES).then_some(n + 1)
        })
        .ok()?;
        Some(Self(Arc::clone(open)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Feeds `data` to `state`: a string's UTF-8 when `text`, else its char codes as bytes (a
/// latin1 string), converted in pieces so that no copy of the whole input is made.
fn feed(state: &mut State, data: &str, text: bool) {
    if text {
        state.update(data.as_bytes());
        return;
    }
    let mut piece = [0u8; 4096];
    let mut len = 0;
    for c in data.chars() {
        // The module's latin1 strings hold char codes 0-255 only.
        piece[len] = u8::try_from(u32::from(c)).unwrap_or(0xff);
        len += 1;
        if len == piece.len() {
            state.update(&piece);
            len = 0;
        }
    }
    state.update(&piece[..len]);
}

/// The bytes of a string passed as [`feed`] takes them.
fn bytes(data: &str, text: bool) -> Vec<u8> {
    if text {
        data.as_bytes().to_vec()
    } else {
        data.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(0xff))
            .collect()
    }
}

fn too_many_hashes(ctx: &Ctx<'_>) -> rquickjs::Error {
    Exception::throw_range(
        ctx,
        &format!(
            "too many hashes open at once (at most {MAX_OPEN_HASHES}): call digest() on those \
             you are done with"
        ),
    )
}

/// A hash in progress as a JS function `(op, data, text)`: op 0 feeds `data` (see [`feed`]),
/// 1 finishes and answers the digest as an ArrayBuffer, 2 answers a copy (another such
/// function). The state is dropped at the digest, or with the function.
fn hash_function<'js>(
    ctx: &Ctx<'js>,
    state: State,
    slot: Slot,
    open: Arc<AtomicUsize>,
) -> rquickjs::Result<Function<'js>> {
    let state = Mutex::new(Some((state, slot)));
    Function::new(
        ctx.clone(),
        move |ctx: Ctx<'js>, op: i32, data: Opt<String>, text: Opt<bool>| {
            // Nothing panics while holding the lock; recover the data if something ever did.
            let mut guard = state.lock().unwrap_or_else(|e| e.into_inner());
            if op == 1 {
                let Some((finished, _slot)) = guard.take() else {
                    return Err(Exception::throw_message(&ctx, "Digest already called"));
                };
                drop(guard);
                return Ok(ArrayBuffer::new(ctx, finished.finish())?.into_value());
            }
            let Some((current, _)) = guard.as_mut() else {
                return Err(Exception::throw_message(&ctx, "Digest already called"));
            };
            if op == 0 {
                feed(
                    current,
                    data.0.as_deref().unwrap_or(""),
                    text.0.unwrap_or(false),
                );
                return Ok(Value::new_undefined(ctx));
            }
            let copy = current.clone();
            drop(guard);
            let slot = Slot::take(&open).ok_or_else(|| too_many_hashes(&ctx))?;
            Ok(hash_function(&ctx, copy, slot, Arc::clone(&open))?.into_value())
        },
    )
}

/// The crypto natives, as one object the prelude hands to `node/crypto.js`.
pub(super) fn natives<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let crypto = Object::new(ctx.clone())?;
    let random = SystemRandom::new();

    let rng = random.clone();
    crypto.set(
        "random",
        Func::from(move |ctx: Ctx<'js>, len: usize| {
            let mut bytes = vec![0; len.min(MAX_RANDOM_BYTES)];
            rng.fill(&mut bytes)
                .map_err(|_| Exception::throw_internal(&ctx, "the system's randomness failed"))?;
            ArrayBuffer::new(ctx, bytes)
        }),
    )?;

    let rng = random.clone();
    crypto.set(
        "randomInt",
        Func::from(move |ctx: Ctx<'js>, min: f64, max: f64| {
            // The module has checked both are safe integers, min < max, and the span.
            let (min, span) = (min as i64, (max - min) as u64);
            if span == 0 || span > RANDOM_INT_SPAN {
                return Err(Exception::throw_range(&ctx, "randomInt: bad range"));
            }
            // Rejection sampling keeps every value equally likely: draws at or above the
            // largest multiple of the span are drawn again.
            let limit = RANDOM_INT_SPAN - RANDOM_INT_SPAN % span;
            loop {
                let mut draw = [0u8; 8];
                rng.fill(&mut draw[2..]).map_err(|_| {
                    Exception::throw_internal(&ctx, "the system's randomness failed")
                })?;
                let draw = u64::from_be_bytes(draw);
                if draw < limit {
                    return Ok((min + (draw % span) as i64) as f64);
                }
            }
        }),
    )?;

    let rng = random;
    crypto.set(
        "uuid",
        Func::from(move |ctx: Ctx<'js>| {
            let mut bytes = [0u8; 16];
            rng.fill(&mut bytes)
                .map_err(|_| Exception::throw_internal(&ctx, "the system's randomness failed"))?;
            Ok::<_, rquickjs::Error>(
                uuid::Builder::from_random_bytes(bytes)
                    .into_uuid()
                    .hyphenated()
                    .to_string(),
            )
        }),
    )?;

    let open = Arc::new(AtomicUsize::new(0));
    crypto.set(
        "hash",
        Func::from(
            move |ctx: Ctx<'js>,
                  name: String,
                  key: Opt<String>,
                  text: Opt<bool>|
                  -> rquickjs::Result<Option<Function<'js>>> {
                let Some(algorithm) = algorithm(&name) else {
                    return Ok(None);
                };
                let key = key.0.map(|key| bytes(&key, text.0.unwrap_or(false)));
                let slot = Slot::take(&open).ok_or_else(|| too_many_hashes(&ctx))?;
                let Some(state) = State::new(algorithm, key.as_deref()) else {
                    return Err(Exception::throw_type(&ctx, "Invalid key"));
                };
                hash_function(&ctx, state, slot, Arc::clone(&open)).map(Some)
            },
        ),
    )?;

    crypto.set(
        "hashes",
        Func::from(|| {
            let mut names: Vec<&str> = ALGORITHMS
                .iter()
                .filter(|(_, _, listed)| *listed)
                .map(|&(name, _, _)| name)
                .collect();
            names.sort_unstable();
            names
        }),
    )?;

    // Arrays of byte values, not latin1 strings: turning a string's bytes into UTF-8 branches
    // on each byte's high bit, which would leak timing; inputs here are short (tokens, MACs).
    crypto.set(
        "equal",
        Func::from(|a: Vec<u8>, b: Vec<u8>| bool::from(a.ct_eq(&b))),
    )?;
    Ok(crypto)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn names_resolve_without_regard_to_case() {
        assert_eq!(algorithm("SHA256"), Some(Algorithm::Sha256));
        assert_eq!(algorithm("rsa-sha1"), Some(Algorithm::Sha1));
        assert_eq!(algorithm("MD5"), Some(Algorithm::Md5));
        assert_eq!(algorithm("sha224"), None);
    }

    #[test]
    fn a_copy_goes_on_from_where_the_original_was() {
        let mut state = State::new(Algorithm::Md5, Some(b"key")).expect("a key");
        state.update(b"The quick brown fox ");
        let mut copy = state.clone();
        state.update(b"jumps over the lazy dog");
        copy.update(b"jumps over the lazy dog");
        // Node.js: createHmac('md5', 'key').update('The quick brown fox jumps over the lazy dog')
        assert_eq!(hex(&state.finish()), "80070713463e7749b90c2dc24911e275");
        assert_eq!(hex(&copy.finish()), "80070713463e7749b90c2dc24911e275");
    }

    #[test]
    fn latin1_input_is_fed_in_pieces() {
        let data: String = (0..10_000u32)
            .map(|i| char::from_u32(i % 256).unwrap_or('\0'))
            .collect();
        let mut fed = State::new(Algorithm::Sha256, None).expect("a hash");
        feed(&mut fed, &data, false);
        let mut whole = State::new(Algorithm::Sha256, None).expect("a hash");
        whole.update(&bytes(&data, false));
        assert_eq!(fed.finish(), whole.finish());
    }

    #[test]
    fn open_hashes_are_counted_until_dropped() {
        let open = Arc::new(AtomicUsize::new(0));
        let slots: Vec<Slot> = (0..MAX_OPEN_HASHES)
            .map(|_| Slot::take(&open).expect("a slot"))
            .collect();
        assert!(Slot::take(&open).is_none());
        drop(slots);
        assert_eq!(open.load(Ordering::Relaxed), 0);
    }
}
