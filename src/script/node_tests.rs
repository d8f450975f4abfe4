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
