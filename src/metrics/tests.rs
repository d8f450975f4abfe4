//! The exposition of known counters, line by line, and what the counters add up to.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

/// A report with a few known values everywhere.
fn known_report() -> Report {
    let mut report = Report::default();
    let c = &mut report.counters;
    c.connections_websocket_plain = 3;
    c.connections_websocket_secure = 1;
    c.open_websocket_plain = 2;
    c.logins_accepted = 5;
    c.logins_refused_script = 2;
    c.logins_refused_script_start = 3;
    c.script_starts_held_back = 4;
    c.frames_in = 10;
    c.reliable_bytes_in = 640;
    c.fast_out = 7;
    c.fast_bytes_out = 700;
    c.dropped_hook_refused = 4;
    c.dropped_slow_reader = 1;
    c.malformed_in = 2;
    c.udp_handshakes_rate_limited = 6;
    c.fast_binds_plain = 2;
    c.dtls_bound = 1;
    c.fast_fallbacks = 9;
    c.slow_reader_closes = 1;
    c.script_sessions_unhealthy = 1;
    c.metrics_scrapes = 1;
    c.fleet_hosts_active = 2;
    c.fleet_hosts_draining = 1;
    c.fleet_store_up = 1;
    c.fleet_store_heartbeat_errors = 3;
    c.placements_fulfilled = 5;
    c.placements_timed_out = 1;
    c.tickets_completed = 8;
    c.tickets_timed_out = 2;
    c.events_delivered = 4;
    c.events_dropped = 1;
    c.events_queued = 2;
    report.script.calls[Hook::Message as usize] = 12;
    report.script.errors[Hook::PlayerConnect as usize] = 1;
    report.script.timeouts[Hook::Timer as usize] = 3;
    report.script.hook_duration = HistogramSnapshot {
        buckets: [2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        sum_seconds: 0.5,
    };
    report.control_requests = vec![
        ("CreateGameSession", "ok", 2),
        ("unknown", "UnknownOperationException", 1),
    ];
    report.sessions.game_sessions[GameSessionStatus::Active as usize] = 2;
    report.sessions.player_sessions[PlayerSessionStatus::TimedOut as usize] = 3;
    report.process = Some(ProcessFigures {
        cpu_seconds: 1.5,
        resident_memory_bytes: 1 << 20,
        virtual_memory_bytes: 1 << 30,
        open_fds: 12,
        max_fds: Some(1024),
        start_time_seconds: 1_700_000_000.25,
        threads: 4,
    });
    report.ready = true;
    report.max_connections = 10_000;
    report.max_game_sessions = 50;
    report
}

/// A report with a different value in every counter, hook, status and bucket, so that a
/// counter exposed under another family or label than its own shows in the golden text.
fn populated_report() -> Report {
    // Each counter's value comes from its name, not its position, so that a new counter
    // only adds lines to the golden text.
    let fields = serde_json::to_value(Snapshot::default()).expect("serializes");
    let serde_json::Value::Object(fields) = fields else {
        panic!("a snapshot is an object")
    };
    let values: serde_json::Map<String, serde_json::Value> = fields
        .keys()
        .map(|name| (name.clone(), name_value(name).into()))
        .collect();
    let mut distinct: Vec<_> = values.values().filter_map(|v| v.as_u64()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), values.len(), "two counters share a value");
    let mut report = Report {
        counters: serde_json::from_value(values.into()).expect("deserializes"),
        ..known_report()
    };
    for hook in Hook::ALL {
        let i = hook as u64;
        report.script.calls[hook as usize] = 1_000 + i;
        report.script.errors[hook as usize] = 2_000 + i;
        report.script.timeouts[hook as usize] = 3_000 + i;
    }
    report.script.hook_duration.buckets = std::array::from_fn(|i| 10 + i as u64);
    for status in GameSessionStatus::ALL {
        report.sessions.game_sessions[status as usize] = 40 + status as usize;
    }
    for status in PlayerSessionStatus::ALL {
        report.sessions.player_sessions[status as usize] = 50 + status as usize;
    }
    report.draining = true;
    report
}

/// A number from 1 to 1,000,000 for a counter's name (FNV-1a, which never changes).
fn name_value(name: &str) -> u64 {
    let hash = name.bytes().fold(0x811c_9dc5_u32, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    });
    u64::from(hash) % 1_000_000 + 1
}

/// The exposition of [`populated_report`], byte for byte, with the build's version as
/// `{version}`. Set `VOLLEY_BLESS=1` to rewrite it after a deliberate change.
const GOLDEN: &str = include_str!("exposition.txt");

