//! Request bodies of the control API, read whole within [`MAX_BODY_BYTES`]. A larger body is
//! refused, before any of it is read when its `Content-Length` says so, and the rest of it
//! is read and thrown away ([`discard`], bounded in bytes and time) while the answer goes out,
//! so the client can finish sending and read the answer: a server that closes the connection
//! while the client still sends makes the client fail with a broken pipe or a reset instead
//! (the JavaScript SDK dies on an unhandled EPIPE).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use http_body_util::BodyExt;

/// Largest request body: a 5,000,000-byte script zip is about 6.7 MB in base64.
pub(super) const MAX_BODY_BYTES: usize = 8 << 20;

/// Most bytes of a refused body read and thrown away, counting those read before; past it,
/// the connection is closed. Four times the limit covers an honest mistake (a zip a few
/// times too large) without reading a flood whole.
const DISCARD_BYTES: u64 = 4 * MAX_BODY_BYTES as u64;

/// Longest a refused body is read and thrown away; past it, the connection is closed.
const DISCARD_TIME: Duration = Duration::from_secs(30);

/// Longest a body may take to arrive in all, on top of the idle timeout that bounds each
/// pause: a connection reading a body is busy and never evicted, so one that trickles must
/// still end. A 6.7 MB script upload needs about 1 Mbit/s to make it.
pub(super) const READ_TIME: Duration = Duration::from_secs(60);

/// Most bytes reserved for a body before they arrive.
const PREALLOCATE: u64 = 64 << 10;

/// Why a body was not read.
pub(super) enum BodyError {
    /// Over [`MAX_BODY_BYTES`]: the rest of the body to [`discard`], if it is worth reading.
    TooLarge(Option<Leftover>),
    /// The connection failed or the framing was bad.
    Unreadable,
    /// The body did not arrive within [`READ_TIME`].
    TooSlow,
}

/// The unread rest of a refused body.
pub(super) struct Leftover {
    body: Body,
    /// Bytes read from it already.
    read: u64,
}

/// Reads the whole body within [`READ_TIME`], refusing one over [`MAX_BODY_BYTES`].
pub(super) async fn read(headers: &HeaderMap, body: Body) -> Result<Bytes, BodyError> {
    read_within(headers, body, READ_TIME).await
}

async fn read_within(
    headers: &HeaderMap,
    mut body: Body,
    time: Duration,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if let Some(length) = declared
        && length > MAX_BODY_BYTES as u64
    {
        // A client that waits for `100 Continue` sends nothing unless the body is read, and
        // one that declares more than we would read whole is not worth reading.
        let waits = headers
            .get(header::EXPECT)
            .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let worth = !waits && length <= DISCARD_BYTES;
        return Err(BodyError::TooLarge(
            worth.then_some(Leftover { body, read: 0 }),
        ));
    }
    // What the client declares is not reserved before it arrives.
    let mut collected = Vec::with_capacity(declared.map_or(0, |n| n.min(PREALLOCATE) as usize));
    let deadline = tokio::time::Instant::now() + time;
    loop {
        let Ok(frame) = tokio::time::timeout_at(deadline, body.frame()).await else {
            return Err(BodyError::TooSlow);
        };
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|_| BodyError::Unreadable)?;
        let Ok(data) = frame.into_data() else {
            continue; // Trailers carry nothing the API reads.
        };
        if collected.len() + data.len() > MAX_BODY_BYTES {
            let read = (collected.len() + data.len()) as u64;
            return Err(BodyError::TooLarge(Some(Leftover { body, read })));
        }
        collected.extend_from_slice(&data);
    }
    Ok(Bytes::from(collected))
}

/// Reads the rest of a refused body and throws it away, until it ends or
/// [`DISCARD_BYTES`] or [`DISCARD_TIME`] is reached; dropping it then lets the connection
/// close.
pub(super) async fn discard(leftover: Leftover) {
    let Leftover { mut body, mut read } = leftover;
    let drain = async {
        while read <= DISCARD_BYTES {
            match body.frame().await {
                Some(Ok(frame)) => {
                    read += frame.data_ref().map_or(0, |data| data.len() as u64);
                }
                Some(Err(_)) | None => return,
            }
        }
    };
    let _ = tokio::time::timeout(DISCARD_TIME, drain).await; // Either way, the end.
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name, value.parse().expect("a header value"));
        }
        map
    }

    /// A body that fails if it is read at all.
    fn unreadable() -> Body {
        let chunks = futures_util::stream::iter([Err::<Bytes, _>(std::io::Error::other("read"))]);
        Body::from_stream(chunks)
    }

    fn streamed(chunks: usize, size: usize) -> Body {
        let chunk = Bytes::from(vec![b'x'; size]);
        Body::from_stream(futures_util::stream::iter(
            (0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
        ))
    }

    #[tokio::test]
    async fn a_body_within_the_limit_is_read_whole() {
        let body = Body::from(vec![b'x'; MAX_BODY_BYTES]);
        let read = read(&HeaderMap::new(), body).await;
        assert!(matches!(read, Ok(bytes) if bytes.len() == MAX_BODY_BYTES));
    }

    #[tokio::test]
    async fn a_declared_oversized_body_is_refused_unread_and_kept_to_discard() {
        let too_large = (MAX_BODY_BYTES + 1).to_string();
        let declared = headers(&[(header::CONTENT_LENGTH, &too_large)]);
        let refused = read(&declared, unreadable()).await;
        assert!(matches!(
            refused,
            Err(BodyError::TooLarge(Some(Leftover { read: 0, .. })))
        ));
        // A client waiting for `100 Continue` sends no body; a huge one is not read.
        let waiting = headers(&[
            (header::CONTENT_LENGTH, &too_large),
            (header::EXPECT, "100-Continue"),
        ]);
        let refused = read(&waiting, unreadable()).await;
        assert!(matches!(refused, Err(BodyError::TooLarge(None))));
        let huge = headers(&[(header::CONTENT_LENGTH, &(DISCARD_BYTES + 1).to_string())]);
        let refused = read(&huge, unreadable()).await;
        assert!(matches!(refused, Err(BodyError::TooLarge(None))));
    }

    #[tokio::test]
    async fn a_body_that_trickles_past_the_read_time_is_refused() {
        let trickle = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from("{"))])
            .chain(futures_util::stream::pending());
        let body = Body::from_stream(trickle);
        let headers = HeaderMap::new();
        let read = read_within(&headers, body, Duration::from_millis(50));
        let read = tokio::time::timeout(Duration::from_secs(5), read)
            .await
            .expect("gave up in time");
        assert!(matches!(read, Err(BodyError::TooSlow)));
    }

    #[tokio::test]
    async fn an_undeclared_body_is_refused_once_over_the_limit_and_the_rest_discarded() {
        let chunk = 64 << 10;
        let chunks = 3 * MAX_BODY_BYTES / chunk;
        let refused = read(&HeaderMap::new(), streamed(chunks, chunk)).await;
        let Err(BodyError::TooLarge(Some(leftover))) = refused else {
            panic!("not refused as too large");
        };
        assert_eq!(leftover.read, (MAX_BODY_BYTES + chunk) as u64);
        tokio::time::timeout(Duration::from_secs(5), discard(leftover))
            .await
            .expect("discarded in time");
    }
}
