//! The script host against small scripts: loading, the globals, each callback and session
//! method, and containment of failures.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::core::{Channel, HookMessage, Hooks, ServerMessage, ServerTarget};
use crate::metrics::Metrics;
use crate::protocol::{GroupId, PeerId};

fn bundle(files: &[(&str, &str)]) -> Arc<Bundle> {
    Arc::new(Bundle {
        script_id: "script-test".into(),
        revision: 1,
        version: Some("1".into()),
        entry: "index.js".into(),
        files: files
            .iter()
            .map(|(p, s)| ((*p).to_owned(), (*s).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    })
}

fn limits() -> Limits {
    Limits {
        callback_timeout: Duration::from_millis(50),
        cpu_budget: Duration::from_millis(250),
        start_timeout: Duration::from_millis(1000),
        memory_limit_bytes: 16 << 20,
        deny_on_error: false,
        max_consecutive_failures: 0,
        max_queued_send_bytes: 512 << 10,
    }
}

fn start(source: &str) -> (ScriptInstance, Arc<Metrics>) {
    start_with(&[("index.js", source)], limits())
}

fn start_with(files: &[(&str, &str)], limits: Limits) -> (ScriptInstance, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::default());
    let instance = ScriptInstance::start(bundle(files), "gs-1", limits, 4096, Arc::clone(&metrics))
        .expect("starts");
    (instance, metrics)
}

fn effects(instance: &mut ScriptInstance) -> Vec<Effect> {
    std::iter::from_fn(|| instance.poll_effect()).collect()
}

fn msg(payload: &[u8]) -> HookMessage<'_> {
    HookMessage {
        opcode: 7,
        sender: PeerId(3),
        target_player: PeerId::NONE,
        target_group: GroupId::ALL_PLAYERS,
        payload,
        reliable: true,
    }
}

fn text(opcode: i32, to: ServerTarget, channel: Channel, payload: &str) -> Effect {
    Effect::Send(ServerMessage {
        opcode,
        sender: PeerId::SERVER,
        payload: Bytes::from(payload.to_owned()),
        target: to,
        channel,
    })
}

#[test]
fn a_script_without_callbacks_accepts_everything() {
    let (mut s, _) = start("exports.ssExports = { init() {} };");
    assert!(s.player_connect(PeerId(1), "p", b""));
    assert!(s.send_to_group(&msg(b"x")));
    assert!(s.player_join_group(GroupId(2), PeerId(1)));
    assert!(s.health_check());
    assert!(s.process_started());
    assert_eq!(s.configuration(), Configuration::default());
}

#[test]
fn configuration_and_decisions_come_from_the_script() {
    let (mut s, _) = start(
        r#"
        'use strict';
        exports.ssExports = {
          configuration: { maxPlayers: 4, pingIntervalTime: 1500 },
          init(session) {},
          onPlayerConnect(m) { return m.payload.toString() !== 'cheater' && m.getPayloadAsText() !== 'x'; },
          onSendToGroup(m) { return !m.getPayloadAsText().includes('Reject'); },
          onSendToPlayer(m) { return m.opcode === 7 && m.sender === 3 && m.reliable; },
          onPlayerJoinGroup(g, p) { return g !== 9; },
          onPlayerLeaveGroup(g, p) { return false; },
          onHealthCheck() { return false; },
        };"#,
    );
    assert_eq!(
        s.configuration(),
        Configuration {
            max_players: Some(4),
            ping_interval: Some(Duration::from_millis(1500))
        }
    );
    assert!(s.player_connect(PeerId(1), "p", b"fine"));
    assert!(!s.player_connect(PeerId(2), "p", b"cheater"));
    assert!(s.send_to_group(&msg(b"hello")));
    assert!(!s.send_to_group(&msg(b"please Reject me")));
    assert!(s.send_to_player(&msg(b"")));
    assert!(!s.player_join_group(GroupId(9), PeerId(1)));
    assert!(s.player_join_group(GroupId(8), PeerId(1)));
    assert!(!s.player_leave_group(GroupId(8), PeerId(1)));
    assert!(!s.health_check());
}

