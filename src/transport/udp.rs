//! The fast-channel UDP socket, shared by every game session (ARCHITECTURE.md decision 1):
//! one reader decodes each datagram and hands it to the session of the peer its `sender`
//! names, without waiting: a busy session loses the datagram (counted). Session tasks send
//! directly on the socket.

use std::sync::Arc;

use bytes::Bytes;
use tokio::net::UdpSocket;
use tokio::sync::mpsc::error::TrySendError;
use tracing::debug;

use crate::host::{Host, SessionMsg};
use crate::metrics::Metrics;
use crate::protocol::{PeerId, decode};

/// Reads datagrams until shutdown.
pub(crate) async fn serve(socket: UdpSocket, host: Arc<Host>) {
    let max_frame = host.config.limits.max_frame_bytes;
    // One byte more than the limit, so an oversized datagram is seen as such.
    let mut buf = vec![0u8; max_frame + 1];
    loop {
        let (len, from) = tokio::select! {
            () = host.shutdown.cancelled() => break,
            received = socket.recv_from(&mut buf) => match received {
                Ok(received) => received,
                Err(e) => {
                    // ICMP errors from earlier sends surface here on some systems; keep going.
                    debug!(error = %e, "udp receive failed");
                    continue;
                }
            },
        };
        Metrics::inc(&host.metrics.datagrams_in);
        if len > max_frame {
            Metrics::inc(&host.metrics.malformed_in);
            continue;
        }
        let packet = match decode(Bytes::copy_from_slice(&buf[..len]), max_frame) {
            Ok(packet) => packet,
            Err(e) => {
                debug!(%from, error = %e, "malformed datagram dropped");
                Metrics::inc(&host.metrics.malformed_in);
                continue;
            }
        };
        let sender = PeerId(packet.sender);
        let sent = host.directory.with_peer(sender, |session| {
            session.tx.try_send(SessionMsg::Datagram { from, packet })
        });
        match sent {
            None => Metrics::inc(&host.metrics.datagrams_unknown_sender),
            Some(Ok(()) | Err(TrySendError::Closed(_))) => {}
            Some(Err(TrySendError::Full(_))) => Metrics::inc(&host.metrics.datagrams_session_busy),
        }
    }
}
