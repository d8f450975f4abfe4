//! Volley's own control operations, outside the GameLift model: `X-Amz-Target: Volley.<Op>`,
//! with the same AWS JSON 1.1 bodies, errors and authentication as the GameLift operations
//! ([`super::handle`] routes the prefix here). `DescribeServer` is the snapshot `volley
//! status` prints: the server, its running game sessions and its headline counters.
//! `StartDrain` drains the server as SIGTERM does (`volley drain`).

use std::time::{Duration, SystemTime};

use serde_json::{Map, Value, json};

use super::Control;
use super::error::{ApiError, ErrorType};
use super::input::Input;
use super::output::timestamp;
use crate::catalog::GameSession;
use crate::config::SecureMode;
use crate::metrics::Snapshot;

/// The `X-Amz-Target` prefix of Volley's own operations.
pub(super) const TARGET_PREFIX: &str = "Volley.";

/// Game sessions listed by `DescribeServer` unless `Limit` says otherwise.
const DEFAULT_LIMIT: i64 = 100;
/// Most game sessions one `DescribeServer` lists; the count always covers them all.
const MAX_LIMIT: i64 = 1000;

/// Runs operation `op` (the part of `X-Amz-Target` after `Volley.`).
pub(super) async fn dispatch(
    control: &Control,
    op: &str,
    input: &Input,
) -> Result<Value, ApiError> {
    match op {
        "DescribeServer" => describe_server(control, input).await,
        "StartDrain" => Ok(start_drain(control)),
        _ => Err(ApiError::new(
            ErrorType::UnknownOperation,
            format!("operation {TARGET_PREFIX}{op} is not supported"),
        )),
    }
}

/// Starts a drain, as SIGTERM does: no new placements, onProcessTerminate in every script,
/// game sessions end by themselves within the drain grace, then the process exits. Calling
/// it again changes nothing.
fn start_drain(control: &Control) -> Value {
    let host = &control.host;
    let already = host.drain.is_cancelled();
    if !already {
        tracing::info!("drain asked for by the control api");
        host.drain.cancel();
    }
    json!({
        "Draining": true,
        "AlreadyDraining": already,
        "GameSessionCount": host.directory.session_count(),
        "DrainGraceSeconds": host.live().drain_grace.as_secs(),
    })
}

