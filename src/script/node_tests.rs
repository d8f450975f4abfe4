//! Node.js compatibility of the script host: each built-in module and global against what
//! Node.js answers for the same calls.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::core::Hooks;
use crate::metrics::Metrics;
use crate::protocol::PeerId;

fn limits() -> Limits {
    Limits {
        callback_timeout: Duration::from_millis(500),
        cpu_budget: Duration::from_millis(1000),
        start_timeout: Duration::from_millis(2000),
        memory_limit_bytes: 32 << 20,
        deny_on_error: false,
        max_consecutive_failures: 0,
        max_queued_send_bytes: 512 << 10,
    }
}

/// Starts a script of `files` (entry `index.js`) whose loading runs `check(actual, expected)`
/// calls; the first mismatch fails the start with its message.
fn run(files: &[(&str, &str)]) -> Result<ScriptInstance, StartError> {
    const CHECK: &str = "function check(actual, expected, what) {\n\
        const a = JSON.stringify(actual), e = JSON.stringify(expected);\n\
        if (a !== e) throw new Error((what || 'check') + ': got ' + a + ', expected ' + e);\n\
    }\n";
    let files = files
        .iter()
        .map(|&(path, source)| {
            let source = if path == "index.js" {
                format!("{CHECK}{source}")
            } else {
                source.to_owned()
            };
            (path.to_owned(), source)
        })
        .collect::<BTreeMap<_, _>>();
    let bundle = Arc::new(Bundle {
        script_id: "script-node".into(),
        revision: 1,
        version: None,
        entry: "index.js".into(),
        files,
    });
    ScriptInstance::start(
        bundle,
        "gs-node",
        limits(),
        4096,
        Arc::new(Metrics::default()),
    )
}

/// Runs `source` as the whole script; panics with the first failed check.
fn checks(source: &str) {
    if let Err(e) = run(&[("index.js", source)]) {
        panic!("{e}");
    }
}

#[test]
fn path_follows_node_posix_paths() {
    checks(
        r#"
        const path = require('path');
        check(require('node:path') === path, true, 'node: prefix');
        check(path.join('/a/b', '../c', './d.js'), '/a/c/d.js');
        check(path.join('a', '', 'b/'), 'a/b/');
        check(path.join(), '.');
        check(path.normalize('/../a//b/./c/..'), '/a/b');
        check(path.normalize('../x/../../y'), '../../y');
        check(path.resolve('a', '/b', 'c'), '/b/c');
        check(path.resolve('x/y', '..'), '/x');
        check(path.relative('/data/a/b', '/data/c'), '../../c');
        check(path.dirname('/a/b/c.txt'), '/a/b');
        check(path.dirname('c.txt'), '.');
        check(path.basename('/a/b/c.txt', '.txt'), 'c');
        check(path.extname('archive.tar.gz'), '.gz');
        check(path.extname('.profile'), '');
        check(path.parse('/home/u/file.txt'),
          { root: '/', dir: '/home/u', base: 'file.txt', ext: '.txt', name: 'file' });
        check(path.format({ dir: '/x', name: 'f', ext: '.js' }), '/x/f.js');
        check(path.isAbsolute('/a'), true);
        check(path.sep + path.delimiter, '/:');
        check(path.posix === path, true);
        let threw = '';
        try { path.join('a', 3); } catch (e) { threw = e.name; }
        check(threw, 'TypeError', 'a non-string part');
        "#,
    );
}

#[test]
fn modules_that_do_io_are_refused_with_a_clear_error() {
    for module in [
        "fs",
        "node:net",
        "child_process",
        "aws-sdk",
        "@aws-sdk/client-s3",
    ] {
        let error = run(&[("index.js", &format!("require('{module}');"))])
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains(&format!("Cannot use module '{module}'")) && error.contains("no I/O"),
            "{error}"
        );
    }
}

