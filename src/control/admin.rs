//! Volley's own control operations, outside the GameLift model: `X-Amz-Target: Volley.<Op>`,
//! with the same AWS JSON 1.1 bodies, errors and authentication as the GameLift operations
//! ([`super::dispatch`] routes them here). `DescribeServer` is the snapshot `volley
//! status` prints: the server, its running game sessions, its headline counters and the
//! fleet's hosts.
//! `StartDrain` drains the server as SIGTERM does (`volley drain`).

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use super::Control;
use super::error::{ApiError, ErrorType};
use super::output::game_session_status;
use super::resolve::catalog_error;
use crate::api::admin::{
    ClientEndpoint, Counters, DescribeServerInput, DescribeServerOutput, FleetHost, Listeners,
    MAX_LISTED_HOSTS, Server, ServerFleet, ServerGameSession, ServerScript, StartDrainInput,
    StartDrainOutput,
};
use crate::api::model::Timestamp;
use crate::catalog::GameSession;
use crate::catalog::redis::HostStatus;
use crate::config::SecureMode;
use crate::metrics::Snapshot;

/// Game sessions listed by `DescribeServer` unless `Limit` says otherwise.
const DEFAULT_LIMIT: i32 = 100;

/// Starts a drain, as SIGTERM does: no new placements, onProcessTerminate in every script,
/// game sessions end by themselves within the drain grace, then the process exits. Calling
/// it again changes nothing. With a `HostId` other than this server's, nothing drains.
pub(super) async fn start_drain(
    control: &Control,
    input: StartDrainInput,
) -> Result<StartDrainOutput, ApiError> {
    let admin = &control.admin;
    let here = admin.host_id();
    if let Some(meant) = input.host_id.filter(|meant| *meant != here) {
        return Err(ApiError::new(
            ErrorType::InvalidRequest,
            format!("this is host {here}, not {meant}: nothing was drained"),
        ));
    }
    let already = admin.draining();
    if !already {
        tracing::info!("drain asked for by the control api");
        admin.start_drain();
    }
    Ok(StartDrainOutput {
        draining: true,
        already_draining: already,
        game_session_count: count(admin.game_sessions_running_here()),
        drain_grace_seconds: admin.live().drain_grace.as_secs(),
    })
}

/// The server at a glance: version, uptime, readiness, listeners and fleet script; the game
/// sessions that have not ended, oldest first, at most `Limit` of them with the total in
/// `GameSessionCount`; the headline counters; and the fleet's hosts and locations.
pub(super) async fn describe_server(
    control: &Control,
    input: DescribeServerInput,
) -> Result<DescribeServerOutput, ApiError> {
    // In range 1..=1000 by the input's validation.
    let limit = usize::try_from(input.limit.unwrap_or(DEFAULT_LIMIT)).unwrap_or(1);
    let now = SystemTime::now();
    let running = control.catalog.running().await.map_err(catalog_error)?;
    let players: u64 = running
        .iter()
        .map(|(g, _)| u64::from(g.current_player_sessions))
        .sum();
    let total = running.len();
    let page: Vec<(GameSession, usize)> = running.into_iter().take(limit).collect();
    Ok(DescribeServerOutput {
        server: server(control, now),
        game_sessions: page
            .iter()
            .map(|(g, logged_in)| game_session(g, *logged_in, now))
            .collect(),
        game_session_count: count(total),
        player_session_count: players,
        counters: counters(&control.admin.metrics().snapshot()),
        fleet: Some(fleet(control).await),
    })
}

/// The fleet's live hosts and locations. An unreadable store is reported, not an error:
/// the rest of the snapshot is what an operator needs most then.
async fn fleet(control: &Control) -> ServerFleet {
    let admin = &control.admin;
    let mut fleet = ServerFleet {
        shared: admin.config().fleet.store.is_some(),
        host_id: admin.host_id(),
        ..ServerFleet::default()
    };
    match admin.fleet_hosts().await {
        Ok(hosts) => {
            let locations: BTreeSet<&str> =
                hosts.iter().map(|h| h.info.location.as_str()).collect();
            fleet.locations = locations.into_iter().map(str::to_owned).collect();
            fleet.host_count = count(hosts.len());
            fleet.hosts = hosts
                .iter()
                .take(MAX_LISTED_HOSTS)
                .map(fleet_host)
                .collect();
        }
        Err(e) => fleet.store_error = Some(e.to_string()),
    }
    fleet
}

fn fleet_host(h: &HostStatus) -> FleetHost {
    FleetHost {
        host_id: h.info.id.clone(),
        location: h.info.location.clone(),
        ip_address: h.info.ip_address.clone(),
        dns_name: h.info.dns_name.clone(),
        port: h.info.port,
        draining: h.info.draining,
        max_game_sessions: count(h.info.capacity),
        game_session_count: count(h.game_sessions),
        player_count: count(h.info.players),
        version: h.info.version.clone(),
    }
}