#[test]
fn session_methods_queue_effects_in_order() {
    let (mut s, _) = start(
        r#"
        let session;
        exports.ssExports = {
          init(rt) { session = rt; },
          onMessage(m) {
            const out = session.newTextGameMessage(112, session.getServerId(), 'to group 1');
            session.sendGroupMessage(out, 1);
            session.sendReliableMessage(session.newBinaryGameMessage(5, -1, [1, 2, 255]), m.sender);
            session.sendMessage(out, m.sender);
            session.sendReliableGroupMessage(out, session.getAllPlayersGroupId());
            session.broadcastGroupMembershipUpdate(1, -1);
          },
        };"#,
    );
    s.message(&msg(b""));
    assert_eq!(
        effects(&mut s),
        vec![
            text(
                112,
                ServerTarget::Group(GroupId(1)),
                Channel::Fast,
                "to group 1"
            ),
            Effect::Send(ServerMessage {
                opcode: 5,
                sender: PeerId::SERVER,
                payload: Bytes::from_static(&[1, 2, 255]),
                target: ServerTarget::Player(PeerId(3)),
                channel: Channel::Reliable,
            }),
            text(
                112,
                ServerTarget::Player(PeerId(3)),
                Channel::Fast,
                "to group 1"
            ),
            text(
                112,
                ServerTarget::Group(GroupId(-1)),
                Channel::Reliable,
                "to group 1"
            ),
            Effect::Broadcast {
                group: GroupId(1),
                target: GroupId(-1)
            },
        ]
    );
}

#[test]
fn players_are_listed_and_told_about() {
    let (mut s, _) = start(
        r#"
        let session;
        exports.ssExports = {
          init(rt) { session = rt; },
          onPlayerAccepted(player) {
            const names = [];
            session.getPlayers().forEach((p, id) => names.push(id + ':' + p.playerSessionId));
            session.sendReliableMessage(session.newTextGameMessage(113, -1, names.join(',')), player.peerId);
          },
          onPlayerDisconnect(peerId) {
            session.sendReliableMessage(
              session.newTextGameMessage(114, -1, 'left ' + peerId + ' of ' + session.getPlayers().size), 1);
          },
        };"#,
    );
    s.player_accepted(PeerId(1), "psess-a");
    s.player_accepted(PeerId(2), "psess-b");
    s.player_disconnected(PeerId(2));
    s.player_disconnected(PeerId(1));
    let to = |p| ServerTarget::Player(PeerId(p));
    assert_eq!(
        effects(&mut s),
        vec![
            text(113, to(1), Channel::Reliable, "1:psess-a"),
            text(113, to(2), Channel::Reliable, "1:psess-a,2:psess-b"),
            text(114, to(1), Channel::Reliable, "left 2 of 2"),
            text(114, to(1), Channel::Reliable, "left 1 of 1"),
        ]
    );
}

