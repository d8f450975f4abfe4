// The JavaScript half of the script host: the Node.js-style globals a GameLift Realtime script
// uses (console, timers, Buffer, TextEncoder/TextDecoder, process, require) and the session
// object of the contract (scripts.md §3), built on the native functions of engine.rs.
// Evaluated once per game session; returns the entry points the engine calls.
(function (native) {
  'use strict';

  // ---- UTF-8, hex, base64 ----

  function utf8Encode(text) {
    const out = [];
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // A lone surrogate.
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return out;
  }

  function utf8Decode(bytes) {
    let out = '';
    const chunk = [];
    for (let i = 0; i < bytes.length;) {
      const b = bytes[i];
      let c = 0xfffd;
      let n = 1;
      if (b < 0x80) c = b;
      else if (b >= 0xc2 && b < 0xe0) n = 2;
      else if (b >= 0xe0 && b < 0xf0) n = 3;
      else if (b >= 0xf0 && b < 0xf5) n = 4;
      if (n > 1) {
        let v = b & (0xff >> (n + 1));
        let ok = i + n <= bytes.length;
        for (let k = 1; ok && k < n; k++) {
          const x = bytes[i + k];
          if ((x & 0xc0) !== 0x80) ok = false;
          else v = (v << 6) | (x & 63);
        }
        const min = n === 2 ? 0x80 : n === 3 ? 0x800 : 0x10000;
        if (ok && v >= min && v <= 0x10ffff && !(v >= 0xd800 && v <= 0xdfff)) c = v;
        else n = 1;
      }
      i += n;
      if (c >= 0x10000) {
        c -= 0x10000;
        chunk.push(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
      } else {
        chunk.push(c);
      }
      if (chunk.length >= 8192) {
        out += String.fromCharCode.apply(null, chunk);
        chunk.length = 0;
      }
    }
    return out + String.fromCharCode.apply(null, chunk);
  }

  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

  function base64Encode(bytes) {
    let out = '';
    for (let i = 0; i < bytes.length; i += 3) {
      const n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
      out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] +
        (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') +
        (i + 2 < bytes.length ? B64[n & 63] : '=');
    }
    return out;
  }

  function base64Decode(text) {
    const clean = text.replace(/[^A-Za-z0-9+/\-_]/g, '');
    const out = [];
    let bits = 0;
    let value = 0;
    for (const ch of clean) {
      const v = ch === '-' ? 62 : ch === '_' ? 63 : B64.indexOf(ch);
      value = (value << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.push((value >> bits) & 0xff);
      }
    }
    return out;
  }

  function hexDecode(text) {
    const out = [];
    for (let i = 0; i + 1 < text.length; i += 2) {
      const v = parseInt(text.substr(i, 2), 16);
      if (Number.isNaN(v)) break;
      out.push(v);
    }
    return out;
  }

  function encodeString(text, encoding) {
    switch ((encoding || 'utf8').toLowerCase()) {
      case 'utf8': case 'utf-8': return utf8Encode(text);
      case 'hex': return hexDecode(text);
      case 'base64': case 'base64url': return base64Decode(text);
      case 'ascii': case 'latin1': case 'binary':
        return Array.from(text, (ch) => ch.charCodeAt(0) & 0xff);
      default: throw new TypeError('Unknown encoding: ' + encoding);
    }
  }

  function decodeBytes(bytes, encoding) {
    switch ((encoding || 'utf8').toLowerCase()) {
      case 'utf8': case 'utf-8': return utf8Decode(bytes);
      case 'hex': return Array.from(bytes, (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');
      case 'base64': return base64Encode(bytes);
      case 'base64url':
        return base64Encode(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      case 'ascii': case 'latin1': case 'binary': return latin1(bytes);
      default: throw new TypeError('Unknown encoding: ' + encoding);
    }
  }

  // Bytes as a string of char codes 0-255: how payloads cross to the native side.
  function latin1(bytes) {
    let out = '';
    for (let i = 0; i < bytes.length; i += 8192) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    }
    return out;
  }

  // ---- Buffer: the subset scripts use for payloads ----

  class Buffer extends Uint8Array {
    static from(value, encodingOrOffset, length) {
      if (typeof value === 'string') return Buffer.fromArray(encodeString(value, encodingOrOffset));
      if (value instanceof ArrayBuffer) {
        const offset = encodingOrOffset || 0;
        return new Buffer(value, offset, length === undefined ? value.byteLength - offset : length);
      }
      if (ArrayBuffer.isView(value)) {
        const copy = new Buffer(value.byteLength);
        copy.set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        return copy;
      }
      if (Array.isArray(value)) return Buffer.fromArray(value);
      if (value && value.type === 'Buffer' && Array.isArray(value.data)) {
        return Buffer.fromArray(value.data);
      }
      throw new TypeError('Buffer.from: expected a string, an array, an ArrayBuffer or a view');
    }

    static fromArray(values) {
      const buffer = new Buffer(values.length);
      for (let i = 0; i < values.length; i++) buffer[i] = values[i] & 0xff;
      return buffer;
    }

    static alloc(size, fill, encoding) {
      const buffer = new Buffer(size);
      if (fill !== undefined) buffer.fill(fill, 0, size, encoding);
      return buffer;
    }

    static allocUnsafe(size) {
      return new Buffer(size);
    }

    static byteLength(value, encoding) {
      return typeof value === 'string' ? encodeString(value, encoding).length : value.byteLength;
    }

    static isBuffer(value) {
      return value instanceof Buffer;
    }

    static isEncoding(encoding) {
      return ['utf8', 'utf-8', 'hex', 'base64', 'base64url', 'ascii', 'latin1', 'binary']
        .includes(String(encoding).toLowerCase());
    }

    static concat(list, totalLength) {
      const total = totalLength === undefined
        ? list.reduce((n, b) => n + b.length, 0) : totalLength;
      const out = Buffer.alloc(total);
      let offset = 0;
      for (const b of list) {
        if (offset >= total) break;
        const part = b.length > total - offset ? b.subarray(0, total - offset) : b;
        out.set(part, offset);
        offset += part.length;
      }
      return out;
    }

    static compare(a, b) {
      return a.compare(b);
    }

    toString(encoding, start, end) {
      const s = start || 0;
      const e = end === undefined ? this.length : end;
      return decodeBytes(this.subarray(s, e), encoding);
    }

    toJSON() {
      return { type: 'Buffer', data: Array.from(this) };
    }

    equals(other) {
      return this.compare(other) === 0;
    }

    copy(target, targetStart, sourceStart, sourceEnd) {
      const t = targetStart || 0;
      const s = sourceStart || 0;
      const e = Math.min(sourceEnd === undefined ? this.length : sourceEnd, this.length, s + target.length - t);
      if (e <= s) return 0;
      target.set(this.subarray(s, e), t);
      return e - s;
    }

    compare(other) {
      const n = Math.min(this.length, other.length);
      for (let i = 0; i < n; i++) {
        if (this[i] !== other[i]) return this[i] < other[i] ? -1 : 1;
      }
      return this.length === other.length ? 0 : this.length < other.length ? -1 : 1;
    }

    fill(value, start, end, encoding) {
      if (typeof value === 'string') {
        const bytes = encodeString(value, encoding);
        const s = start || 0;
        const e = end === undefined ? this.length : end;
        for (let i = s; i < e && bytes.length; i++) this[i] = bytes[(i - s) % bytes.length];
        return this;
      }
      return super.fill(value & 0xff, start, end);
    }

    write(text, offset, length, encoding) {
      if (typeof offset === 'string') { encoding = offset; offset = 0; length = undefined; }
      if (typeof length === 'string') { encoding = length; length = undefined; }
      const o = offset || 0;
      const bytes = encodeString(text, encoding);
      const n = Math.min(bytes.length, this.length - o, length === undefined ? Infinity : length);
      for (let i = 0; i < n; i++) this[o + i] = bytes[i];
      return n;
    }

    slice(start, end) {
      return this.subarray(start, end); // Node's Buffer#slice shares memory.
    }

    indexOf(value, from, encoding) {
      if (typeof value === 'number') return super.indexOf(value & 0xff, from);
      const needle = typeof value === 'string' ? encodeString(value, encoding) : value;
      outer: for (let i = from || 0; i + needle.length <= this.length; i++) {
        for (let k = 0; k < needle.length; k++) if (this[i + k] !== needle[k]) continue outer;
        return i;
      }
      return -1;
    }

    includes(value, from, encoding) {
      return this.indexOf(value, from, encoding) !== -1;
    }

    view() {
      return new DataView(this.buffer, this.byteOffset, this.byteLength);
    }
  }

  // Fixed-width readers and writers, as in Node.js.
  for (const [name, size, get, set, little] of [
    ['UInt8', 1, 'getUint8', 'setUint8'], ['Int8', 1, 'getInt8', 'setInt8'],
    ['UInt16LE', 2, 'getUint16', 'setUint16', true], ['UInt16BE', 2, 'getUint16', 'setUint16', false],
    ['Int16LE', 2, 'getInt16', 'setInt16', true], ['Int16BE', 2, 'getInt16', 'setInt16', false],
    ['UInt32LE', 4, 'getUint32', 'setUint32', true], ['UInt32BE', 4, 'getUint32', 'setUint32', false],
    ['Int32LE', 4, 'getInt32', 'setInt32', true], ['Int32BE', 4, 'getInt32', 'setInt32', false],
    ['FloatLE', 4, 'getFloat32', 'setFloat32', true], ['FloatBE', 4, 'getFloat32', 'setFloat32', false],
    ['DoubleLE', 8, 'getFloat64', 'setFloat64', true], ['DoubleBE', 8, 'getFloat64', 'setFloat64', false],
  ]) {
    Buffer.prototype['read' + name] = function (offset) {
      return this.view()[get](offset || 0, little);
    };
    Buffer.prototype['write' + name] = function (value, offset) {
      this.view()[set](offset || 0, value, little);
      return (offset || 0) + size;
    };
    if (name.startsWith('UInt')) {
      Buffer.prototype['readUint' + name.slice(4)] = Buffer.prototype['read' + name];
      Buffer.prototype['writeUint' + name.slice(4)] = Buffer.prototype['write' + name];
    }
  }

  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(text) { return new Uint8Array(utf8Encode(String(text === undefined ? '' : text))); }
  }

  class TextDecoder {
    constructor(label) {
      if (label !== undefined && !/^utf-?8$/i.test(label)) {
        throw new RangeError('TextDecoder: only utf-8 is supported, not ' + label);
      }
    }
    get encoding() { return 'utf-8'; }
    decode(input) {
      if (input === undefined) return '';
      const bytes = input instanceof ArrayBuffer ? new Uint8Array(input)
        : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      return utf8Decode(bytes);
    }
  }

  // ---- console and the session logger ----

  // Arguments as Node's console prints them (util.format). Plain strings skip util, which is
  // compiled only when a line needs it.
  function formatArgs(args) {
    let plain = true;
    for (let i = 0; plain && i < args.length; i++) plain = typeof args[i] === 'string';
    if (plain && args.length > 1 && args[0].includes('%')) plain = false;
    return plain ? args.join(' ') : builtin('util').format(...args);
  }

  // console.group's indentation, kept with the rest of console in node/internal/console.js.
  const consoleState = { indent: '' };
  function write(level, text) {
    const indent = consoleState.indent;
    native.log(level, indent === '' ? text : indent + text.split('\n').join('\n' + indent));
  }

  function logAt(level) {
    return function (...args) { write(level, formatArgs(args)); };
  }

  const console = {
    log: logAt('info'), info: logAt('info'), warn: logAt('warn'), error: logAt('error'),
    debug: logAt('debug'),
  };
  // The less used methods are compiled on first use.
  for (const name of ['trace', 'assert', 'dir', 'dirxml', 'table', 'time', 'timeEnd', 'timeLog',
    'count', 'countReset', 'group', 'groupCollapsed', 'groupEnd']) {
    console[name] = (...args) => builtin('internal/console')[name](...args);
  }
  const logger = {
    info: logAt('info'), warn: logAt('warn'), error: logAt('error'), debug: logAt('debug'),
  };

  // ---- timers: deadlines live natively; callbacks here ----

  const timers = new Map();

  class Timeout {
    constructor(id) { this.id = id; }
    ref() { return this; }
    unref() { return this; }
    hasRef() { return true; }
    refresh() { return this; }
    [Symbol.toPrimitive]() { return this.id; }
  }

  function startTimer(callback, delay, args, repeat) {
    if (typeof callback !== 'function') {
      throw new TypeError('The "callback" argument must be a function');
    }
    const id = native.setTimer(Number(delay) || 0, repeat);
    timers.set(id, { callback, args, repeat });
    return new Timeout(id);
  }

  function stopTimer(timer) {
    const id = timer instanceof Timeout ? timer.id : Number(timer);
    if (timers.delete(id)) native.clearTimer(id);
  }

  const setTimeout = (callback, delay, ...args) => startTimer(callback, Math.max(1, Number(delay) || 1), args, false);
  const setInterval = (callback, delay, ...args) => startTimer(callback, Math.max(1, Number(delay) || 1), args, true);
  const setImmediate = (callback, ...args) => startTimer(callback, 0, args, false);
  const queueMicrotask = (callback) => { Promise.resolve().then(callback); };

  // ---- process ----

  class ProcessExit extends Error {}

  const process = {
    env: {},
    argv: ['node', 'index.js'],
    cwd() { return '/'; },
    platform: 'linux',
    version: 'v24.0.0',
    versions: { node: '24.0.0' },
    exitCode: undefined,
    exit(code) {
      native.exit(code === undefined ? (process.exitCode || 0) : Number(code) || 0);
      throw new ProcessExit('process.exit(' + (code === undefined ? '' : code) + ')');
    },
    nextTick(callback, ...args) { Promise.resolve().then(() => callback(...args)); },
    uptime() { return native.uptimeMs() / 1000; },
    hrtime: Object.assign(function hrtime(previous) {
      const ns = native.uptimeMs() * 1e6;
      let s = Math.floor(ns / 1e9);
      let n = Math.floor(ns % 1e9);
      if (previous) { s -= previous[0]; n -= previous[1]; if (n < 0) { s--; n += 1e9; } }
      return [s, n];
    }, { bigint() { return BigInt(Math.floor(native.uptimeMs() * 1e6)); } }),
    on() { return process; },
    once() { return process; },
    // Figures of the script's QuickJS runtime: what it has allocated (rss, heapTotal), what
    // is in use (heapUsed), and its ArrayBuffers' bytes (external, arrayBuffers).
    memoryUsage: Object.assign(function memoryUsage() {
      const m = native.memoryUsage();
      return { rss: m[0], heapTotal: m[1], heapUsed: m[2], external: m[3], arrayBuffers: m[4] };
    }, { rss() { return native.memoryUsage()[0]; } }),
  };

  // ---- require: the script's own files and Node.js built-ins without I/O ----

  // Node.js built-ins that do I/O, and the AWS SDK: a script has no I/O.
  const IO_MODULES = new Set([
    'fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'dgram', 'dns', 'tls', 'child_process',
    'cluster', 'worker_threads', 'os', 'vm', 'inspector', 'readline', 'repl', 'module', 'v8',
    'stream', 'zlib', 'perf_hooks', 'aws-sdk',
  ]);
  // Built-ins the prelude defines itself; the rest come from engine.rs, compiled on first use.
  const BUILTINS = { buffer: { Buffer }, timers: { setTimeout, setInterval, setImmediate,
    clearTimeout: stopTimer, clearInterval: stopTimer, clearImmediate: stopTimer }, process };
  // What built-in modules may use of the prelude; scripts cannot reach it.
  const internal = {
    promiseState: native.promiseState, uptimeMs: native.uptimeMs, write, formatArgs, consoleState,
  };
  const builtins = new Map();
  // The script's loaded modules by path, as Node's `require.cache`: deleting an entry makes
  // the next `require` load the file again.
  const cache = Object.create(null);
  let mainModule;

  // Built-in module `name` (without `node:`), or undefined when Node.js has none without I/O.
  function builtin(name) {
    if (Object.prototype.hasOwnProperty.call(BUILTINS, name)) return BUILTINS[name];
    const cached = builtins.get(name);
    if (cached) return cached.exports;
    const body = native.builtin(name);
    if (body === undefined) return undefined;
    const module = { id: name, filename: 'node:' + name, exports: {}, loaded: false };
    builtins.set(name, module);
    body.call(module.exports, module.exports, requireBuiltin, module, module.filename, '', internal);
    module.loaded = true;
    return module.exports;
  }

  function requireBuiltin(name) {
    const exports = builtin(name.startsWith('node:') ? name.slice(5) : name);
    if (exports === undefined) throw new Error("Cannot find module '" + name + "'");
    return exports;
  }

  function dirname(path) {
    const i = path.lastIndexOf('/');
    return i < 0 ? '' : path.slice(0, i);
  }

  function noIo(name) {
    return new Error("Cannot use module '" + name + "': server scripts have no I/O, so " +
      "Node.js modules that do I/O and the AWS SDK are not available");
  }

  // The built-ins scripts may require: those under `internal/` serve the others.
  function publicBuiltin(name) {
    return name.startsWith('internal/') ? undefined : builtin(name);
  }

  // What `require(name)` from directory `dir` loads: `{ exports }` of a built-in, or `{ path }`
  // of a file (resolve.rs). Built-ins come first, and a `node:` name is only ever one.
  function locate(dir, name) {
    if (typeof name !== 'string') {
      throw new TypeError('The "id" argument must be of type string. Received ' + typeof name);
    }
    if (name === '') throw new TypeError("The argument 'id' must be a non-empty string. Received ''");
    if (name.startsWith('node:')) {
      const exports = publicBuiltin(name.slice(5));
      if (exports !== undefined) return { exports };
      if (IO_MODULES.has(name.slice(5))) throw noIo(name);
      const error = new Error('No such built-in module: ' + name);
      error.code = 'ERR_UNKNOWN_BUILTIN_MODULE';
      throw error;
    }
    const relative = name === '.' || name === '..' || name.startsWith('./') ||
      name.startsWith('../') || name.startsWith('/');
    if (!relative) {
      const exports = publicBuiltin(name);
      if (exports !== undefined) return { exports };
      if (IO_MODULES.has(name)) throw noIo(name);
    }
    const path = native.resolve(dir, name);
    if (path !== undefined) return { path };
    if (name.startsWith('aws-sdk') || name.startsWith('@aws-sdk/')) throw noIo(name);
    const error = new Error("Cannot find module '" + name + "' from '" + (dir || '.') + "'");
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }

  // The `node_modules` folders a module in `dir` looks in, nearest first (`module.paths`).
  function lookupPaths(dir) {
    const parts = dir === '' ? [] : dir.split('/');
    const paths = [];
    for (let end = parts.length; end >= 0; end--) {
      if (end > 0 && parts[end - 1] === 'node_modules') continue;
      paths.push(parts.slice(0, end).concat('node_modules').join('/'));
    }
    return paths;
  }

  function makeRequire(module) {
    function require(name) {
      const found = locate(module.path, name);
      return found.path === undefined ? found.exports : load(found.path, module);
    }
    require.resolve = function resolve(name) {
      const found = locate(module.path, name);
      return found.path === undefined ? name : found.path;
    };
    require.cache = cache;
    require.main = mainModule;
    return require;
  }

  // Loads the module at `path` once; a module required again while it loads (a cycle) gives
  // what it has exported so far, as in Node.js.
  function load(path, parent) {
    const cached = cache[path];
    if (cached !== undefined) {
      if (parent && !parent.children.includes(cached)) parent.children.push(cached);
      return cached.exports;
    }
    const dir = dirname(path);
    const module = {
      id: path, path: dir, exports: {}, filename: path, loaded: false, children: [],
      paths: lookupPaths(dir), parent: parent || null,
    };
    if (mainModule === undefined) {
      mainModule = module;
      module.id = '.';
    }
    module.require = makeRequire(module);
    if (parent) parent.children.push(module);
    cache[path] = module;
    let loaded = false;
    try {
      if (path.endsWith('.json')) {
        try {
          module.exports = JSON.parse(native.source(path));
        } catch (e) {
          e.message = path + ': ' + e.message;
          throw e;
        }
      } else if (path.startsWith('../')) {
        // A file of the Realtime server beside the script's folder: Volley's stand-in.
        native.builtin(path).call(module.exports, module.exports, requireBuiltin, module, path,
          dir, internal);
      } else {
        // __filename and __dirname are absolute from the script's root, as Node's are from
        // the file system's, so that `require(path.join(__dirname, 'x'))` finds `x` there.
        native.compile(path).call(module.exports, module.exports, module.require, module,
          '/' + path, '/' + dir);
      }
      loaded = true;
    } finally {
      // As in Node.js, a module that threw is forgotten: the next require runs it again.
      if (!loaded) {
        if (cache[path] === module) delete cache[path];
        if (parent) parent.children.splice(parent.children.indexOf(module) >>> 0, 1);
      }
    }
    module.loaded = true;
    return module.exports;
  }

  // ---- the contract's objects (scripts.md §3, §4) ----

  const toBuffer = (payload) => (payload === undefined || payload === null ? Buffer.alloc(0)
    : payload instanceof Uint8Array ? payload
    : typeof payload === 'string' ? Buffer.from(payload)
    : Buffer.from(payload));

  class GameMessage {
    constructor(opCode, sender, payload, reliable, targetPlayer, targetGroup) {
      this.opCode = opCode;
      this.sender = sender;
      this.payload = payload;
      this.reliable = reliable;
      this.targetPlayer = targetPlayer;
      this.targetGroup = targetGroup;
    }
    get opcode() { return this.opCode; }
    set opcode(value) { this.opCode = value; }
    getPayloadAsText() { return utf8Decode(toBuffer(this.payload)); }
  }

  class Player {
    constructor(peerId, playerSessionId) {
      this.peerId = peerId;
      this.playerSessionId = playerSessionId;
    }
  }

  const players = new Map();
  const endings = [];
  let gameSessionId = '';

  function send(message, target, isGroup, reliable) {
    if (message === null || typeof message !== 'object') {
      throw new TypeError('expected a gameMessage from newTextGameMessage or newBinaryGameMessage');
    }
    const opCode = message.opCode !== undefined ? message.opCode : message.opcode;
    const payload = message.payload;
    const text = typeof payload === 'string';
    const flags = (text ? 1 : 0) | (isGroup ? 2 : 0) | (reliable ? 4 : 0);
    native.send(Number(opCode) | 0, Number(message.sender) | 0,
      text ? payload : latin1(toBuffer(payload)), Number(target) | 0, flags);
  }

  const session = {
    getPlayers: () => players,
    getServerId: () => -1,
    getAllPlayersGroupId: () => -1,
    getGameSessionId: () => gameSessionId,
    getLogger: () => logger,
    newTextGameMessage: (opCode, sender, text) =>
      new GameMessage(opCode, sender, Buffer.from(String(text === undefined ? '' : text)), true, 0, 0),
    newBinaryGameMessage: (opCode, sender, bytes) =>
      new GameMessage(opCode, sender, toBuffer(bytes), true, 0, 0),
    sendMessage: (message, peerId) => send(message, peerId, false, false),
    sendGroupMessage: (message, groupId) => send(message, groupId, true, false),
    sendReliableMessage: (message, peerId) => send(message, peerId, false, true),
    sendReliableGroupMessage: (message, groupId) => send(message, groupId, true, true),
    broadcastGroupMembershipUpdate: (groupIdToBroadcast, targetGroupId) =>
      native.broadcast(Number(groupIdToBroadcast) | 0,
        targetGroupId === undefined ? -1 : Number(targetGroupId) | 0),
    processEnding: () => {
      native.end();
      return new Promise((resolve) => endings.push(resolve));
    },
  };

  Object.assign(globalThis, {
    global: globalThis, console, Buffer, TextEncoder, TextDecoder, process,
    setTimeout, setInterval, setImmediate, queueMicrotask,
    clearTimeout: stopTimer, clearInterval: stopTimer, clearImmediate: stopTimer,
  });

  // Globals whose code is a built-in module: compiled on first use, when the accessor
  // replaces itself by a plain property (as a script's own assignment does).
  for (const [name, module, key] of [['URL', 'url', 'URL'],
    ['URLSearchParams', 'url', 'URLSearchParams'],
    ['structuredClone', 'internal/structured_clone', 'structuredClone']]) {
    const define = (value) => Object.defineProperty(globalThis, name,
      { value, writable: true, configurable: true, enumerable: false });
    Object.defineProperty(globalThis, name, {
      configurable: true,
      enumerable: false,
      get() { const value = builtin(module)[key]; define(value); return value; },
      set: define,
    });
  }

  // ---- entry points for the engine ----

  let ss = {};
  const message = (opCode, sender, targetPlayer, targetGroup, payload, reliable) =>
    new GameMessage(opCode, sender, Buffer.from(payload), reliable, targetPlayer, targetGroup);

  return {
    // Loads the entry file; answers which callbacks exist and the configuration.
    load(entry, id) {
      gameSessionId = id;
      const exports = load(entry);
      ss = (exports && exports.ssExports) || {};
      const hooks = Object.keys(ss).filter((k) => typeof ss[k] === 'function');
      const config = ss.configuration || {};
      return {
        hooks,
        maxPlayers: Number(config.maxPlayers) || 0,
        pingIntervalTime: Number(config.pingIntervalTime) || 0,
      };
    },
    init: () => { if (typeof ss.init === 'function') ss.init(session); },
    onProcessStarted: (args) => ss.onProcessStarted(args) !== false,
    onStartGameSession: (json) => { ss.onStartGameSession(JSON.parse(json)); },
    onHealthCheck: () => ss.onHealthCheck() !== false,
    onPlayerConnect: (peerId, playerSessionId, payload) => ss.onPlayerConnect({
      player: new Player(peerId, playerSessionId),
      peerId, playerSessionId, payload: Buffer.from(payload),
      getPayloadAsText() { return utf8Decode(this.payload); },
    }) !== false,
    playerAccepted: (peerId, playerSessionId) => {
      const player = new Player(peerId, playerSessionId);
      players.set(peerId, player);
      if (typeof ss.onPlayerAccepted === 'function') ss.onPlayerAccepted(player);
    },
    playerDisconnected: (peerId) => {
      try {
        if (typeof ss.onPlayerDisconnect === 'function') ss.onPlayerDisconnect(peerId);
      } finally {
        players.delete(peerId);
      }
    },
    onPlayerJoinGroup: (groupId, peerId) => ss.onPlayerJoinGroup(groupId, peerId) !== false,
    onPlayerLeaveGroup: (groupId, peerId) => ss.onPlayerLeaveGroup(groupId, peerId) !== false,
    onSendToPlayer: (...m) => ss.onSendToPlayer(message(...m)) !== false,
    onSendToGroup: (...m) => ss.onSendToGroup(message(...m)) !== false,
    onMessage: (...m) => { ss.onMessage(message(...m)); },
    onProcessTerminate: () => { ss.onProcessTerminate(); },
    fireTimer: (id) => {
      const timer = timers.get(id);
      if (timer === undefined) return;
      if (!timer.repeat) timers.delete(id);
      timer.callback(...timer.args);
    },
    ended: () => { for (const resolve of endings.splice(0)) resolve(true); },
  };
})
