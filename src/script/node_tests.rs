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

/// Runs `source` as the whole script, then its promise jobs: checks in them call `later`,
/// which records a mismatch for the health check that follows to report.
fn checks_later(source: &str) {
    const LATER: &str = "const failures = [];\n\
        function later(actual, expected, what) {\n\
          try { check(actual, expected, what); } catch (e) { failures.push(e.message); }\n\
        }\n\
        exports.ssExports = { onHealthCheck() {\n\
          if (failures.length > 0) console.error(failures.join('; '));\n\
          return failures.length === 0;\n\
        } };\n";
    let mut script = match run(&[("index.js", &format!("{LATER}{source}"))]) {
        Ok(script) => script,
        Err(e) => panic!("{e}"),
    };
    // The first call runs the jobs queued while loading; the second reads what they found.
    script.health_check();
    assert!(
        script.health_check(),
        "a check in a promise job failed (see the log)"
    );
}

#[test]
fn events_is_nodes_event_emitter() {
    checks_later(
        r#"
const EventEmitter = require('events');
const { once, errorMonitor } = require('events');
check(EventEmitter.EventEmitter === EventEmitter, true);
const e = new EventEmitter();
const seen = [];
e.on('x', (a, b) => seen.push('on ' + a + b));
e.prependListener('x', () => seen.push('first'));
e.once('x', () => seen.push('once'));
check(e.emit('x', 1, 2), true);
e.emit('x', 3, 4);
check(seen, ['first', 'on 12', 'once', 'first', 'on 34']);
check(e.listenerCount('x'), 2);
check(EventEmitter.listenerCount(e, 'x'), 2);
check(e.emit('nobody'), false);
check(e.eventNames(), ['x']);
e.setMaxListeners(1);
check(e.getMaxListeners(), 1);
let monitored = '';
e.on(errorMonitor, (err) => { monitored = err.message; });
let threw = '';
try { e.emit('error', new Error('boom')); } catch (err) { threw = err.message; }
check([threw, monitored], ['boom', 'boom'], "'error' with no listener throws");
e.removeAllListeners('x');
check(e.listenerCount('x'), 0);
once(e, 'ready').then((args) => later(args, ['a', 'b'], 'once() resolves with the arguments'));
e.emit('ready', 'a', 'b');
"#,
    );
}

#[test]
fn string_decoder_joins_characters_split_across_writes() {
    checks(
        r#"
const { StringDecoder } = require('string_decoder');
const d = new StringDecoder('utf8');
const euro = Buffer.from('€');
check(d.write(euro.subarray(0, 1)), '');
check(d.write(euro.subarray(1, 2)), '');
check(d.write(Buffer.concat([euro.subarray(2), Buffer.from('ok')])), '€ok');
const smile = Buffer.from('😀');
check(d.write(smile.subarray(0, 3)) + d.write(smile.subarray(3)), '😀');
check(d.end(Buffer.from([0xe2, 0x82])), '\ufffd');
const b = new StringDecoder('base64');
check(b.write(Buffer.from('ab')) + b.end(), 'YWI=');
const h = new StringDecoder('hex');
check(h.write(Buffer.from([1, 255])), '01ff');
"#,
    );
}