fn server(control: &Control, now: SystemTime) -> Server {
    let admin = &control.admin;
    let readiness = admin.readiness();
    let addresses = &control.addresses;
    Server {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        start_time: Timestamp(control.started),
        uptime_seconds: seconds_between(control.started, now),
        ready: readiness.ready(),
        listening: readiness.listening,
        draining: readiness.draining,
        unhealthy_game_sessions: readiness.unhealthy_sessions,
        fleet_id: control.fleet().id.clone(),
        location: control.fleet().location.clone(),
        listeners: Listeners {
            game: addresses.ws.to_string(),
            udp: addresses.udp.to_string(),
            control: addresses.control.to_string(),
            tls_mode: match admin.config().tls.mode {
                SecureMode::Plain => "plain",
                SecureMode::Secure => "secure",
                SecureMode::Mixed => "mixed",
            }
            .to_owned(),
            control_tls: admin.config().tls.control,
        },
        client_endpoint: ClientEndpoint {
            ip_address: admin.endpoint().ip.to_string(),
            dns_name: admin.endpoint().dns_name.clone(),
            port: admin.endpoint().port,
            fast_port: admin.fast_port(),
        },
        script: admin.fleet_script().map(|id| {
            let record = admin.scripts().get(id);
            ServerScript {
                script_id: id.to_owned(),
                name: record.as_ref().and_then(|r| r.name.clone()),
                version: record.as_ref().and_then(|r| r.version.clone()),
                revision: record.as_ref().map(|r| r.revision),
            }
        }),
    }
}

fn game_session(g: &GameSession, logged_in: usize, now: SystemTime) -> ServerGameSession {
    ServerGameSession {
        game_session_id: g.id.as_str().to_owned(),
        name: g.spec.name.clone(),
        status: game_session_status(g.status),
        current_player_session_count: g.current_player_sessions,
        active_player_session_count: count(logged_in),
        maximum_player_session_count: g.spec.max_players,
        script_id: g.script.as_ref().map(|s| s.id.as_str().to_owned()),
        script_version: g.script.as_ref().and_then(|s| s.version.clone()),
        script_revision: g.script.as_ref().map(|s| s.revision),
        creation_time: Timestamp(g.creation_time),
        uptime_seconds: seconds_between(g.creation_time, now),
    }
}

/// The counters an operator looks at first; every counter is on the metrics endpoint.
fn counters(s: &Snapshot) -> Counters {
    let dropped = [
        s.dropped_oversized,
        s.dropped_server_only_opcode,
        s.dropped_missing_body,
        s.dropped_unknown_target,
        s.dropped_not_group_member,
        s.dropped_stale_sequence,
        s.dropped_unbound_source,
        s.dropped_source_ip_mismatch,
        s.dropped_wrong_channel,
        s.dropped_refused,
        s.dropped_hook_refused,
        s.dropped_already_bound,
        s.dropped_secure_peer,
        s.dropped_over_rate,
        s.dropped_sequence_out_of_window,
        s.dropped_slow_reader,
        s.datagrams_session_busy,
        s.dtls_datagrams_busy,
    ];
    Counters {
        connections_accepted: s.connections_accepted,
        connections_over_limit: s.connections_over_limit,
        logins_accepted: s.logins_accepted,
        logins_refused: s
            .logins_refused_player_session
            .saturating_add(s.logins_refused_session)
            .saturating_add(s.logins_refused_script)
            .saturating_add(s.logins_refused_script_start),
        messages_in: s.frames_in.saturating_add(s.datagrams_in),
        messages_out: s.reliable_out.saturating_add(s.fast_out),
        messages_dropped: dropped.into_iter().fold(0u64, u64::saturating_add),
        malformed: s.malformed_in,
        slow_reader_closes: s.slow_reader_closes,
        idle_timeouts: s.idle_timeouts,
        rate_limited_closes: s.over_rate_closes,
        client_closes: s.client_closes,
        connections_lost: s.connections_lost,
        tls_handshakes_failed: s
            .tls_handshakes_failed
            .saturating_add(s.dtls_handshakes_failed),
        script_errors: s.script_errors,
        script_timeouts: s.script_timeouts,
        script_out_of_memory: s.script_out_of_memory,
    }
}

/// Whole seconds from `start` to `end`; 0 if the clock went back.
fn seconds_between(start: SystemTime, end: SystemTime) -> u64 {
    end.duration_since(start)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// A count for the wire.
fn count(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}