#[test]
fn the_exposition_is_the_golden_text() {
    let text = encode(&populated_report()).expect("encodes");
    let version = format!("version=\"{}\"", env!("CARGO_PKG_VERSION"));
    let text = text.replacen(&version, "version=\"{version}\"", 1);
    if std::env::var_os("VOLLEY_BLESS").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/metrics/exposition.txt");
        std::fs::write(path, &text).expect("writes the golden text");
        return;
    }
    if text != GOLDEN {
        let first = text
            .lines()
            .zip(GOLDEN.lines())
            .position(|(line, golden)| line != golden)
            .unwrap_or_else(|| text.lines().count().min(GOLDEN.lines().count()));
        panic!(
            "the exposition differs from src/metrics/exposition.txt from line {} on; \
             rerun with VOLLEY_BLESS=1 if the change is meant:\n{text}",
            first + 1
        );
    }
}

#[test]
fn a_report_encodes_to_these_samples() {
    let text = encode(&known_report()).expect("encodes");
    let expected = [
        r#"volley_build_info{version="0.1.0"} 1"#,
        "volley_ready 1",
        "volley_draining 0",
        r#"volley_connections_total{transport="websocket",mode="plain"} 3"#,
        r#"volley_connections_total{transport="websocket",mode="secure"} 1"#,
        r#"volley_connections_total{transport="udp",mode="secure"} 0"#,
        r#"volley_connections_open{transport="websocket",mode="plain"} 2"#,
        "volley_connections_max 10000",
        r#"volley_logins_total{result="accepted"} 5"#,
        r#"volley_logins_total{result="refused_script"} 2"#,
        r#"volley_logins_total{result="refused_script_start"} 3"#,
        r#"volley_script_starts_total{result="held_back"} 4"#,
        r#"volley_game_sessions{status="active"} 2"#,
        r#"volley_game_sessions{status="error"} 0"#,
        "volley_game_sessions_max 50",
        r#"volley_player_sessions{status="timedout"} 3"#,
        r#"volley_messages_total{channel="reliable",direction="in"} 10"#,
        r#"volley_messages_total{channel="fast",direction="out"} 7"#,
        r#"volley_message_bytes_total{channel="reliable",direction="in"} 640"#,
        r#"volley_message_bytes_total{channel="fast",direction="out"} 700"#,
        r#"volley_messages_dropped_total{reason="hook_refused"} 4"#,
        r#"volley_messages_dropped_total{reason="slow_reader"} 1"#,
        r#"volley_messages_dropped_total{reason="malformed"} 2"#,
        r#"volley_messages_dropped_total{reason="rate_limit"} 6"#,
        r#"volley_disconnects_total{reason="slow_reader"} 1"#,
        r#"volley_fast_path_binds_total{mode="plain"} 2"#,
        r#"volley_fast_path_binds_total{mode="secure"} 1"#,
        "volley_fast_path_fallbacks_total 9",
        r#"volley_script_calls_total{hook="onMessage"} 12"#,
        r#"volley_script_calls_total{hook="timer"} 0"#,
        r#"volley_script_errors_total{hook="onPlayerConnect"} 1"#,
        r#"volley_script_timeouts_total{hook="timer"} 3"#,
        "volley_script_hook_duration_seconds_sum 0.5",
        "volley_script_hook_duration_seconds_count 4",
        r#"volley_script_hook_duration_seconds_bucket{le="0.00005"} 2"#,
        r#"volley_script_hook_duration_seconds_bucket{le="0.0001"} 3"#,
        r#"volley_script_hook_duration_seconds_bucket{le="0.1"} 3"#,
        r#"volley_script_hook_duration_seconds_bucket{le="+Inf"} 4"#,
        "volley_script_sessions_unhealthy 1",
        r#"volley_control_requests_total{operation="CreateGameSession",result="ok"} 2"#,
        r#"volley_control_requests_total{operation="unknown",result="UnknownOperationException"} 1"#,
        r#"volley_metrics_scrapes_total{result="ok"} 1"#,
        "process_cpu_seconds_total 1.5",
        "process_resident_memory_bytes 1048576.0",
        "process_virtual_memory_bytes 1073741824.0",
        "process_open_fds 12.0",
        "process_max_fds 1024.0",
        "process_start_time_seconds 1700000000.25",
        "process_threads 4.0",
    ];
    for line in expected {
        assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
    }
    assert!(text.ends_with("\n# EOF\n"), "{text}");
}