#[test]
fn util_formats_and_inspects_as_node_does() {
    checks_later(
        r#"
const util = require('util');
const { inspect, format } = util;
check(format('%s=%d', 'n', 5), 'n=5');
check(format('%s', 'a', 'extra', 3), 'a extra 3');
check(format('%d %i %f', '42.5', '42.5', '42.5'), '42.5 42 42.5');
check(format('%j %%', { a: 1 }), '{"a":1} %');
check(format('%o', [1]), "[ 1, [length]: 1 ]");
check(format('%O', { a: { b: { c: { d: 1 } } } }), '{ a: { b: { c: [Object] } } }');
check(format('%c|%s', 'color: red', 'x'), '|x');
check(format({ a: 1 }, 'b', 2), "{ a: 1 } b 2");
check(format('%s', { toString() { return 'custom'; } }), 'custom');
check(inspect('str'), "'str'");
check(inspect("it's"), `"it's"`);
check(inspect([1, 'a', null, undefined, -0, 10n, Symbol('s')]), "[ 1, 'a', null, undefined, -0, 10n, Symbol(s) ]");
check(inspect({ a: { b: { c: { d: 1 } } }, arr: [[[[1]]]] }), '{ a: { b: { c: [Object] } }, arr: [ [ [Array] ] ] }');
check(inspect({ a: { b: { c: { d: 1 } } } }, { depth: 0 }), '{ a: [Object] }');
check(inspect({ a: { b: { c: { d: 1 } } } }, { depth: Infinity }), '{\n  a: { b: { c: { d: 1 } } }\n}');
const circ = { name: 'c' }; circ.self = circ;
check(inspect(circ), "<ref *1> { name: 'c', self: [Circular *1] }");
check(inspect(new Map([['a', 1], [{ k: 1 }, [2]]])), "Map(2) { 'a' => 1, { k: 1 } => [ 2 ] }");
check(inspect(new Set([1, 'two'])), "Set(2) { 1, 'two' }");
check(inspect(new Date(0)), '1970-01-01T00:00:00.000Z');
check(inspect(/ab+c/gi), '/ab+c/gi');
check(inspect(function foo() {}), '[Function: foo]');
check(inspect(() => {}), '[Function (anonymous)]');
class A { constructor() { this.x = 1; } }
class B extends A {}
check(inspect(A), '[class A]');
check(inspect(B), '[class B extends A]');
check(inspect(new B()), 'B { x: 1 }');
check(inspect(async function af() {}), '[AsyncFunction: af]');
const np = Object.create(null); np.k = 'v';
check(inspect(np), "[Object: null prototype] { k: 'v' }");
check(inspect(Buffer.from([1, 2, 255])), '<Buffer 01 02 ff>');
check(inspect(new Uint8Array([1, 2])), 'Uint8Array(2) [ 1, 2 ]');
check(inspect(new ArrayBuffer(2)), 'ArrayBuffer { [Uint8Contents]: <00 00>, byteLength: 2 }');
check(inspect({ [Symbol('s')]: 1, 'a-b': 2 }), "{ 'a-b': 2, [Symbol(s)]: 1 }");
check(inspect({ get g() { return 1; }, set s(v) {}, get gs() { return 1; }, set gs(v) {} }),
  '{ g: [Getter], s: [Setter], gs: [Getter/Setter] }');
check(inspect(Promise.resolve(4)), 'Promise { 4 }');
check(inspect(new Promise(() => {})), 'Promise { <pending> }');
const rejected = Promise.reject(new Error('no'));
rejected.catch(() => {});
check(inspect(rejected).split('\n')[0], 'Promise {');
check(inspect([new Number(3), new String('ab'), new Boolean(false)]), "[ [Number: 3], [String: 'ab'], [Boolean: false] ]");
check(inspect(Array.from({ length: 120 }, (_, i) => i)).split('\n').slice(-3),
  ['  96, 97, 98, 99,', '  ... 20 more items', ']']);
check(inspect(Array.from({ length: 26 }, (_, i) => String.fromCharCode(97 + i))),
  "[\n  'a', 'b', 'c', 'd', 'e', 'f',\n  'g', 'h', 'i', 'j', 'k', 'l',\n  'm', 'n', 'o', 'p', 'q', 'r',\n  's', 't', 'u', 'v', 'w', 'x',\n  'y', 'z'\n]");
check(inspect({ long1: 'x'.repeat(30), long2: 'y'.repeat(30), long3: 'z'.repeat(30) }),
  `{\n  long1: '${'x'.repeat(30)}',\n  long2: '${'y'.repeat(30)}',\n  long3: '${'z'.repeat(30)}'\n}`);
check(inspect({ users: [{ id: 1, tags: ['x'] }], total: 1 }, { compact: false }),
  "{\n  users: [\n    {\n      id: 1,\n      tags: [Array]\n    }\n  ],\n  total: 1\n}");
check(inspect({ b: 1, a: 2 }, { sorted: true }), '{ a: 2, b: 1 }');
check(inspect([1, 2, 3], { maxArrayLength: 1 }), '[ 1, ... 2 more items ]');
check(inspect('abcdef', { maxStringLength: 2 }), "'ab'... 4 more characters");
check(inspect({ a: 1, b: 2 }, { breakLength: 3 }), '{\n  a: 1,\n  b: 2\n}');
check(inspect({ [inspect.custom]() { return 'CUSTOM'; } }), 'CUSTOM');
check(inspect({ inner: { [inspect.custom](depth, options) { return { d: depth }; } } }), '{ inner: { d: 1 } }');
check(inspect.custom === Symbol.for('nodejs.util.inspect.custom'), true);
check(inspect.defaultOptions.depth, 2);
const err = new TypeError('bad'); err.code = 'E_BAD';
const shown = inspect(err).split('\n');
check([shown[0], shown[shown.length - 2], shown[shown.length - 1]], ['TypeError: bad', "  code: 'E_BAD'", '}']);
check(inspect({ e: new Error('x') }).split('\n')[0], '{');
check(util.types.isDate(new Date()), true);
check([util.types.isRegExp(/x/), util.types.isPromise(Promise.resolve()), util.types.isMap(new Map()),
  util.types.isSet(new Set()), util.types.isTypedArray(new Int8Array(1)), util.types.isUint8Array(Buffer.alloc(1)),
  util.types.isArrayBuffer(new ArrayBuffer(1)), util.types.isAnyArrayBuffer(new ArrayBuffer(1)),
  util.types.isNativeError(new RangeError()), util.types.isGeneratorFunction(function* () {}),
  util.types.isAsyncFunction(async () => {}), util.types.isBoxedPrimitive(Object(1)),
  util.types.isBoxedPrimitive(1), util.types.isUint8Array(new Int8Array(1))],
  [true, true, true, true, true, true, true, true, true, true, true, true, false, false]);
check(util.isDeepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), true);
check(util.isDeepStrictEqual({ a: 1 }, { a: '1' }), false);
check([util.isArray([]), util.isString('s'), util.isNumber(1), util.isFunction(() => {}),
  util.isPrimitive(null), util.isObject(null)], [true, true, true, true, true, false]);
function Animal() {} Animal.prototype.speak = function () { return 'hi'; };
function Dog() {} util.inherits(Dog, Animal);
check([new Dog().speak(), Dog.super_ === Animal], ['hi', true]);
check(util.toUSVString('a\ud800b'), 'a\ufffdb');
check(util.stripVTControlCharacters('\u001b[31mred\u001b[39m'), 'red');
check(util.debuglog('volley').enabled, false);
check(new util.TextDecoder().decode(new util.TextEncoder().encode('é')), 'é');
const cbStyle = (a, cb) => cb(null, a * 2);
util.promisify(cbStyle)(21).then((v) => later(v, 42, 'promisify'));
const custom = () => {}; custom[util.promisify.custom] = () => Promise.resolve('own');
check(util.promisify(custom) === custom[util.promisify.custom], true);
util.callbackify(async (x) => x + 1)(1, (e, v) => later([e, v], [null, 2], 'callbackify'));
const old = util.deprecate(() => 'still works', 'old() is deprecated', 'DEP0');
check([old(), old()], ['still works', 'still works']);
"#,
    );
}