#[test]
fn bundled_node_modules_load_as_in_node() {
    // The shape of AWS's sample: `node-gameloop` in the script's own `node_modules`.
    let started = run(&[
        (
            "index.js",
            r#"
            const gameloop = require('node-gameloop');
            check(gameloop.name, 'gameloop', 'package main');
            check(require('node-gameloop') === gameloop, true, 'cached by resolved path');
            check(require('./node_modules/node-gameloop/index.js') === gameloop, true,
              'one module whatever name reached it');
            check(require.resolve('node-gameloop'), 'node_modules/node-gameloop/index.js');
            check(require.resolve('path'), 'path', 'a built-in resolves to its name');
            check(require('@acme/util/lib/extra').extra, true, 'scoped package subpath');
            check(require('@acme/util').helper, 'util from @acme/util', 'nested node_modules');
            check(require('modern'), 'cjs', 'exports with a require condition');
            check(require('modern/feature'), 'feature', 'subpath export');
            check(require('./lib/uses-pkg').gameloop === gameloop, true, 'lookup climbs to the root');
            check(Object.keys(require.cache).sort(), [
              'index.js', 'lib/uses-pkg.js', 'node_modules/@acme/util/index.js',
              'node_modules/@acme/util/lib/extra.js',
              'node_modules/@acme/util/node_modules/helper/index.js',
              'node_modules/modern/dist/cjs.js', 'node_modules/modern/dist/feature.js',
              'node_modules/node-gameloop/index.js',
            ]);
            check(module.id, '.', 'the entry is the main module');
            check(require.main === module, true, 'require.main');
            check(module.paths, ['node_modules']);
            const util = require.cache['node_modules/@acme/util/index.js'];
            check(util.paths, ['node_modules/@acme/util/node_modules', 'node_modules/@acme/node_modules',
              'node_modules']);
            check(util.parent === module, true, 'module.parent');
            check(module.children.includes(util), true, 'module.children');
            let error;
            try { require('left-pad'); } catch (e) { error = e; }
            check([error.message, error.code],
              ["Cannot find module 'left-pad' from '.'", 'MODULE_NOT_FOUND']);
            try { require('modern/dist/cjs.js'); } catch (e) { error = e; }
            check(error.message, "Cannot find module 'modern/dist/cjs.js' from '.'",
              'a file the package does not export');
            "#,
        ),
        (
            "node_modules/node-gameloop/package.json",
            r#"{"name": "node-gameloop", "main": "index.js"}"#,
        ),
        (
            "node_modules/node-gameloop/index.js",
            "exports.name = 'gameloop'; exports.setGameLoop = function (f) { return f; };",
        ),
        (
            "node_modules/@acme/util/package.json",
            r#"{"name": "@acme/util"}"#,
        ),
        (
            "node_modules/@acme/util/index.js",
            "exports.helper = require('helper') + ' from @acme/util';",
        ),
        (
            "node_modules/@acme/util/lib/extra.js",
            "exports.extra = true;",
        ),
        (
            "node_modules/@acme/util/node_modules/helper/index.js",
            "module.exports = 'util';",
        ),
        (
            "node_modules/modern/package.json",
            r#"{"exports": {".": {"import": "./dist/esm.mjs", "require": "./dist/cjs.js"},
                "./feature": "./dist/feature.js"}}"#,
        ),
        ("node_modules/modern/dist/cjs.js", "module.exports = 'cjs';"),
        ("node_modules/modern/dist/esm.mjs", "export default 'esm';"),
        (
            "node_modules/modern/dist/feature.js",
            "module.exports = 'feature';",
        ),
        (
            "lib/uses-pkg.js",
            "exports.gameloop = require('node-gameloop');",
        ),
    ]);
    if let Err(e) = started {
        panic!("{e}");
    }
}