/// The server at a glance: version, uptime, readiness, listeners and fleet script; the game
/// sessions that have not ended, oldest first, at most `Limit` of them with the total in
/// `GameSessionCount`; and the headline counters.
async fn describe_server(control: &Control, input: &Input) -> Result<Value, ApiError> {
    let limit = input.int("Limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT);
    // In range 1..=1000 by the check above.
    let limit = usize::try_from(limit).unwrap_or(1);
    let now = SystemTime::now();
    let running = control
        .catalog
        .running()
        .await
        .map_err(super::ops::catalog_error)?;
    let players: u64 = running
        .iter()
        .map(|(g, _)| u64::from(g.current_player_sessions))
        .sum();
    let total = running.len();
    let page: Vec<(GameSession, usize)> = running.into_iter().take(limit).collect();
    let game_sessions: Vec<Value> = page
        .iter()
        .map(|(g, logged_in)| game_session(g, *logged_in, now))
        .collect();
    Ok(json!({
        "Server": server(control, now),
        "GameSessions": game_sessions,
        "GameSessionCount": total,
        "PlayerSessionCount": players,
        "Counters": counters(&control.host.metrics.snapshot()),
    }))
}

fn server(control: &Control, now: SystemTime) -> Value {
    let host = &control.host;
    let readiness = host.readiness();
    let addresses = &control.addresses;
    let mut server = json!({
        "Version": env!("CARGO_PKG_VERSION"),
        "StartTime": timestamp(control.started),
        "UptimeSeconds": seconds_between(control.started, now),
        "Ready": readiness.ready(),
        "Listening": readiness.listening,
        "Draining": readiness.draining,
        "UnhealthyGameSessions": readiness.unhealthy_sessions,
        "FleetId": control.fleet().id,
        "Location": control.fleet().location,
        "Listeners": {
            "Game": addresses.ws.to_string(),
            "Udp": addresses.udp.to_string(),
            "Control": addresses.control.to_string(),
            "TlsMode": match host.config.tls.mode {
                SecureMode::Plain => "plain",
                SecureMode::Secure => "secure",
                SecureMode::Mixed => "mixed",
            },
            "ControlTls": host.config.tls.control,
        },
        "ClientEndpoint": {
            "IpAddress": host.endpoint.ip.to_string(),
            "DnsName": host.endpoint.dns_name,
            "Port": host.endpoint.port,
            "FastPort": host.fast_port,
        },
    });
    if let (Some(id), Value::Object(map)) = (&host.fleet_script, &mut server) {
        let mut script = Map::new();
        script.insert("ScriptId".into(), id.as_str().into());
        if let Some(record) = host.scripts.get(id) {
            insert(&mut script, "Name", record.name.map(Value::from));
            insert(&mut script, "Version", record.version.map(Value::from));
            script.insert("Revision".into(), record.revision.into());
        }
        map.insert("Script".into(), Value::Object(script));
    }
    server
}

fn game_session(g: &GameSession, logged_in: usize, now: SystemTime) -> Value {
    let mut object = Map::new();
    object.insert("GameSessionId".into(), g.id.as_str().into());
    insert(&mut object, "Name", g.spec.name.as_deref().map(Value::from));
    object.insert("Status".into(), g.status.as_str().into());
    object.insert(
        "CurrentPlayerSessionCount".into(),
        g.current_player_sessions.into(),
    );
    object.insert("ActivePlayerSessionCount".into(), logged_in.into());
    object.insert(
        "MaximumPlayerSessionCount".into(),
        g.spec.max_players.into(),
    );
    if let Some(script) = &g.script {
        object.insert("ScriptId".into(), script.id.as_str().into());
        insert(
            &mut object,
            "ScriptVersion",
            script.version.as_deref().map(Value::from),
        );
        object.insert("ScriptRevision".into(), script.revision.into());
    }
    object.insert("CreationTime".into(), timestamp(g.creation_time));
    object.insert(
        "UptimeSeconds".into(),
        seconds_between(g.creation_time, now).into(),
    );
    Value::Object(object)
}

/// The counters an operator looks at first; every counter is on the metrics endpoint.
fn counters(s: &Snapshot) -> Value {
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
    json!({
        "ConnectionsAccepted": s.connections_accepted,
        "ConnectionsOverLimit": s.connections_over_limit,
        "LoginsAccepted": s.logins_accepted,
        "LoginsRefused": s.logins_refused_player_session
            .saturating_add(s.logins_refused_session)
            .saturating_add(s.logins_refused_script)
            .saturating_add(s.logins_refused_script_start),
        "MessagesIn": s.frames_in.saturating_add(s.datagrams_in),
        "MessagesOut": s.reliable_out.saturating_add(s.fast_out),
        "MessagesDropped": dropped.into_iter().fold(0u64, u64::saturating_add),
        "Malformed": s.malformed_in,
        "SlowReaderCloses": s.slow_reader_closes,
        "IdleTimeouts": s.idle_timeouts,
        "RateLimitedCloses": s.over_rate_closes,
        "ClientCloses": s.client_closes,
        "ConnectionsLost": s.connections_lost,
        "TlsHandshakesFailed": s.tls_handshakes_failed.saturating_add(s.dtls_handshakes_failed),
        "ScriptErrors": s.script_errors,
        "ScriptTimeouts": s.script_timeouts,
        "ScriptOutOfMemory": s.script_out_of_memory,
    })
}

/// Whole seconds from `start` to `end`; 0 if the clock went back.
fn seconds_between(start: SystemTime, end: SystemTime) -> u64 {
    end.duration_since(start)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

fn insert(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        map.insert(key.into(), value);
    }
}