#[test]
fn assert_fails_with_nodes_assertion_errors() {
    checks_later(
        r#"
const assert = require('assert');
function failure(f) {
  try { f(); } catch (e) { return [e.name, e.code, e.message, e.operator, e.generatedMessage, e instanceof assert.AssertionError]; }
  return 'no failure';
}
check(failure(() => assert(true) || assert.ok(1)), 'no failure');
check(failure(() => assert(0, 'custom')), ['AssertionError', 'ERR_ASSERTION', 'custom', '==', false, true]);
check(failure(() => assert.equal(1, 2)), ['AssertionError', 'ERR_ASSERTION', '1 == 2', '==', true, true]);
check(failure(() => assert.strictEqual(1, '1'))[2], "Expected values to be strictly equal:\n\n1 !== '1'\n");
check(failure(() => assert.notStrictEqual(1, 1))[2], 'Expected "actual" to be strictly unequal to: 1');
check(failure(() => assert.deepStrictEqual({ a: 1 }, { a: '1' }))[2],
  "Expected values to be strictly deep-equal:\n+ actual - expected\n\n  {\n+   a: 1\n-   a: '1'\n  }");
check(failure(() => assert.deepEqual({ a: 1 }, { a: '1' })), 'no failure');
check(failure(() => assert.deepStrictEqual(new Map([[1, { x: [1] }]]), new Map([[1, { x: [1] }]]))), 'no failure');
check(failure(() => assert.notDeepStrictEqual({ a: 1 }, { a: 1 }))[3], 'notDeepStrictEqual');
check(failure(() => assert.throws(() => { throw new TypeError('x'); }, TypeError)), 'no failure');
check(failure(() => assert.throws(() => { throw new Error('abc'); }, /abc/)), 'no failure');
check(failure(() => assert.throws(() => { throw new Error('abc'); }, { message: 'abc', name: 'Error' })), 'no failure');
check(failure(() => assert.throws(() => { throw new Error('abc'); }, (e) => e.message === 'abc')), 'no failure');
check(failure(() => assert.throws(() => {}))[2], 'Missing expected exception.');
check(failure(() => assert.throws(() => { throw new Error('abc'); }, RangeError))[2],
  'The error is expected to be an instance of "RangeError". Received "Error"\n\nError message:\n\nabc');
check(failure(() => assert.doesNotThrow(() => { throw new Error('bad'); }))[2], 'Got unwanted exception.\nActual message: "bad"');
check(failure(() => assert.fail()), ['AssertionError', 'ERR_ASSERTION', 'Failed', 'fail', true, true]);
check(failure(() => assert.match('abc', /x/))[2], "The input did not match the regular expression /x/. Input:\n\n'abc'\n");
check(failure(() => assert.doesNotMatch('abc', /x/)), 'no failure');
check(failure(() => assert.ifError(null)), 'no failure');
check(failure(() => assert.ifError(new Error('oops')))[2], 'ifError got unwanted exception: oops');
check(failure(() => assert.strict.equal(1, '1'))[3], 'strictEqual');
check(assert.strict.strict === assert.strict, true);
assert.rejects(Promise.reject(new Error('r')), Error).then(() => later(true, true, 'rejects'));
assert.doesNotReject(Promise.resolve(1)).then(() => later(true, true, 'doesNotReject'));
assert.rejects(Promise.resolve(1)).catch((e) => later(e.message, 'Missing expected rejection.', 'rejects fails'));
"#,
    );
}

