//! Where the fast channel's lost datagrams were dropped, so a loss can be put on the server or
//! on the generator: the kernel's drop counter of each UDP socket (a datagram that arrived
//! while the socket's receive buffer was full), summed over the server's sockets and over the
//! generator's; the machine's UDP error counters; and the server's own drop counters, read
//! from its `/metrics` when its control address is known.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use volley::control_client::{ClientOptions, ControlClient, Endpoint};

/// Drop counters at one moment.
#[derive(Clone, Debug, Default)]
pub(super) struct Snapshot {
    server_socket: u64,
    generator_sockets: u64,
    machine: BTreeMap<String, u64>,
    server_reasons: BTreeMap<String, u64>,
}

/// What was dropped between two snapshots, and where.
#[derive(Debug, Default, Serialize)]
pub(super) struct Drops {
    /// Datagrams the kernel dropped at the server's UDP socket: its reader fell behind.
    pub server_socket: u64,
    /// Datagrams the kernel dropped at the generator's sockets: the players fell behind.
    pub generator_sockets: u64,
    /// The machine's UDP counters that moved (`/proc/net/snmp`: `RcvbufErrors`,
    /// `SndbufErrors`, `InErrors`, `MemErrors`), both processes together.
    pub machine: BTreeMap<String, u64>,
    /// The server's own drops (`volley_messages_dropped_total`) that moved, by reason.
    pub server_reasons: BTreeMap<String, u64>,
}

/// Reads every counter now. `server` is the server's pid, `control` its control address.
pub(super) async fn snapshot(server: Option<u32>, control: Option<&str>) -> Snapshot {
    let own = std::process::id();
    Snapshot {
        server_socket: server.map_or(0, socket_drops),
        generator_sockets: socket_drops(own),
        machine: machine_udp_errors(),
        server_reasons: match control {
            Some(control) => server_drop_reasons(control).await,
            None => BTreeMap::new(),
        },
    }
}

impl Snapshot {
    /// What moved since `earlier`; counters that did not move are left out.
    pub(super) fn since(&self, earlier: &Snapshot) -> Drops {
        let moved = |now: &BTreeMap<String, u64>, then: &BTreeMap<String, u64>| {
            now.iter()
                .map(|(k, v)| (k.clone(), v.saturating_sub(*then.get(k).unwrap_or(&0))))
                .filter(|(_, v)| *v > 0)
                .collect()
        };
        Drops {
            server_socket: self.server_socket.saturating_sub(earlier.server_socket),
            generator_sockets: self
                .generator_sockets
                .saturating_sub(earlier.generator_sockets),
            machine: moved(&self.machine, &earlier.machine),
            server_reasons: moved(&self.server_reasons, &earlier.server_reasons),
        }
    }
}

/// The summed `drops` column of a process's UDP sockets: the rows of `/proc/PID/net/udp` and
/// `udp6` whose inode is one of the process's open sockets.
fn socket_drops(pid: u32) -> u64 {
    let inodes = socket_inodes(pid);
    ["udp", "udp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).ok())
        .map(|table| sum_drops(&table, &inodes))
        .sum()
}

/// The inodes of a process's sockets (`/proc/PID/fd/N` links to `socket:[INODE]`).
fn socket_inodes(pid: u32) -> HashSet<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return HashSet::new();
    };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|target| {
            let target = target.to_str()?;
            target
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .collect()
}

/// Sums the last column (`drops`) of the rows whose tenth column (`inode`) is in `inodes`.
fn sum_drops(table: &str, inodes: &HashSet<u64>) -> u64 {
    table
        .lines()
        .skip(1)
        .filter_map(|row| {
            let fields: Vec<&str> = row.split_whitespace().collect();
            let inode: u64 = fields.get(9)?.parse().ok()?;
            inodes
                .contains(&inode)
                .then(|| fields.last()?.parse::<u64>().ok())
                .flatten()
        })
        .sum()
}

/// The machine's UDP error counters, from the `Udp:` lines of `/proc/net/snmp`.
fn machine_udp_errors() -> BTreeMap<String, u64> {
    let Ok(snmp) = std::fs::read_to_string("/proc/net/snmp") else {
        return BTreeMap::new();
    };
    let mut udp = snmp.lines().filter(|line| line.starts_with("Udp: "));
    let (Some(names), Some(values)) = (udp.next(), udp.next()) else {
        return BTreeMap::new();
    };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .skip(1)
        .filter(|(name, _)| name.ends_with("Errors"))
        .filter_map(|(name, value)| Some((name.to_owned(), value.parse().ok()?)))
        .collect()
}

/// The server's `volley_messages_dropped_total` by reason; empty if it cannot be read.
async fn server_drop_reasons(control: &str) -> BTreeMap<String, u64> {
    let Ok(endpoint) = Endpoint::parse(&format!("http://{control}")) else {
        return BTreeMap::new();
    };
    let Ok(client) = ControlClient::new(endpoint, ClientOptions::default()) else {
        return BTreeMap::new();
    };
    match client.get("/metrics").await {
        Ok(reply) => parse_drop_reasons(&String::from_utf8_lossy(&reply.body)),
        Err(_) => BTreeMap::new(),
    }
}

/// `volley_messages_dropped_total{reason="R"} N` lines of a scrape.
fn parse_drop_reasons(scrape: &str) -> BTreeMap<String, u64> {
    scrape
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("volley_messages_dropped_total{reason=\"")?;
            let (reason, rest) = rest.split_once("\"}")?;
            let value: f64 = rest.trim().parse().ok()?;
            Some((reason.to_owned(), value as u64))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_the_drops_of_the_process_sockets_only() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
            1: 0100007F:A1B2 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 111 2 0000000000000000 5\n\
            2: 0100007F:A1B3 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 222 2 0000000000000000 7\n";
        let inodes = HashSet::from([111]);
        assert_eq!(sum_drops(table, &inodes), 5);
        assert_eq!(sum_drops(table, &HashSet::new()), 0);
    }

    #[test]
    fn reads_drop_reasons_from_a_scrape() {
        let scrape = "# HELP volley_messages_dropped ...\n\
            volley_messages_dropped_total{reason=\"session_busy\"} 3\n\
            volley_messages_dropped_total{reason=\"send_failed\"} 0\n\
            volley_messages_total{channel=\"fast\",direction=\"in\"} 9\n";
        let reasons = parse_drop_reasons(scrape);
        assert_eq!(reasons.get("session_busy"), Some(&3));
        assert_eq!(reasons.get("send_failed"), Some(&0));
        assert_eq!(reasons.len(), 2);
    }

    #[test]
    fn only_counters_that_moved_are_reported() {
        let before = Snapshot {
            server_socket: 1,
            generator_sockets: 2,
            machine: BTreeMap::from([("RcvbufErrors".to_owned(), 4)]),
            server_reasons: BTreeMap::from([("session_busy".to_owned(), 1)]),
        };
        let after = Snapshot {
            server_socket: 11,
            generator_sockets: 2,
            machine: BTreeMap::from([("RcvbufErrors".to_owned(), 9)]),
            server_reasons: BTreeMap::from([("session_busy".to_owned(), 1)]),
        };
        let drops = after.since(&before);
        assert_eq!(drops.server_socket, 10);
        assert_eq!(drops.generator_sockets, 0);
        assert_eq!(drops.machine.get("RcvbufErrors"), Some(&5));
        assert!(drops.server_reasons.is_empty());
    }
}
