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