#[test]
fn module_cycles_and_failures_behave_as_in_node() {
    let started = run(&[
        (
            "index.js",
            r#"
            const a = require('./a');
            check([a.done, a.sawB, require('./b').sawA], [true, true, { partial: true }],
              'a cycle sees the partial exports');
            let first;
            try { require('./flaky'); } catch (e) { first = e.message; }
            check(first, 'not yet', 'the first load throws');
            check(require('./flaky').loads, 2, 'a module that threw is loaded again');
            const data = require('./data.json');
            delete require.cache['data.json'];
            check(require('./data.json') === data, false, 'a deleted cache entry loads anew');
            check(require('./data.json'), { n: 1 });
            let bad;
            try { require('./bad.json'); } catch (e) { bad = e.message; }
            check(bad.startsWith('bad.json: '), true, 'a JSON error names the file');
            let unknown;
            try { require('node:nope'); } catch (e) { unknown = [e.message, e.code]; }
            check(unknown, ['No such built-in module: node:nope', 'ERR_UNKNOWN_BUILTIN_MODULE']);
            "#,
        ),
        (
            "a.js",
            "exports.partial = true; const b = require('./b'); exports.sawB = b.done; exports.done = true;",
        ),
        (
            "b.js",
            "exports.sawA = Object.assign({}, require('./a')); exports.done = true;",
        ),
        (
            "flaky.js",
            "globalThis.flakyLoads = (globalThis.flakyLoads || 0) + 1;\n\
             if (globalThis.flakyLoads === 1) throw new Error('not yet');\n\
             exports.loads = globalThis.flakyLoads;",
        ),
        ("data.json", r#"{"n": 1}"#),
        ("bad.json", "{"),
    ]);
    if let Err(e) = started {
        panic!("{e}");
    }
}

#[test]
fn the_connect_message_holds_the_player() {
    // A tutorial's `onPlayerConnect` reads `connectMsg.player.peerId`; the guide's reads
    // `connectMsg.peerId` and `connectMsg.payload`.
    let started = run(&[(
        "index.js",
        r#"
        exports.ssExports = {
          onPlayerConnect(connectMsg) {
            const { player } = connectMsg;
            return JSON.stringify([player, Object.keys(player), connectMsg.peerId,
                connectMsg.playerSessionId, connectMsg.getPayloadAsText()]) ===
              JSON.stringify([{ peerId: 7, playerSessionId: 'psess-7' },
                ['peerId', 'playerSessionId'], 7, 'psess-7', 'hi']);
          },
        };
        "#,
    )]);
    let mut script = started.unwrap_or_else(|e| panic!("{e}"));
    assert!(script.player_connect(PeerId(7), "psess-7", b"hi"));
    assert!(!script.player_connect(PeerId(8), "psess-8", b"hi"));
}

/// What the script sent, in order, as `Packet`s.
fn sent_packets(script: &mut ScriptInstance) -> Vec<crate::protocol::Packet> {
    use prost::Message as _;
    std::iter::from_fn(|| script.poll_effect())
        .map(|effect| match effect {
            Effect::Send(message) => {
                crate::protocol::Packet::decode(message.payload).expect("a Packet")
            }
            other => panic!("expected a send, got {other:?}"),
        })
        .collect()
}

#[test]
fn the_realtime_servers_packet_module_encodes_as_the_protocol() {
    use crate::protocol::{
        Body, GroupMembershipUpdate, JoinGroup, LoginCommand, LoginResult, Packet,
    };
    use bytes::Bytes;
    let started = run(&[(
        "index.js",
        r#"
        const pb = require('../src/proto/Packet_pb');
        check(require('../src/proto/Packet_pb.js') === pb, true, 'one module');
        check(proto.com.gamelift.rt.proto.Packet === pb.Packet, true, 'the generated namespace');
        check(pb.Packet.MessageCase.LOGINRESULT, 31);
        exports.ssExports = {
          init(session) {
            const out = (packet) => session.sendMessage(
              session.newBinaryGameMessage(1, -1, packet.serializeBinary()), 1);
            const login = new pb.LoginCommand();
            login.setPlayersessionid('psess-1');
            login.setClientversion(2);
            const packet = new pb.Packet();
            packet.setTargetplayer(-1);
            packet.setReliable(true);
            packet.setPayload(Buffer.from('hi'));
            packet.setLogin(login);
            check(Buffer.from(packet.serializeBinary()).toString('hex'),
              '18ffffffffffffffffff0130017a026869f2010b0a077073657373' + '2d311002',
              "protocol.md's LOGIN example");
            out(packet);
            out(new pb.Packet().setOpcode(-1).setTargetplayer(1).setSender(-1).setReliable(true)
              .setLoginresult(new pb.LoginResult().setSuccess(true).setPeerid(1)
                .setFastport(1935).setCacert('cGVt').setConnecttoken('tok')
                .setReconnecttoken('rt')));
            const update = new pb.GroupMembershipUpdate().setGroup(5).setPlayersList([1, 2]);
            update.addPlayers(-3);
            out(new pb.Packet().setOpcode(-13).setSequencenumber(2147483647)
              .setGroupmembershipupdate(update));
            const joined = new pb.Packet().setUdpconnect(new pb.UDPConnectMessage())
              .setJoingroup(new pb.JoinGroup().setGroup(5));
            check([joined.hasUdpconnect(), joined.getMessageCase()], [false, 40],
              'one body of the oneof at a time');
            out(joined);
          },
        };
        "#,
    )]);
    let mut script = started.unwrap_or_else(|e| panic!("{e}"));
    let expected = [
        Packet {
            target_player: -1,
            reliable: true,
            payload: Bytes::from_static(b"hi"),
            body: Some(Body::Login(LoginCommand {
                player_session_id: "psess-1".into(),
                client_version: 2,
            })),
            ..Packet::default()
        },
        Packet {
            op_code: -1,
            target_player: 1,
            sender: -1,
            reliable: true,
            body: Some(Body::LoginResult(Box::new(LoginResult {
                success: true,
                reconnect_token: "rt".into(),
                peer_id: 1,
                fast_port: 1935,
                ca_cert: Bytes::from_static(b"pem"),
                connect_token: "tok".into(),
            }))),
            ..Packet::default()
        },
        Packet {
            op_code: -13,
            sequence_number: i32::MAX,
            body: Some(Body::GroupMembershipUpdate(GroupMembershipUpdate {
                group: 5,
                players: vec![1, 2, -3],
            })),
            ..Packet::default()
        },
        Packet {
            body: Some(Body::JoinGroup(JoinGroup { group: 5 })),
            ..Packet::default()
        },
    ];
    assert_eq!(sent_packets(&mut script), expected);
}

#[test]
fn the_realtime_servers_packet_module_decodes_the_protocol() {
    use crate::protocol::{Body, GroupMembershipUpdate, LoginResult, Packet};
    use bytes::Bytes;
    use prost::Message as _;
    let hex = |packet: &Packet| {
        packet
            .encode_to_vec()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let result = hex(&Packet {
        op_code: -1,
        target_player: 1,
        target_group: -1,
        sender: -1,
        reliable: true,
        payload: Bytes::from_static("é!".as_bytes()),
        body: Some(Body::LoginResult(Box::new(LoginResult {
            success: true,
            reconnect_token: "rt".into(),
            peer_id: 1,
            fast_port: 1935,
            ca_cert: Bytes::from_static(b"pem"),
            connect_token: "tök".into(),
        }))),
        ..Packet::default()
    });
    let update = hex(&Packet {
        op_code: 10,
        sequence_number: 5,
        body: Some(Body::GroupMembershipUpdate(GroupMembershipUpdate {
            group: 5,
            players: vec![1, -2],
        })),
        ..Packet::default()
    });
    let source = format!(
        r#"
        const pb = require('../src/proto/Packet_pb');
        const p = pb.Packet.deserializeBinary(Buffer.from('{result}', 'hex'));
        check([p.getOpcode(), p.getSequencenumber(), p.getTargetplayer(), p.getTargetgroup(),
          p.getSender(), p.getReliable(), p.getClientversion(), p.getMessageCase()],
          [-1, 0, 1, -1, -1, true, 0, 31]);
        check([Buffer.from(p.getPayload_asU8()).toString(), p.getPayload_asB64()], ['é!', 'w6kh']);
        check(p.getLoginresult().toObject(), {{ success: true, reconnecttoken: 'rt', peerid: 1,
          fastport: 1935, cacert: 'cGVt', connecttoken: 'tök' }});
        check([p.hasLogin(), p.getLogin()], [false, undefined]);
        const u = pb.Packet.deserializeBinary(Buffer.from('{update}', 'hex'));
        check(u.toObject().groupmembershipupdate, {{ group: 5, playersList: [1, -2] }});
        check([u.toObject().opcode, u.toObject().payload, u.toObject().login], [10, '', undefined]);
        // Players unpacked, and fields this schema does not know (varint, fixed32), as
        // decoders must accept.
        const loose = pb.GroupMembershipUpdate.deserializeBinary([8, 5, 16, 1, 16, 2, 72, 7, 85, 1, 2, 3, 4]);
        check([loose.getGroup(), loose.getPlayersList()], [5, [1, 2]]);
        check(new pb.Packet().toObject(), {{ opcode: 0, sequencenumber: 0, targetplayer: 0,
          targetgroup: 0, sender: 0, reliable: false, clientversion: 0, payload: '' }});
        let threw;
        try {{ pb.Packet.deserializeBinary([122, 5, 1]); }} catch (e) {{ threw = e.message; }}
        check(threw, 'Failed to parse the message: it ends early');
        for (const name of ['../src/proto/Other', '../../src/proto/Packet_pb', 'internal/realtime_proto']) {{
          let missing;
          try {{ require(name); }} catch (e) {{ missing = e.message; }}
          check(missing, "Cannot find module '" + name + "' from '.'");
        }}
        "#
    );
    checks(&source);
}