#[test]
fn the_families_are_these_and_nothing_else() {
    // Pinned: dashboards and alerts use these names (README, "Metrics").
    let text = encode(&known_report()).expect("encodes");
    let families: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .collect();
    assert_eq!(
        families,
        [
            "volley_build info",
            "volley_ready gauge",
            "volley_draining gauge",
            "volley_connections counter",
            "volley_connections_open gauge",
            "volley_connections_max gauge",
            "volley_connections_over_limit counter",
            "volley_accept_errors counter",
            "volley_handshakes_failed counter",
            "volley_dtls_associations counter",
            "volley_logins counter",
            "volley_login_timeouts counter",
            "volley_game_sessions gauge",
            "volley_game_sessions_max gauge",
            "volley_player_sessions gauge",
            "volley_fleet_hosts gauge",
            "volley_fleet_store_up gauge",
            "volley_fleet_store_errors counter",
            "volley_agones_errors counter",
            "volley_placements counter",
            "volley_matchmaking_tickets counter",
            "volley_messages counter",
            "volley_message_bytes counter",
            "volley_messages_dropped counter",
            "volley_disconnects counter",
            "volley_fast_path_binds counter",
            "volley_fast_path_fallbacks counter",
            "volley_script_starts counter",
            "volley_script_calls counter",
            "volley_script_errors counter",
            "volley_script_timeouts counter",
            "volley_script_hook_duration_seconds histogram",
            "volley_script_calls_skipped counter",
            "volley_script_unhandled_rejections counter",
            "volley_script_out_of_memory counter",
            "volley_script_log_lines_dropped counter",
            "volley_script_health_checks_failed counter",
            "volley_script_sessions_unhealthy gauge",
            "volley_script_sessions_slow gauge",
            "volley_control_requests counter",
            "volley_control_connections_closed counter",
            "volley_metrics_scrapes counter",
            "volley_events counter",
            "volley_events_queued gauge",
            "process_cpu_seconds counter",
            "process_resident_memory_bytes gauge",
            "process_virtual_memory_bytes gauge",
            "process_open_fds gauge",
            "process_max_fds gauge",
            "process_start_time_seconds gauge",
            "process_threads gauge",
        ]
    );
}