#[test]
fn url_and_querystring_follow_whatwg_and_node() {
    checks(
        r#"
const url = require('url');
const { URL, URLSearchParams } = url;
const u = new URL('HTTP://User:pw@Example.COM:80/a/./b/../c d?x=1 2&y=é#frag ment');
check([u.href, u.origin, u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash],
  ['http://User:pw@example.com/a/c%20d?x=1%202&y=%C3%A9#frag%20ment', 'http://example.com', 'http:', 'User', 'pw',
   'example.com', 'example.com', '', '/a/c%20d', '?x=1%202&y=%C3%A9', '#frag%20ment']);
check(new URL('../x?y#z', 'http://a.com/b/c/d').href, 'http://a.com/b/x?y#z');
check(new URL('//other.org/p', 'https://a.com/').href, 'https://other.org/p');
check(new URL('?q=1', 'http://a/b?c#d').href, 'http://a/b?q=1');
check(new URL('https://h:8443/').port, '8443');
check(new URL('wss://h:443/x').host, 'h');
check(new URL('http://0x7f.1/').hostname, '127.0.0.1');
check(new URL('http://[0:0:0:0:0:0:0:1]:8080/').host, '[::1]:8080');
check(new URL('mailto:someone@example.com').pathname, 'someone@example.com');
check(new URL('foo://host/p?q').origin, 'null');
check(new URL('file:///tmp/a b').pathname, '/tmp/a%20b');
let code = '';
try { new URL('not a url'); } catch (e) { code = e.name + ' ' + e.code; }
check(code, 'TypeError ERR_INVALID_URL');
check([URL.canParse('x'), URL.canParse('x', 'http://a')], [false, true]);
const s = new URL('http://h/?a=1&b=2&a=3');
check(s.searchParams.getAll('a'), ['1', '3']);
s.searchParams.append('c', 'x y');
s.searchParams.delete('b');
check(s.href, 'http://h/?a=1&a=3&c=x+y');
s.search = '?z=9';
check(s.searchParams.get('z'), '9');
s.hash = 'h'; s.port = '81'; s.hostname = 'NEW.com'; s.pathname = '/p q';
check(s.toString(), 'http://new.com:81/p%20q?z=9#h');
check(JSON.stringify({ u: new URL('http://a') }), '{"u":"http://a/"}');
check(new URLSearchParams({ a: 'b c', d: 'é&' }).toString(), 'a=b+c&d=%C3%A9%26');
check([...new URLSearchParams('x=1&y=2')], [['x', '1'], ['y', '2']]);
check(url.parse('http://user:pw@Host.com:8080/p/a?query=string#hash').host, 'host.com:8080');
check(url.parse('http://h/p?a=1&b=2', true).query.b, '2');
check(url.format({ protocol: 'https', hostname: 'h.com', pathname: '/x', query: { a: 1, b: 'c d' } }), 'https://h.com/x?a=1&b=c%20d');
check(url.resolve('http://a/b/c', '../d?x'), 'http://a/d?x');
check(url.resolve('/one/two/three', 'four'), '/one/two/four');
check(url.fileURLToPath('file:///a%20b/c'), '/a b/c');
check(url.pathToFileURL('/x y/%').href, 'file:///x%20y/%25');
const qs = require('querystring');
check(qs.parse('a=1&b=2&a=3&c=x+y&d=%E2%82%AC'), { a: ['1', '3'], b: '2', c: 'x y', d: '€' });
check(qs.stringify({ a: [1, 2], b: 'x y', c: true, d: null }), 'a=1&a=2&b=x%20y&c=true&d=');
check(qs.stringify({ a: 1, b: 2 }, ';', ':'), 'a:1;b:2');
check([qs.escape('a b&é'), qs.unescape('%41%zz'), qs.encode === qs.stringify, qs.decode === qs.parse],
  ['a%20b%26%C3%A9', 'A%zz', true, true]);
"#,
    );
}

