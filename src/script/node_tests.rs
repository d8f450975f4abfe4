//! Node.js compatibility of the script host: each built-in module and global against what
//! Node.js answers for the same calls.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::metrics::Metrics;

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

/// Script helpers for the tests below: `thrown(f)` is what `f` throws, as `[name, code,
/// message]`, or 'no error'.
const THROWN: &str = "function thrown(f) {\n\
    try { f(); return 'no error'; } catch (e) { return [e.name, e.code, e.message]; }\n\
}\n";

fn checks_with_helpers(source: &str) {
    checks(&format!("{THROWN}{source}"));
}

#[test]
fn buffer_is_callable_in_every_legacy_form() {
    checks_with_helpers(
        r#"
        const bytes = (b) => [b instanceof Buffer, Buffer.isBuffer(b), Array.from(b)];
        check(bytes(Buffer('hi')), [true, true, [104, 105]], 'Buffer(string)');
        check(bytes(new Buffer('hi')), [true, true, [104, 105]], 'new Buffer(string)');
        check(bytes(Buffer('6869', 'hex')), [true, true, [104, 105]], 'Buffer(string, encoding)');
        check(bytes(new Buffer('aGk=', 'base64')), [true, true, [104, 105]], 'new Buffer(string, encoding)');
        check(bytes(Buffer([1, 2, 300])), [true, true, [1, 2, 44]], 'Buffer(array)');
        check(bytes(Buffer(3)), [true, true, [0, 0, 0]], 'Buffer(size)');
        check(bytes(new Buffer(2.5)), [true, true, [0, 0]], 'new Buffer(size)');
        const memory = new Uint8Array([5, 6, 7]).buffer;
        check(bytes(Buffer(memory, 1)), [true, true, [6, 7]], 'Buffer(arrayBuffer, byteOffset)');
        check(bytes(new Buffer(memory, 1, 1)), [true, true, [6]], 'new Buffer(arrayBuffer, byteOffset, length)');
        check(Buffer(memory).buffer === memory, true, 'Buffer(arrayBuffer) shares memory');
        const original = Buffer.from('x');
        const copied = Buffer(original);
        copied[0] = 0;
        check([bytes(Buffer(original)), original[0]], [[true, true, [120]], 120], 'Buffer(buffer) copies');
        check(bytes(new Buffer(new Uint16Array([1, 258]))), [true, true, [1, 2]], 'a view copies its elements');
        check(thrown(() => Buffer(3, 'utf8')), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "string" argument must be of type string. Received type number (3)']);
        check(thrown(() => Buffer(-1)), ['RangeError', 'ERR_OUT_OF_RANGE',
          'The value of "size" is out of range. It must be >= 0 && <= 4294967296. Received -1']);
        check(thrown(() => Buffer({})), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object. Received an instance of Object']);
        check(thrown(() => Buffer(memory, 5)), ['RangeError', 'ERR_BUFFER_OUT_OF_BOUNDS', '"offset" is outside of buffer bounds']);
        check(thrown(() => Buffer.from(memory, 1, 4)), ['RangeError', 'ERR_BUFFER_OUT_OF_BOUNDS', '"length" is outside of buffer bounds']);
        // The statics are functions, constructible as Node.js's.
        check(bytes(new Buffer.from('hi')), [true, true, [104, 105]], 'new Buffer.from');
        check(bytes(new Buffer.alloc(2, 1)), [true, true, [1, 1]], 'new Buffer.alloc');
        check(bytes(Buffer.of(1, 2)), [true, true, [1, 2]], 'Buffer.of');
        check(bytes(Buffer.from({ length: 2, 0: 1, 1: 2 })), [true, true, [1, 2]], 'an array-like');
        check(bytes(Buffer.from({ type: 'Buffer', data: [1, 2] })), [true, true, [1, 2]], 'toJSON output');
        check(bytes(Buffer.from(new String('hi'))), [true, true, [104, 105]], 'a String object');
        check(bytes(Buffer.from([1.7, -1, '3'])), [true, true, [1, 255, 3]], 'numbers as Uint8Array takes them');
        check(bytes(Buffer.allocUnsafe(2)).slice(0, 2), [true, true]);
        check(Buffer.allocUnsafeSlow(3).length, 3);
        // The class shape of Node.js's Buffer.
        check([Object.getPrototypeOf(Buffer) === Uint8Array, Buffer.prototype.constructor === Buffer,
          Buffer.prototype instanceof Uint8Array, Buffer.name, Buffer.length, Buffer.poolSize],
          [true, true, true, 'Buffer', 3, 8192]);
        const b = Buffer.from('abc');
        check([b.subarray(1) instanceof Buffer, b.slice(1).constructor === Buffer,
          b.map((x) => x + 1) instanceof Buffer, b.filter(() => true).toString()], [true, true, true, 'abc']);
        check(b.slice(1, 2).buffer === b.buffer, true, 'slice shares memory');
        check([Buffer.isBuffer(new Uint8Array(2)), new Uint8Array(2) instanceof Buffer], [false, false]);
        class Packet extends Buffer {}
        check(Buffer.isBuffer(new Packet(2)), true, 'a subclass');
        check(require('buffer').Buffer === Buffer, true);
        "#,
    );
}

#[test]
fn buffer_encodings_follow_node() {
    checks_with_helpers(
        r#"
        const hex = (b) => b.toString('hex');
        check(hex(Buffer.from('héllo 😀', 'utf16le')), '6800e9006c006c006f0020003dd800de');
        check(hex(Buffer.from('ab', 'UCS-2')), '61006200');
        check(Buffer.from('6100620063', 'hex').toString('ucs2'), 'ab', 'an odd byte is dropped');
        check(Buffer.from([0x3d, 0xd8]).toString('utf16le').charCodeAt(0), 0xd83d);
        check(Buffer.from('abc').toString('utf16le', 1), '\u6362');
        check(Buffer.from('€').toString('ucs2'), '\u82e2');
        check(hex(Buffer.from('ÿé😀', 'latin1')), 'ffe93d00');
        check(hex(Buffer.from('é', 'ascii')), 'e9');
        check(Buffer.from([0x68, 0xe9, 0xff]).toString('ascii'), 'hi\u007f');
        check(Buffer.from([0x68, 0xe9]).toString('binary'), 'hé');
        check(Buffer.byteLength('ab', 'utf16le'), 4);
        check([Buffer.isEncoding('UTF-16LE'), Buffer.isEncoding('ucs2'), Buffer.isEncoding(''), Buffer.isEncoding('nope')],
          [true, true, false, false]);
        check(thrown(() => Buffer.from('a', 'nope')), ['TypeError', 'ERR_UNKNOWN_ENCODING', 'Unknown encoding: nope']);
        check(thrown(() => Buffer.from('a').toString('nope')), ['TypeError', 'ERR_UNKNOWN_ENCODING', 'Unknown encoding: nope']);
        check([Buffer.from('abc').toString('hex', -1), Buffer.from('abc').toString('utf8', 1, 99),
          Buffer.from('abc').toString('utf8', 2, 1)], ['616263', 'bc', '']);
        const b = Buffer.alloc(4);
        check([b.write('ab', 'ucs2'), hex(b)], [4, '61006200']);
        check([Buffer.alloc(2).write('€'), Buffer.alloc(3).write('a€'), Buffer.alloc(3).write('abc', 'ucs2')], [0, 1, 2],
          'only whole characters are written');
        check(hex(Buffer.alloc(4).fill('€', 'utf16le')), 'ac20ac20');
        check(hex(Buffer.alloc(3).fill('ab', 1, 'latin1')), '006162');
        check(thrown(() => Buffer.alloc(2).fill('zz', 'hex')), ['TypeError', 'ERR_INVALID_ARG_VALUE', "The argument 'value' is invalid. Received 'zz'"]);
        check([hex(Buffer.alloc(4, 'aGk=', 'base64')), hex(Buffer.alloc(3, 257)), hex(Buffer.alloc(3).fill(true))],
          ['68696869', '010101', '010101']);
        const { atob, btoa, constants, kMaxLength, kStringMaxLength } = require('buffer');
        check([atob(' aG k= '), btoa('hi'), constants, kMaxLength, kStringMaxLength],
          ['hi', 'aGk=', { MAX_LENGTH: 4294967296, MAX_STRING_LENGTH: 536870888 }, 4294967296, 536870888]);
        check(thrown(() => btoa('€')), ['InvalidCharacterError', 5, 'Invalid character']);
        check(thrown(() => atob('a')), ['InvalidCharacterError', 5, 'The string to be decoded is not correctly encoded.']);
        "#,
    );
}

#[test]
fn buffer_reads_and_writes_numbers_as_node() {
    checks_with_helpers(
        r#"
        const b = Buffer.from('hello world');
        check([b.readUIntBE(0, 6), b.readIntLE(5, 6), b.readUIntLE(2, 3), b.readUintBE(0, 1)],
          [114784820031264, 110416939153184, 7302252, 104]);
        check([Buffer.from([255, 255, 255, 255, 255, 255]).readIntLE(0, 6), Buffer.from([0x80, 0, 0]).readIntBE(0, 3)],
          [-1, -8388608]);
        const w = Buffer.alloc(12);
        check([w.writeUIntBE(0x1234567890, 0, 5), w.writeIntLE(-123456789012, 5, 6), w.writeUintLE(255, 11, 1),
          w.toString('hex')], [5, 11, 12, '1234567890ece56641e3ffff']);
        const g = Buffer.alloc(16);
        g.writeBigInt64BE(-12345678901234567n);
        check(g.writeBigUInt64LE(18446744073709551615n, 8), 16);
        check([g.toString('hex'), String(g.readBigInt64BE(0)), String(g.readBigUint64LE(8)), String(g.readBigInt64LE(8))],
          ['ffd423aba294b479ffffffffffffffff', '-12345678901234567', '18446744073709551615', '-1']);
        check(thrown(() => Buffer.alloc(8).writeBigUInt64LE(-1n)), ['RangeError', 'ERR_OUT_OF_RANGE',
          'The value of "value" is out of range. It must be >= 0n and < 2n ** 64n. Received -1n']);
        check(thrown(() => Buffer.alloc(8).writeBigInt64LE(2n ** 63n)), ['RangeError', 'ERR_OUT_OF_RANGE',
          'The value of "value" is out of range. It must be >= -(2n ** 63n) and < 2n ** 63n. Received 9_223_372_036_854_775_808n']);
        const range = (f) => thrown(f)[2];
        check(range(() => Buffer.alloc(8).writeUIntLE(2 ** 48, 0, 6)),
          'The value of "value" is out of range. It must be >= 0 and < 2 ** 48. Received 281_474_976_710_656');
        check(range(() => Buffer.alloc(8).writeIntLE(2 ** 47, 0, 6)),
          'The value of "value" is out of range. It must be >= -(2 ** 47) and < 2 ** 47. Received 140_737_488_355_328');
        check(range(() => Buffer.alloc(8).writeIntBE(-(2 ** 23) - 1, 0, 3)),
          'The value of "value" is out of range. It must be >= -8388608 and <= 8388607. Received -8388609');
        check(range(() => Buffer.alloc(2).writeUInt8(256, 0)),
          'The value of "value" is out of range. It must be >= 0 and <= 255. Received 256');
        check(range(() => Buffer.alloc(4).writeUInt32LE(-1)),
          'The value of "value" is out of range. It must be >= 0 and <= 4294967295. Received -1');
        check(range(() => Buffer.alloc(4).writeInt32BE(2 ** 31, 0)),
          'The value of "value" is out of range. It must be >= -2147483648 and <= 2147483647. Received 2147483648');
        check(thrown(() => Buffer.alloc(2).readUIntLE(0, 7)), ['RangeError', 'ERR_OUT_OF_RANGE',
          'The value of "byteLength" is out of range. It must be >= 1 and <= 6. Received 7']);
        check(thrown(() => Buffer.alloc(2).readUIntLE(0)), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "byteLength" argument must be of type number. Received undefined']);
        check(range(() => Buffer.alloc(4).readUIntLE(0, 1.5)),
          'The value of "byteLength" is out of range. It must be an integer. Received 1.5');
        // Offsets out of range throw RangeError ERR_OUT_OF_RANGE, as in Node.js.
        check(thrown(() => Buffer.alloc(2).readUInt16LE(1)), ['RangeError', 'ERR_OUT_OF_RANGE',
          'The value of "offset" is out of range. It must be >= 0 and <= 0. Received 1']);
        check(range(() => Buffer.alloc(2).readUInt8(2)), 'The value of "offset" is out of range. It must be >= 0 and <= 1. Received 2');
        check(range(() => Buffer.alloc(4).readInt32LE(-1)), 'The value of "offset" is out of range. It must be >= 0 and <= 0. Received -1');
        check(range(() => Buffer.alloc(4).readInt32LE(1.5)), 'The value of "offset" is out of range. It must be an integer. Received 1.5');
        check(range(() => Buffer.alloc(4).readUInt8(NaN)), 'The value of "offset" is out of range. It must be an integer. Received NaN');
        check(range(() => Buffer.alloc(8).readBigInt64LE(1)), 'The value of "offset" is out of range. It must be >= 0 and <= 0. Received 1');
        check(range(() => Buffer.alloc(4).writeFloatBE(1, 1)), 'The value of "offset" is out of range. It must be >= 0 and <= 0. Received 1');
        check(range(() => Buffer.alloc(4).readIntBE(3, 2)), 'The value of "offset" is out of range. It must be >= 0 and <= 2. Received 3');
        check(thrown(() => Buffer.alloc(4).readInt32LE('1')), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "offset" argument must be of type number. Received type string (\'1\')']);
        check(thrown(() => Buffer.alloc(1).readUInt16LE(0)), ['RangeError', 'ERR_BUFFER_OUT_OF_BOUNDS',
          'Attempt to access memory outside buffer bounds']);
        check(thrown(() => Buffer.alloc(4).writeDoubleLE(1, 0))[1], 'ERR_BUFFER_OUT_OF_BOUNDS');
        check([Buffer.alloc(4).readUInt32LE(), Buffer.alloc(4).writeFloatLE(1e50, 0), Buffer.alloc(4).writeUInt8('x'),
          Buffer.from('ab').readInt16LE(), Buffer.from([1, 2]).readUint16BE(0)], [0, 4, 1, 25185, 258]);
        "#,
    );
}

#[test]
fn buffer_searches_swaps_and_copies_as_node() {
    checks_with_helpers(
        r#"
        const b = Buffer.from('abcabc');
        check([b.lastIndexOf('bc'), b.lastIndexOf(98, 3), b.lastIndexOf('c', -2), b.lastIndexOf('abc', -4),
          b.lastIndexOf(Buffer.from('ca')), b.lastIndexOf('z'), b.lastIndexOf(0x162)], [4, 1, 2, 0, 2, -1, 4]);
        const abc = Buffer.from('abc');
        check([abc.lastIndexOf('c', -10), abc.lastIndexOf(''), abc.lastIndexOf('', 1), abc.lastIndexOf('b', NaN),
          abc.lastIndexOf('b', null), abc.lastIndexOf('b', 'ucs2')], [-1, 3, 1, 1, -1, -1]);
        check([abc.indexOf('c', -1), abc.indexOf(98, 'utf8'), abc.indexOf('', -1), Buffer.from('aaa').indexOf('', 5),
          abc.includes(Buffer.from('bc'), 1), Buffer.from('a\u0000b\u0000').lastIndexOf('b', undefined, 'ucs2')],
          [2, 1, 2, 3, true, 2]);
        check(thrown(() => abc.indexOf({}))[1], 'ERR_INVALID_ARG_TYPE');
        check([Array.from(Buffer.from([1, 2, 3, 4]).swap16()), Array.from(Buffer.from([1, 2, 3, 4]).swap32()),
          Array.from(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]).swap64())], [[2, 1, 4, 3], [4, 3, 2, 1], [8, 7, 6, 5, 4, 3, 2, 1]]);
        check(thrown(() => Buffer.from([1, 2, 3]).swap16()), ['RangeError', 'ERR_INVALID_BUFFER_SIZE', 'Buffer size must be a multiple of 16-bits']);
        check(thrown(() => Buffer.from([1, 2, 3]).swap64())[2], 'Buffer size must be a multiple of 64-bits');
        check([Buffer.from('ab').toJSON(), JSON.stringify({ b: Buffer.from('a') })],
          [{ type: 'Buffer', data: [97, 98] }, '{"b":{"type":"Buffer","data":[97]}}']);
        const target = Buffer.alloc(4);
        check([Buffer.from('xyz').copy(target, 2), Array.from(target)], [2, [0, 0, 120, 121]]);
        check([Buffer.from('xyz').copy(target, 0, 1, 2), target[0]], [1, 121]);
        check(Buffer.from('x').copy(Buffer.alloc(2), 5), 0);
        check(thrown(() => Buffer.from('x').copy(Buffer.alloc(2), -1)), ['RangeError', 'ERR_OUT_OF_RANGE',
          'The value of "targetStart" is out of range. It must be >= 0. Received -1']);
        check(thrown(() => Buffer.concat([Buffer.from('a'), 'b'])), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "list[1]" argument must be an instance of Buffer or Uint8Array. Received type string (\'b\')']);
        check(Buffer.concat([Buffer.from('ab'), new Uint8Array([99])], 5).toString('hex'), '6162630000');
        check(thrown(() => Buffer.from('a').equals('a'))[2],
          'The "otherBuffer" argument must be an instance of Buffer or Uint8Array. Received type string (\'a\')');
        check([Buffer.compare(Buffer.from('a'), Buffer.from('b')), Buffer.from('abc').compare(Buffer.from('b'), 0, 1, 1, 2)], [-1, 0]);
        check(thrown(() => Buffer.alloc(4).write('ab', 5)), ['RangeError', 'ERR_OUT_OF_RANGE',
          'The value of "offset" is out of range. It must be >= 0 && <= 4. Received 5']);
        "#,
    );
}

/// What a script logs while `f` runs, as the log's lines.
fn logged(f: impl FnOnce()) -> String {
    #[derive(Clone, Default)]
    struct Lines(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("the log").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, f);
    let bytes = lines.0.lock().expect("the log").clone();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn the_buffer_constructor_warns_once_per_game_session() {
    let source = "Buffer('a'); new Buffer(2); Buffer.from('b'); Buffer([1]);";
    let log = logged(|| {
        checks(source);
        checks(source);
    });
    let warning = "[DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability \
        issues. Please use the Buffer.alloc(), Buffer.allocUnsafe(), or Buffer.from() methods instead.";
    assert_eq!(log.matches(warning).count(), 2, "{log}");
    let quiet =
        logged(|| checks("Buffer.from('a'); Buffer.alloc(1); Buffer.from('ab').subarray(1);"));
    assert!(!quiet.contains("DEP0005"), "{quiet}");
}