#[test]
fn counters_end_in_total_and_labels_come_from_fixed_sets() {
    let text = encode(&known_report()).expect("encodes");
    let mut family = ("", "");
    for line in text.lines() {
        if let Some(declared) = line.strip_prefix("# TYPE ") {
            family = declared.split_once(' ').expect("name and type");
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let sample = line;
        let name = sample.split(['{', ' ']).next().unwrap_or_default();
        assert!(
            name.starts_with("volley_") || name.starts_with("process_"),
            "{sample}"
        );
        match family.1 {
            "counter" => assert_eq!(name, format!("{}_total", family.0), "{sample}"),
            "gauge" => assert_eq!(name, family.0, "{sample}"),
            _ => assert!(name.starts_with(family.0), "{sample}"),
        }
        let labels = sample
            .split_once('{')
            .and_then(|(_, rest)| rest.split_once('}'))
            .map_or("", |(labels, _)| labels);
        for label in labels.split(',').filter(|l| !l.is_empty()) {
            let (key, value) = label.split_once('=').expect("key=value");
            assert!(
                [
                    "version",
                    "transport",
                    "mode",
                    "handshake",
                    "result",
                    "status",
                    "channel",
                    "direction",
                    "reason",
                    "hook",
                    "le",
                    "operation",
                    "state",
                    "task"
                ]
                .contains(&key),
                "{sample}"
            );
            assert!(value.len() <= 40, "{sample}");
        }
    }
}

#[test]
fn without_process_figures_the_process_families_are_left_out() {
    let report = Report {
        process: None,
        ..known_report()
    };
    let text = encode(&report).expect("encodes");
    assert!(!text.contains("process_"), "{text}");
    let unlimited = Report {
        process: Some(ProcessFigures {
            max_fds: None,
            ..ProcessFigures::default()
        }),
        ..known_report()
    };
    let text = encode(&unlimited).expect("encodes");
    assert!(text.contains("process_open_fds "), "{text}");
    assert!(!text.contains("process_max_fds"), "{text}");
}

#[test]
fn hooks_and_statuses_index_their_arrays_in_order() {
    for (i, hook) in Hook::ALL.into_iter().enumerate() {
        assert_eq!(hook as usize, i, "{hook:?}");
    }
    for (i, status) in GameSessionStatus::ALL.into_iter().enumerate() {
        assert_eq!(status as usize, i, "{status:?}");
    }
    for (i, status) in PlayerSessionStatus::ALL.into_iter().enumerate() {
        assert_eq!(status as usize, i, "{status:?}");
    }
}

#[test]
fn durations_land_in_the_bucket_of_their_bound() {
    let histogram = DurationHistogram::default();
    histogram.observe(Duration::from_micros(50)); // On the first bound: the first bucket.
    histogram.observe(Duration::from_nanos(50_001)); // Just above it: the second.
    histogram.observe(Duration::from_millis(3)); // Up to 5 ms.
    histogram.observe(Duration::from_secs(1)); // Above every bound.
    let snapshot = histogram.snapshot();
    assert_eq!(snapshot.buckets, [1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    assert!(
        (snapshot.sum_seconds - 1.003_100_001).abs() < 1e-9,
        "{snapshot:?}"
    );
}

#[test]
fn unknown_operations_share_one_label() {
    let metrics = Metrics::default();
    metrics.control_request(Some("CreateGameSession"), "ok");
    metrics.control_request(Some("CreateGameSession"), "ok");
    metrics.control_request(Some("psess-1234"), "UnknownOperationException");
    metrics.control_request(None, "UnknownOperationException");
    metrics.control_request(Some("Volley.StartDrain"), "ok");
    assert_eq!(
        metrics.control_requests(),
        [
            ("CreateGameSession", "ok", 2),
            ("Volley.StartDrain", "ok", 1),
            ("unknown", "UnknownOperationException", 2),
        ]
    );
}

#[test]
fn the_snapshot_sums_the_script_counters_over_hooks() {
    let metrics = Metrics::default();
    metrics.script.called(Hook::Message);
    metrics.script.called(Hook::Timer);
    metrics.script.errored(Hook::Message);
    Metrics::inc(&metrics.script_unhandled_rejections);
    metrics.script.timed_out(Hook::SendToGroup);
    let snapshot = metrics.snapshot();
    assert_eq!(
        (
            snapshot.script_calls,
            snapshot.script_errors,
            snapshot.script_timeouts
        ),
        (2, 2, 1)
    );
}

#[test]
fn an_open_connection_counts_until_dropped() {
    let metrics = Metrics::default();
    let open = metrics.connection(ConnectionKind::SecureWebSocket);
    let counts = |m: &Metrics| {
        let s = m.snapshot();
        (s.connections_websocket_secure, s.open_websocket_secure)
    };
    assert_eq!(counts(&metrics), (1, 1));
    drop(open);
    assert_eq!(counts(&metrics), (1, 0));
}

#[cfg(target_os = "linux")]
#[test]
fn process_figures_are_read_from_proc() {
    let figures = ProcessFigures::read().expect("/proc/self is readable");
    assert!(figures.threads >= 1, "{figures:?}");
    assert!(figures.open_fds >= 1, "{figures:?}");
    assert!(figures.resident_memory_bytes > 0, "{figures:?}");
    assert!(
        figures.virtual_memory_bytes >= figures.resident_memory_bytes,
        "{figures:?}"
    );
    assert!(figures.cpu_seconds >= 0.0, "{figures:?}");
    if let Some(max) = figures.max_fds {
        assert!(max >= figures.open_fds, "{figures:?}");
    }
    // This test's process started moments ago; the boot time is read at second resolution.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs_f64();
    let age = now - figures.start_time_seconds;
    assert!((-2.0..86_400.0).contains(&age), "{figures:?}, now {now}");
}

#[test]
fn every_family_and_label_set_is_written_once() {
    let text = encode(&populated_report()).expect("encodes");
    let mut families = std::collections::BTreeSet::new();
    let mut series = std::collections::BTreeSet::new();
    let mut label_names: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut family = "";
    for line in text.lines() {
        if let Some(declared) = line.strip_prefix("# TYPE ") {
            family = declared.split_once(' ').expect("name and type").0;
            assert!(families.insert(family), "{family} twice:\n{text}");
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (sample, _value) = line.rsplit_once(' ').expect("a sample and its value");
        assert!(series.insert(sample), "{sample} twice:\n{text}");
        let names: Vec<&str> = sample
            .split_once('{')
            .map(|(_, labels)| labels.trim_end_matches('}'))
            .into_iter()
            .flat_map(|labels| labels.split(','))
            .filter_map(|label| label.split_once('=').map(|(name, _)| name))
            .filter(|&name| name != "le")
            .collect();
        let first = label_names.entry(family).or_insert_with(|| names.clone());
        assert_eq!(*first, names, "{sample}: label names unlike its family's");
    }
}

#[test]
fn each_drop_reason_counts_under_its_own_label() {
    let reasons = [
        DropReason::Oversized,
        DropReason::ServerOnlyOpcode,
        DropReason::MissingBody,
        DropReason::UnknownTarget,
        DropReason::NotGroupMember,
        DropReason::StaleSequence,
        DropReason::UnboundSource,
        DropReason::SourceIpMismatch,
        DropReason::WrongChannel,
        DropReason::Refused,
        DropReason::HookRefused,
        DropReason::AlreadyBound,
        DropReason::SecurePeer,
        DropReason::OverRate,
        DropReason::SequenceOutOfWindow,
    ];
    for reason in reasons {
        let metrics = Metrics::default();
        Metrics::inc(metrics.dropped(reason));
        let report = Report {
            counters: metrics.snapshot(),
            ..Report::default()
        };
        let text = encode(&report).expect("encodes");
        let line = format!(
            r#"volley_messages_dropped_total{{reason="{}"}} 1"#,
            reason.as_str()
        );
        assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
    }
}