#[test]
fn url_structured_clone_and_memory_usage_are_globals() {
    checks(
        r#"
globalThis.URLSearchParams = 'assigned';
check(URLSearchParams, 'assigned', 'a script assigning the name');
check(typeof URL, 'function');
check(new URL('/p', 'http://h').href, 'http://h/p');
check(Object.getOwnPropertyDescriptor(globalThis, 'URL').writable, true);
check(new (require('url').URLSearchParams)('a=1').get('a'), '1');
const orig = { d: new Date(0), r: /x/g, m: new Map([[1, { a: 1 }]]), s: new Set([1]), u: new Uint16Array([1, 2]), e: new RangeError('bad'), arr: [1, 2] };
orig.self = orig;
const copy = structuredClone(orig);
check([copy !== orig, copy.self === copy, copy.d.getTime(), copy.r.flags, copy.m.get(1).a, copy.s.has(1),
  Array.from(copy.u), copy.e instanceof RangeError, copy.e.message, copy.arr],
  [true, true, 0, 'g', 1, true, [1, 2], true, 'bad', [1, 2]]);
check(structuredClone(Buffer.from([1, 2])).constructor.name, 'Uint8Array');
let name = '';
try { structuredClone({ f() {} }); } catch (e) { name = e.name; }
check(name, 'DataCloneError');
try { structuredClone(Symbol('s')); } catch (e) { name = e.name + '2'; }
check(name, 'DataCloneError2');
const m = process.memoryUsage();
check(Object.keys(m), ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers']);
check(Object.values(m).every((n) => typeof n === 'number' && n >= 0), true);
check(typeof process.memoryUsage.rss(), 'number');
check(m.heapUsed > 0 && m.rss >= m.heapUsed, true);
"#,
    );
}

#[test]
fn console_logs_through_util_format() {
    checks(
        r#"
console.log('%s=%d', 'n', 5);
console.log({ a: [1, { b: 2 }] }, 'plain', 3);
console.assert(1 === 1, 'not logged');
console.assert(false, 'logged %s', 'x');
console.dir({ a: 1 }, { depth: 0 });
console.time('t'); console.timeLog('t', 'mid'); console.timeEnd('t'); console.timeEnd('t');
console.count(); console.count(); console.countReset(); console.countReset('none');
console.group('g'); console.info('inside\nlines'); console.groupEnd(); console.groupEnd();
console.table([{ a: 1 }]);
console.trace('here');
check(typeof console.groupCollapsed, 'function');
"#,
    );
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

/// Script helpers for the tests below: `thrown(f)` is what `f` throws, as `[name, code,
/// message]`, or 'no error'.
const THROWN: &str = "function thrown(f) {\n\
    try { f(); return 'no error'; } catch (e) { return [e.name, e.code, e.message]; }\n\
}\n";

fn checks_with_helpers(source: &str) {
    checks(&format!("{THROWN}{source}"));
}

/// Runs `source`, whose load starts asynchronous work, then its `onHealthCheck`, which
/// checks what that work left: it answers true when all is as expected.
fn checks_after_jobs(source: &str) {
    let mut instance =
        run(&[("index.js", &format!("{THROWN}{source}"))]).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        instance.health_check(),
        "the script's onHealthCheck found a mismatch"
    );
}

#[test]
fn crypto_hashes_and_hmacs_match_node() {
    checks(
        r#"
        const crypto = require('crypto');
        check(require('node:crypto') === crypto, true, 'node: prefix');
        const hex = (alg, data, enc) => crypto.createHash(alg).update(data, enc).digest('hex');
        check(hex('md5', ''), 'd41d8cd98f00b204e9800998ecf8427e');
        check(hex('md5', 'abc'), '900150983cd24fb0d6963f7d28e17f72');
        check(hex('sha1', 'abc'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
        check(hex('sha1', 'The quick brown fox jumps over the lazy dog'),
          '2fd4e1c67a2d28fced849ee1bb76e7391b93eb12');
        check(hex('sha256', 'abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
        check(hex('sha384', 'abc'), 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7');
        check(hex('sha512', 'abc'), 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f');
        // Names as Node.js (OpenSSL) knows them, without regard to case.
        for (const alias of ['SHA256', 'sha-256', 'SHA2-256', 'RSA-SHA256', 'sha256WithRSAEncryption']) {
          check(hex(alias, ''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', alias);
        }
        check(hex('RSA-MD5', ''), 'd41d8cd98f00b204e9800998ecf8427e');
        check(hex('sha-1', ''), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
        // Input encodings and views; lone surrogates hash as U+FFFD, as in Node.js.
        check(hex('sha512', 'héllo 😀'), '60f5ad0f4b9c505aff0d48c8b83c958908fb2852e16351a96bb428a273032c0ca0953b5ad0848830cd278f57b6950082fd91c125329d68a5e763bed57202117f', 'utf-8');
        check(hex('sha256', '\ud800x'), hex('sha256', '\ufffdx'), 'a lone surrogate');
        check(hex('sha256', 'é', 'latin1'), hex('sha256', Buffer.from([0xe9])), 'latin1');
        check(hex('sha256', '616263', 'hex'), hex('sha256', 'abc'), 'hex');
        check(hex('sha256', 'ab', 'ucs2'), hex('sha256', Buffer.from([97, 0, 98, 0])), 'ucs2');
        check(hex('sha256', new Uint16Array([1, 2])), '7b11c1133330cd161071bf23a0c9b6ce5320a8f3a0f83620035a72be46df4104', 'a Uint16Array');
        check(hex('sha1', new DataView(new ArrayBuffer(3))), hex('sha1', Buffer.alloc(3)), 'a DataView');
        check(hex('sha256', 'x'.repeat(100000)), hex('sha256', Buffer.alloc(100000, 'x')), 'long input');
        // Chained updates, output encodings, copy().
        const sha1 = () => crypto.createHash('sha1').update('a').update(Buffer.from('bc'));
        check(sha1().digest('base64'), 'qZk+NkcGgWq6PiVxeFDCbJzQ2J0=');
        check(crypto.createHash('md5').update('abc').digest('base64url'), 'kAFQmDzST7DWlj99KOF_cg');
        check(sha1().digest('latin1').length, 20);
        check(sha1().digest('ascii'), ')\u0019>6G\u0006\u0001j:>%qxPBl\u001cPX\u001d');
        check(Buffer.isBuffer(sha1().digest()), true, 'digest() is a Buffer');
        check(Buffer.isBuffer(sha1().digest('nonsense')), true, 'an unknown encoding gives a Buffer');
        const partial = crypto.createHash('sha256').update('a');
        const copy = partial.copy();
        partial.update('b');
        check([copy.digest('hex'), partial.digest('hex')], [hex('sha256', 'a'), hex('sha256', 'ab')]);
        check(crypto.hash('sha1', 'abc'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
        check(crypto.hash('md5', 'abc', 'base64'), 'kAFQmDzST7DWlj99KOF/cg==');
        // HMACs (RFC 2104 style vectors, answers from Node.js).
        const fox = 'The quick brown fox jumps over the lazy dog';
        const mac = (alg, key, data) => crypto.createHmac(alg, key).update(data).digest('hex');
        check(mac('md5', 'key', fox), '80070713463e7749b90c2dc24911e275');
        check(mac('sha256', 'key', fox), 'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
        check(mac('sha512', 'key', fox), 'b42af09057bac1e2d41708e48a902e09b5ff7f12ab428a4fe86653c73dd248fb82f948a549f7b791a5b41915ee4d1ec3935357e4e2317250d0372afa2ebeeb3a');
        check(crypto.createHmac('sha1', Buffer.from('key')).update('The quick brown fox ')
          .update('jumps over the lazy dog').digest('base64'), '3nybhbi3iqa8ino29wqQcBydtNk=');
        check(mac('sha384', Buffer.alloc(200, 1), 'x'), '8b432a81b4e008c0bcd588be00bcb923e2358aa06c0a8b013d38d595073f958e4e6d7f5158eebc1f0289b6c58f388339', 'a long key');
        check(mac('SHA256', new Uint8Array([1, 2]), ''), '185fa6201073484b6547f5c99024908e2eedfff8a07f1964a7725b3b6662bd1b');
        check(mac('sha256', new Uint8Array([1, 2]).buffer, ''), mac('sha256', Buffer.from([1, 2]), ''), 'an ArrayBuffer key');
        check(mac('sha256', '', ''), 'b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad');
        check([crypto.createHash('md5') instanceof crypto.Hash, crypto.createHmac('md5', 'k') instanceof crypto.Hmac], [true, true]);
        const listed = crypto.getHashes();
        check(['md5', 'sha1', 'sha256', 'sha384', 'sha512', 'RSA-SHA256', 'ssl3-md5'].every((h) => listed.includes(h)), true, 'getHashes');
        check(listed.includes('sha-256'), false, 'getHashes lists what Node.js lists');
        "#,
    );
}

#[test]
fn crypto_refuses_what_node_refuses_with_nodes_errors() {
    checks_with_helpers(
        r#"
        const crypto = require('crypto');
        check(thrown(() => crypto.createHash('nope')), ['Error', undefined, 'Digest method not supported']);
        check(thrown(() => crypto.createHash()), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "algorithm" argument must be of type string. Received undefined']);
        check(thrown(() => crypto.createHash('sha1').update(5)), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received type number (5)']);
        check(thrown(() => crypto.createHash('sha1').update(new ArrayBuffer(3)))[2].endsWith('Received an instance of ArrayBuffer'), true);
        const done = crypto.createHash('sha256');
        done.digest();
        const finalized = ['Error', 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called'];
        check(thrown(() => done.digest()), finalized, 'a second digest');
        check(thrown(() => done.update('a')), finalized, 'an update after the digest');
        check(thrown(() => done.copy()), finalized, 'a copy after the digest');
        check(thrown(() => crypto.createHmac('nope', 'k')), ['TypeError', 'ERR_CRYPTO_INVALID_DIGEST', 'Invalid digest: nope']);
        check(thrown(() => crypto.createHmac('sha256', 5)), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "key" argument must be of type string or an instance of ArrayBuffer, Buffer, TypedArray, DataView, KeyObject, or CryptoKey. Received type number (5)']);
        // An HMAC's second digest is empty; an update after it throws.
        const mac = crypto.createHmac('sha256', 'k');
        mac.digest();
        check([mac.digest('hex'), mac.digest().length], ['', 0]);
        check(thrown(() => mac.update('x')), finalized);
        check(thrown(() => crypto.timingSafeEqual(Buffer.from('a'), Buffer.from('ab'))),
          ['RangeError', 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH', 'Input buffers must have the same byte length']);
        check(thrown(() => crypto.timingSafeEqual('a', 'b')), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "buf1" argument must be an instance of ArrayBuffer, Buffer, TypedArray, or DataView.']);
        check([crypto.timingSafeEqual(Buffer.from('ab'), Buffer.from('ab')),
          crypto.timingSafeEqual(Buffer.from('ab'), Buffer.from('ac')),
          crypto.timingSafeEqual(new Uint8Array([1, 0]), new Uint16Array([1]))], [true, false, true]);
        check(thrown(() => crypto.randomBytes(-1)), ['RangeError', 'ERR_OUT_OF_RANGE',
          'The value of "size" is out of range. It must be >= 0 && <= 2147483647. Received -1']);
        check(thrown(() => crypto.randomBytes('a')), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "size" argument must be of type number. Received type string (\'a\')']);
        check(thrown(() => crypto.randomBytes(4, 5)), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "callback" argument must be of type function. Received type number (5)']);
        check(thrown(() => crypto.randomInt(10, 5)), ['RangeError', 'ERR_OUT_OF_RANGE',
          'The value of "max" is out of range. It must be greater than the value of "min" (10). Received 5']);
        check(thrown(() => crypto.randomInt(2 ** 48)), ['RangeError', 'ERR_OUT_OF_RANGE',
          'The value of "max" is out of range. It must be <= 281474976710655. Received 281_474_976_710_656']);
        check(thrown(() => crypto.randomInt(1.5)), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "max" argument must be a safe integer. Received type number (1.5)']);
        check(thrown(() => crypto.randomInt(-(2 ** 53), 0)), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "min" argument must be a safe integer. Received type number (-9007199254740992)']);
        check(thrown(() => crypto.randomUUID(5)), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "options" argument must be of type object. Received type number (5)']);
        check(thrown(() => crypto.randomFillSync(Buffer.alloc(4), 5)), ['RangeError', 'ERR_OUT_OF_RANGE',
          'The value of "offset" is out of range. It must be >= 0 && <= 4. Received 5']);
        check(thrown(() => crypto.randomFillSync(Buffer.alloc(4), 1, 4)), ['RangeError', 'ERR_OUT_OF_RANGE',
          'The value of "size + offset" is out of range. It must be <= 4. Received 5']);
        check(thrown(() => crypto.randomFillSync([1])), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "buf" argument must be an instance of ArrayBuffer or ArrayBufferView. Received an instance of Array']);
        check(thrown(() => crypto.getRandomValues(new Float32Array(2))),
          ['TypeMismatchError', 17, 'The data argument must be an integer-type TypedArray']);
        check(thrown(() => crypto.getRandomValues(new Uint8Array(65537))),
          ['QuotaExceededError', 22, 'The requested length exceeds 65,536 bytes']);
        const unbound = globalThis.crypto.getRandomValues;
        check(thrown(() => unbound(new Uint8Array(2))), ['TypeError', 'ERR_INVALID_THIS', 'Value of "this" must be of type Crypto']);
        "#,
    );
}

#[test]
fn crypto_randomness_has_nodes_shapes() {
    checks(
        r#"
        const crypto = require('crypto');
        const bytes = crypto.randomBytes(16);
        check([Buffer.isBuffer(bytes), bytes.length], [true, 16]);
        check(crypto.randomBytes(0).length, 0);
        check(crypto.randomBytes(3.5).length, 3);
        // More than the natives hand out at once comes in pieces; none stays zero.
        const large = crypto.randomBytes(200000);
        check([large.length, large.subarray(190000).some((b) => b !== 0)], [200000, true]);
        check(crypto.randomBytes(16).equals(bytes), false, 'two draws differ');
        const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
        const uuids = new Set();
        for (let i = 0; i < 100; i++) {
          const uuid = crypto.randomUUID();
          check(v4.test(uuid), true, 'a UUID v4: ' + uuid);
          uuids.add(uuid);
        }
        check(uuids.size, 100, 'distinct UUIDs');
        check(v4.test(globalThis.crypto.randomUUID()), true, 'the global crypto');
        const seen = new Set();
        for (let i = 0; i < 300; i++) {
          const n = crypto.randomInt(3, 7);
          check(Number.isInteger(n) && n >= 3 && n < 7, true, 'randomInt(3, 7): ' + n);
          seen.add(n);
        }
        check(seen.size, 4, 'every value of the range comes up');
        check([crypto.randomInt(1), crypto.randomInt(-5, -4), crypto.randomInt(0, 2 ** 48 - 1) < 2 ** 48], [0, -5, true]);
        const filled = crypto.randomFillSync(Buffer.alloc(64), 8, 8);
        check([filled.subarray(0, 8).every((b) => b === 0), filled.subarray(16).every((b) => b === 0),
          filled.subarray(8, 16).some((b) => b !== 0)], [true, true, true], 'randomFillSync(buf, 8, 8)');
        const words = crypto.randomFillSync(new Uint32Array(4), 1, 2);
        check([words[0], words[3]], [0, 0], 'offset and size count elements');
        check(crypto.randomFillSync(new ArrayBuffer(4)) instanceof ArrayBuffer, true);
        const values = crypto.getRandomValues(new Int32Array(8));
        check([values instanceof Int32Array, values.some((v) => v !== 0)], [true, true]);
        check(crypto.getRandomValues(new BigUint64Array(2)).length, 2);
        check(crypto.getRandomValues(new Uint8ClampedArray(2)).length, 2);
        check(crypto.webcrypto.getRandomValues(new Uint8Array(4)).length, 4);
        "#,
    );
}

#[test]
fn crypto_callbacks_and_promises_come_after_the_caller() {
    checks_after_jobs(
        r#"
        const crypto = require('crypto');
        const order = [];
        let result = {};
        crypto.randomBytes(8, (err, buf) => { order.push('randomBytes'); result.bytes = [err, buf.length, Buffer.isBuffer(buf)]; });
        crypto.randomInt(10, (err, n) => { order.push('randomInt'); result.int = [err, n >= 0 && n < 10]; });
        crypto.randomFill(new Uint8Array(4), 1, 2, (err, buf) => { order.push('randomFill'); result.fill = [err, buf[0], buf[3]]; });
        const subtle = globalThis.crypto.subtle;
        subtle.digest('SHA-256', new TextEncoder().encode('abc')).then((digest) => {
          result.digest = [digest instanceof ArrayBuffer, Buffer.from(digest).toString('hex')];
        });
        subtle.digest({ name: 'sha-1' }, new Uint8Array([97])).then((d) => { result.sha1 = Buffer.from(d).toString('hex'); });
        subtle.digest('MD5', new Uint8Array(1)).catch((e) => { result.md5 = [e.name, e.message]; });
        // Node.js would encrypt; server scripts are told they cannot.
        subtle.encrypt({ name: 'AES-GCM' }, null, new Uint8Array(1)).catch((e) => { result.encrypt = e.message; });
        order.push('caller');
        const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
        exports.ssExports = {
          onHealthCheck: () => same(order, ['caller', 'randomBytes', 'randomInt', 'randomFill']) &&
            same(result.bytes, [null, 8, true]) && same(result.int, [undefined, true]) &&
            same(result.fill, [null, 0, 0]) &&
            same(result.digest, [true, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad']) &&
            result.sha1 === '86f7e437faa5a7fce15d1ddcb9eaeaea377667b8' &&
            same(result.md5, ['NotSupportedError', 'Unrecognized algorithm name']) &&
            result.encrypt.startsWith('crypto.subtle.encrypt() is not available in server scripts'),
        };
        "#,
    );
}

#[test]
fn the_global_crypto_is_webcrypto_made_on_first_use() {
    checks_with_helpers(
        r#"
        const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
        check([typeof descriptor.get, descriptor.enumerable, descriptor.configurable], ['function', true, true]);
        check(globalThis.crypto === require('crypto').webcrypto, true);
        check(Object.getOwnPropertyNames(Object.getPrototypeOf(crypto)),
          ['constructor', 'subtle', 'getRandomValues', 'randomUUID']);
        check(crypto.getRandomValues(new Uint16Array(3)).length, 3);
        "#,
    );
}

/// Node.js has these; server scripts get an Error that says they don't, not "undefined is
/// not a function".
#[test]
fn crypto_that_server_scripts_lack_throws_saying_so() {
    checks_with_helpers(
        r#"
        const crypto = require('crypto');
        for (const name of ['createCipheriv', 'createDecipheriv', 'createSign', 'sign', 'verify',
          'generateKeyPairSync', 'pbkdf2', 'pbkdf2Sync', 'scrypt', 'scryptSync', 'createECDH',
          'publicEncrypt', 'KeyObject']) {
          check(thrown(() => crypto[name]('aes-128-cbc', Buffer.alloc(16), Buffer.alloc(16))),
            ['Error', 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', 'crypto.' + name + '() is not available ' +
             'in server scripts: their crypto has randomness, hashes and HMACs only'], name);
        }
        check([crypto.getCiphers(), crypto.getCurves(), crypto.getFips()], [[], [], 0]);
        "#,
    );
}

/// The host's own limit: a hash's state lives natively until its digest or its object goes.
#[test]
fn open_hashes_are_capped_and_freed_with_their_objects() {
    checks_with_helpers(
        r#"
        const crypto = require('crypto');
        const open = [];
        for (let i = 0; i < 1024; i++) open.push(crypto.createHash('sha256'));
        check(thrown(() => crypto.createHmac('md5', 'k'))[2],
          'too many hashes open at once (at most 1024): call digest() on those you are done with');
        open.pop().digest();
        open.pop();
        // One digested, one dropped: room for two.
        crypto.createHash('sha1');
        crypto.createHash('sha1').copy();
        check(open[0].update('a').digest('hex').length, 64);
        "#,
    );
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

#[test]
fn cut_and_malformed_utf8_decodes_as_node() {
    checks_with_helpers(
        r#"
        const text = (bytes) => Buffer.from(bytes).toString();
        check(text([0xe2, 0x82]), '\ufffd', 'a sequence cut short is one U+FFFD');
        check(text([0xe2, 0x82, 0x41]), '\ufffdA');
        check(text([0xe0, 0x80, 0x80]), '\ufffd\ufffd\ufffd', 'overlong');
        check(text([0xed, 0xa0, 0x80]), '\ufffd\ufffd\ufffd', 'a surrogate');
        check(text([0xf4, 0x90, 0x80, 0x80]), '\ufffd\ufffd\ufffd\ufffd', 'past U+10FFFF');
        check(text([0xf0, 0x9f, 0x98, 0x80, 0xc3]), '😀\ufffd');
        check(text([0xc0, 0xaf, 0xff, 0x80, 0xc3, 0xa9]), '\ufffd\ufffd\ufffd\ufffdé');
        check(new TextDecoder().decode(new Uint8Array([0xe2, 0x82, 0xac, 0xe2, 0x82])), '€\ufffd');
        const { isAscii, isUtf8 } = require('buffer');
        check([isAscii(Buffer.from('abc')), isAscii(Buffer.from('é')), isUtf8(Buffer.from('héllo 😀')),
          isUtf8(Buffer.from([0xe2, 0x82])), isUtf8(Buffer.from([0xed, 0xa0, 0x80])), isUtf8(new ArrayBuffer(2))],
          [true, false, true, false, false, true]);
        check(thrown(() => isUtf8('x')), ['TypeError', 'ERR_INVALID_ARG_TYPE',
          'The "input" argument must be an instance of ArrayBuffer, Buffer, or TypedArray. Received type string (\'x\')']);
        check([Buffer.alloc(3, 1, 'utf8').toString('hex'), Buffer.from('ab').toLocaleString('hex')], ['010101', '6162']);
        check(thrown(() => Buffer.alloc(1).write(5)), ['TypeError', 'ERR_INVALID_ARG_TYPE', 'argument must be a string']);
        "#,
    );
}

#[test]
fn dirname_and_filename_are_absolute_from_the_scripts_root() {
    // Node's are absolute paths; here the script's root is `/`, so the usual
    // `require(path.join(__dirname, ...))` reaches the script's own files.
    let started = run(&[
        (
            "index.js",
            r#"
            const path = require('path');
            check([__filename, __dirname], ['/index.js', '/']);
            check(require(path.join(__dirname, 'levels', 'arena.json')).title, 'Arena');
            check(require('./lib/where'), ['/lib/where.js', '/lib', 'lib/where.js']);
            check(path.relative(__dirname, require.resolve('./lib/where')), 'lib/where.js');
            "#,
        ),
        ("levels/arena.json", r#"{"title": "Arena"}"#),
        (
            "lib/where.js",
            "module.exports = [__filename, __dirname, module.filename];",
        ),
    ]);
    if let Err(e) = started {
        panic!("{e}");
    }
}