#[test]
fn timers_fire_in_order_and_can_be_cleared() {
    // Before the script starts: its timers count from its init.
    let began = Instant::now();
    let (mut s, _) = start(
        r#"
        let session, n = 0;
        const say = (t) => session.sendReliableMessage(session.newTextGameMessage(1, -1, t), 1);
        exports.ssExports = {
          init(rt) {
            session = rt;
            setTimeout(() => say('timeout'), 20);
            const cancelled = setTimeout(() => say('never'), 10);
            clearTimeout(cancelled);
            setImmediate(() => say('immediate'));
            const every = setInterval(() => { say('tick ' + ++n); if (n === 2) clearInterval(every); }, 5);
            Promise.resolve().then(() => say('microtask'));
          },
        };"#,
    );
    let mut said = Vec::new();
    for _ in 0..200 {
        let Some(at) = s.poll_timeout() else { break };
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        s.handle_timeout(Instant::now());
        said.extend(effects(&mut s));
    }
    let said: Vec<String> = said
        .iter()
        .map(|e| match e {
            Effect::Send(m) => String::from_utf8_lossy(&m.payload).into_owned(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        said,
        ["microtask", "immediate", "tick 1", "tick 2", "timeout"]
    );
    assert!(began.elapsed() >= Duration::from_millis(20));
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn process_ending_resolves_and_process_exit_stops_the_script() {
    let (mut s, metrics) = start(
        r#"
        let session;
        exports.ssExports = {
          init(rt) { session = rt; },
          async onProcessTerminate() {
            const outcome = await session.processEnding();
            session.getLogger().info('ended with ' + outcome);
            process.exit(0);
          },
          onHealthCheck() { return true; },
        };"#,
    );
    s.process_terminate();
    assert!(s.wants_end());
    assert_eq!(effects(&mut s), vec![Effect::End]);
    s.ended();
    // The exit's throw rejects the async callback: that is how the script stops, not an error.
    let counted = metrics.snapshot();
    assert_eq!(counted.script_unhandled_rejections, 0);
    assert_eq!(counted.script_errors, 0);
    assert!(!s.health_check(), "nothing runs after process.exit");
}

#[test]
fn require_loads_relative_files_and_refuses_io_modules() {
    let (mut s, _) = start_with(
        &[
            (
                "index.js",
                "const u = require('./lib/util'); const c = require('./config.json');\n\
             exports.ssExports = { onSendToGroup: (m) => u.ok(m) && c.allow };",
            ),
            (
                "lib/util.js",
                "const again = require('../lib/util.js'); exports.ok = (m) => m.opCode === 7;",
            ),
            ("config.json", "{\"allow\": true}"),
        ],
        limits(),
    );
    assert!(s.send_to_group(&msg(b"")));
    for (module, expected) in [
        ("fs", "Cannot use module 'fs'"),
        ("aws-sdk", "Cannot use module 'aws-sdk'"),
        ("node:net", "Cannot use module 'node:net'"),
        ("lodash", "Cannot find module 'lodash'"),
        ("../../etc/passwd", "Cannot find module '../../etc/passwd'"),
    ] {
        let source = format!("require('{module}');");
        let metrics = Arc::new(Metrics::default());
        let error = ScriptInstance::start(
            bundle(&[("index.js", &source)]),
            "gs",
            limits(),
            4096,
            metrics,
        )
        .expect_err("refused");
        assert!(error.to_string().contains(expected), "{error}");
    }
}

#[test]
fn buffer_and_text_codecs_round_trip() {
    let (mut s, _) = start(
        r#"
        const checks = [
          Buffer.from('héllo ✓ 😀').toString() === 'héllo ✓ 😀',
          Buffer.from('aGk=', 'base64').toString() === 'hi',
          Buffer.from('hi').toString('base64') === 'aGk=',
          Buffer.from([0, 15, 255]).toString('hex') === '000fff',
          Buffer.from('000fff', 'hex').length === 3,
          new TextDecoder().decode(new TextEncoder().encode('é😀')) === 'é😀',
          Buffer.concat([Buffer.from('a'), Buffer.from('bc')]).toString() === 'abc',
          Buffer.byteLength('é') === 2,
          Buffer.isBuffer(Buffer.alloc(2)),
          Buffer.from('abc').includes('bc'),
          (() => { const b = Buffer.alloc(4); b.writeUInt16BE(258, 0); return b.readUInt16BE(0) === 258 && b[1] === 2; })(),
          JSON.stringify(Buffer.from([1])) === '{"type":"Buffer","data":[1]}',
          typeof Date.now() === 'number' && typeof Math.random() === 'number',
        ];
        exports.ssExports = { onHealthCheck: () => checks.every((c) => c) || checks.indexOf(false) };"#,
    );
    assert!(s.health_check());
}

#[test]
fn a_throwing_callback_gets_the_default_and_is_counted() {
    let (mut s, metrics) = start(
        "exports.ssExports = { onSendToGroup() { throw new Error('boom'); }, onPlayerConnect() { null.x; } };",
    );
    assert!(s.send_to_group(&msg(b"")));
    assert!(s.player_connect(PeerId(1), "p", b""));
    assert_eq!(metrics.snapshot().script_errors, 2);
    let strict = Limits {
        deny_on_error: true,
        ..limits()
    };
    let (mut s, _) = start_with(
        &[(
            "index.js",
            "exports.ssExports = { onSendToGroup() { throw 1; } };",
        )],
        strict,
    );
    assert!(!s.send_to_group(&msg(b"")));
}

#[test]
fn an_infinite_loop_is_stopped_at_the_time_cap_and_the_script_keeps_working() {
    let (mut s, metrics) = start(
        "let spin = true; exports.ssExports = { onSendToGroup() { while (spin) {} return true; },\n\
         onMessage() { spin = false; }, onHealthCheck: () => true };",
    );
    let begun = Instant::now();
    assert!(s.send_to_group(&msg(b"")), "default: deliver");
    assert!(begun.elapsed() < Duration::from_secs(1));
    assert_eq!(metrics.snapshot().script_timeouts, 1);
    assert!(s.health_check());
    s.message(&msg(b""));
    assert!(s.send_to_group(&msg(b"")));
    assert_eq!(metrics.snapshot().script_timeouts, 1);
}

#[test]
fn a_memory_bomb_is_stopped_at_the_memory_cap() {
    let (mut s, metrics) = start(
        "exports.ssExports = { onMessage() { const a = []; for (;;) a.push(new Array(1000).fill(1)); },\n\
         onHealthCheck: () => true };",
    );
    s.message(&msg(b""));
    let snapshot = metrics.snapshot();
    assert_eq!(
        snapshot.script_out_of_memory + snapshot.script_timeouts,
        1,
        "{snapshot:?}"
    );
    assert!(
        s.health_check(),
        "the runtime recovers once the garbage is collected"
    );
}

#[test]
fn a_script_that_keeps_failing_can_end_its_session() {
    let ending = Limits {
        max_consecutive_failures: 3,
        ..limits()
    };
    let (mut s, _) = start_with(
        &[(
            "index.js",
            "exports.ssExports = { onMessage() { throw new Error('x'); } };",
        )],
        ending,
    );
    for _ in 0..3 {
        s.message(&msg(b""));
    }
    assert!(s.wants_end());
    assert_eq!(effects(&mut s), vec![Effect::End]);
}

#[test]
fn a_broken_script_fails_to_start_with_a_clear_message() {
    let metrics = Arc::new(Metrics::default());
    for (source, expected) in [
        ("throw new Error('nope');", "nope"),
        (
            "exports.ssExports = { init() { undefinedThing(); } };",
            "undefinedThing",
        ),
        ("while (true) {}", "longer than"),
    ] {
        let error = ScriptInstance::start(
            bundle(&[("index.js", source)]),
            "gs",
            limits(),
            4096,
            Arc::clone(&metrics),
        )
        .expect_err("fails");
        assert!(error.to_string().contains(expected), "{error}");
    }
}

#[test]
fn compile_check_names_the_file_with_the_error() {
    let good = bundle(&[
        ("index.js", "exports.ssExports = {};"),
        ("a.js", "const x = 1;"),
    ]);
    assert_eq!(compile_check(&good), Ok(()));
    let bad = bundle(&[
        ("index.js", "exports.ssExports = {};"),
        ("a.js", "const = ;"),
    ]);
    let error = compile_check(&bad).expect_err("does not compile");
    assert!(error.starts_with("a.js does not compile"), "{error}");
    let missing = bundle(&[("main.js", "")]);
    assert!(
        compile_check(&missing)
            .expect_err("no entry")
            .contains("index.js")
    );
}

#[test]
fn a_script_slow_on_every_message_is_held_to_its_cpu_budget() {
    let budget = Limits {
        cpu_budget: Duration::from_millis(100),
        ..limits()
    };
    let (mut s, metrics) = start_with(
        &[(
            "index.js",
            "exports.ssExports = { onSendToGroup() {\n\
             const until = Date.now() + 30; while (Date.now() < until) {} return false; } };",
        )],
        budget,
    );
    let begun = Instant::now();
    let answers: Vec<bool> = (0..20).map(|_| s.send_to_group(&msg(b""))).collect();
    // About three calls of 30 ms fit in 100 ms (the last one cut at the budget's end); the
    // rest are skipped and get the default (deliver).
    let m = metrics.snapshot();
    assert_eq!(m.script_calls + m.script_calls_skipped, 20, "{m:?}");
    assert!((2..=4).contains(&m.script_calls), "{m:?}");
    let refused = answers.iter().filter(|delivered| !**delivered).count() as u64;
    assert_eq!(refused + m.script_timeouts, m.script_calls, "{m:?}");
    assert!(
        begun.elapsed() < Duration::from_millis(500),
        "{:?}",
        begun.elapsed()
    );
}

#[test]
fn timers_of_a_script_that_used_its_budget_wait_for_the_next_second() {
    let budget = Limits {
        callback_timeout: Duration::from_millis(20),
        cpu_budget: Duration::from_millis(40),
        ..limits()
    };
    let (mut s, metrics) = start_with(
        &[(
            "index.js",
            "let ticks = 0;\n\
             setInterval(() => { ticks++; for (;;) {} }, 1);\n\
             exports.ssExports = { onHealthCheck() { return ticks < 3; } };",
        )],
        budget,
    );
    let second = Instant::now();
    s.set_clock(second);
    let mut now = second;
    // Two ticks of 20 ms spend the second's 40 ms.
    for _ in 0..2 {
        now = s.poll_timeout().expect("a timer");
        s.handle_timeout(now);
    }
    let m = metrics.snapshot();
    assert_eq!((m.script_calls, m.script_timeouts), (2, 2), "{m:?}");
    // The next tick waits for the second to be over, and a wake before it fires nothing.
    let next = s.poll_timeout().expect("a timer");
    // (The second began when the script started, just before `second`.)
    assert!(next - now > Duration::from_millis(900), "{:?}", next - now);
    s.handle_timeout(now + Duration::from_millis(5));
    let m = metrics.snapshot();
    assert_eq!((m.script_calls, m.script_calls_skipped), (2, 0), "{m:?}");
    // In the next second it ticks again, as far as the budget goes.
    s.handle_timeout(next);
    let m = metrics.snapshot();
    assert_eq!((m.script_calls, m.script_calls_skipped), (4, 0), "{m:?}");
}
