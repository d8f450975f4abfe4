// Node.js `url`, written here: the WHATWG URL parser for the schemes scripts meet (special
// schemes and opaque ones, relative resolution, percent-encoding), URLSearchParams, and the
// legacy parse/format/resolve. npm's whatwg-url carries the IDNA tables for international
// host names; those are refused here with a clear error instead.
'use strict';

const SPECIAL = { 'ftp:': 21, 'file:': null, 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };
const isSpecial = (scheme) => Object.prototype.hasOwnProperty.call(SPECIAL, scheme);

function invalid(input, why) {
  const err = new TypeError(why ? `Invalid URL: ${why}` : 'Invalid URL');
  err.code = 'ERR_INVALID_URL';
  err.input = input;
  return err;
}

// Percent-encode sets of the URL standard, as predicates on a code point below 0x80.
const C0 = (c) => c < 0x20 || c === 0x7f;
const FRAGMENT = (c) => C0(c) || ' "<>`'.includes(String.fromCharCode(c));
const QUERY = (c) => C0(c) || ' "#<>'.includes(String.fromCharCode(c));
const SPECIAL_QUERY = (c) => QUERY(c) || c === 0x27;
const PATH = (c) => QUERY(c) || '?`{}^'.includes(String.fromCharCode(c));
const USERINFO = (c) => PATH(c) || '/:;=@[\\]|'.includes(String.fromCharCode(c));

function encodeSet(text, set) {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0);
    if (c >= 0x80) {
      out += encodeURIComponent(ch >= '\ud800' && ch <= '\udfff' ? '\ufffd' : ch);
    } else if (set(c)) {
      out += '%' + c.toString(16).toUpperCase().padStart(2, '0');
    } else {
      out += ch;
    }
  }
  return out;
}

function percentDecode(text) {
  return text.replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
    try { return decodeURIComponent(run); } catch (e) { return run; }
  });
}

// ---- hosts ----

function parseIPv4Number(part) {
  if (part === '') return NaN;
  let radix = 10;
  if (/^0[xX]/.test(part)) { part = part.slice(2); radix = 16; }
  else if (part.length > 1 && part[0] === '0') { part = part.slice(1); radix = 8; }
  if (part === '') return 0;
  const digits = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  return digits.test(part) ? parseInt(part, radix) : NaN;
}

// An IPv4 address in any of the forms the standard accepts, or undefined when `host` is a name.
function parseIPv4(host, input) {
  const parts = host.split('.');
  if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  const last = parts[parts.length - 1];
  if (!(/^[0-9]+$/.test(last) || /^0[xX][0-9a-fA-F]*$/.test(last))) return undefined;
  if (parts.length > 4) throw invalid(input);
  const numbers = parts.map(parseIPv4Number);
  if (numbers.some(Number.isNaN)) throw invalid(input);
  const lastNumber = numbers.pop();
  if (numbers.some((n) => n > 255) || lastNumber >= 256 ** (4 - numbers.length)) throw invalid(input);
  let value = lastNumber;
  numbers.forEach((n, i) => { value += n * 256 ** (3 - i); });
  const out = [];
  for (let i = 0; i < 4; i++) { out.unshift(value % 256); value = Math.floor(value / 256); }
  return out.join('.');
}

function parseIPv6(text, input) {
  const halves = text.split('::');
  if (halves.length > 2) throw invalid(input);
  const groups = (s) => (s === '' ? [] : s.split(':'));
  let head = groups(halves[0]);
  let tail = halves.length === 2 ? groups(halves[1]) : [];
  const expand = (list) => {
    const out = [];
    list.forEach((g, i) => {
      if (g.includes('.') && i === list.length - 1) {
        const v4 = g.split('.').map(Number);
        if (v4.length !== 4 || v4.some((n, k) => !/^(0|[1-9][0-9]{0,2})$/.test(g.split('.')[k]) || n > 255)) {
          throw invalid(input);
        }
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        out.push(parseInt(g, 16));
      } else {
        throw invalid(input);
      }
    });
    return out;
  };
  head = expand(head);
  tail = expand(tail);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) throw invalid(input);
  const pieces = head.concat(new Array(missing).fill(0), tail);
  // Compress the longest run of two or more zero pieces.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && pieces[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j === i ? i + 1 : j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) { out += i === 0 ? '::' : ':'; i += bestLen - 1; continue; }
    out += pieces[i].toString(16) + (i < 7 ? ':' : '');
  }
  return `[${out}]`;
}

function parseHost(text, special, input) {
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw invalid(input);
    return parseIPv6(text.slice(1, -1), input);
  }
  if (!special) {
    if (/[\0\t\n\r #/:<>?@[\\\]^|]/.test(text)) throw invalid(input);
    return encodeSet(text, C0);
  }
  const host = percentDecode(text).toLowerCase();
  if (host === '') throw invalid(input);
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(host)) {
    throw invalid(input, 'international (IDNA) host names are not supported; use the xn-- form');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20#%/:<>?@[\\\]^|\x7f]/.test(host)) throw invalid(input);
  const v4 = parseIPv4(host, input);
  return v4 === undefined ? host : v4;
}

// ---- the parser ----

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
const SINGLE_DOT = /^(\.|%2e)$/i;
const DOUBLE_DOT = /^(\.|%2e)(\.|%2e)$/i;

// Applies `segments` (a relative path split on '/') to `path`, a list of segments.
function mergePath(path, segments, special) {
  const out = path.slice();
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (DOUBLE_DOT.test(seg)) {
      if (out.length > 0) out.pop();
      if (last) out.push('');
    } else if (SINGLE_DOT.test(seg)) {
      if (last) out.push('');
    } else {
      out.push(encodeSet(seg, PATH));
    }
  });
  return out;
}

function parseURL(raw, base) {
  // eslint-disable-next-line no-control-regex
  let input = String(raw).replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '').replace(/[\t\n\r]/g, '');
  const record = {
    scheme: '', username: '', password: '', host: null, port: null, path: [], opaque: null,
    query: null, fragment: null,
  };
  const hash = input.indexOf('#');
  if (hash >= 0) {
    record.fragment = encodeSet(input.slice(hash + 1), FRAGMENT);
    input = input.slice(0, hash);
  }
  const m = SCHEME.exec(input);
  let rest;
  if (m) {
    record.scheme = m[1].toLowerCase() + ':';
    rest = input.slice(m[0].length);
    // "http:foo" against an http base is relative (the standard's legacy rule).
    if (base && base.scheme === record.scheme && isSpecial(record.scheme) && !/^[/\\]/.test(rest)) {
      return relative(record, rest, base, raw);
    }
  } else {
    if (!base) throw invalid(raw);
    if (base.opaque !== null) {
      if (input !== '' || record.fragment === null) throw invalid(raw);
      return Object.assign({}, base, { fragment: record.fragment });
    }
    record.scheme = base.scheme;
    return relative(record, input, base, raw);
  }
  const special = isSpecial(record.scheme);
  if (special) rest = rest.replace(/\\/g, '/');
  splitQuery(record, rest, special, (body) => {
    if (special || body.startsWith('//')) {
      const after = special ? body.replace(/^\/*/, '') : body.slice(2);
      if (record.scheme === 'file:') return fileAuthority(record, body, raw);
      authority(record, after, special, raw);
    } else if (body.startsWith('/')) {
      record.path = mergePath([], body.slice(1).split('/'), false);
    } else {
      record.opaque = encodeSet(body, C0);
    }
  });
  return record;
}

function splitQuery(record, text, special, body) {
  const q = text.indexOf('?');
  if (q >= 0) {
    record.query = encodeSet(text.slice(q + 1), special ? SPECIAL_QUERY : QUERY);
    text = text.slice(0, q);
  }
  body(text);
}

function authority(record, text, special, raw) {
  const end = text.search(/[/?#]/);
  const auth = end < 0 ? text : text.slice(0, end);
  const path = end < 0 ? '' : text.slice(end);
  const at = auth.lastIndexOf('@');
  let hostPort = auth;
  if (at >= 0) {
    const info = auth.slice(0, at);
    hostPort = auth.slice(at + 1);
    const colon = info.indexOf(':');
    record.username = encodeSet(colon >= 0 ? info.slice(0, colon) : info, USERINFO);
    if (colon >= 0) record.password = encodeSet(info.slice(colon + 1), USERINFO);
  }
  const portMatch = /:([^\]:]*)$/.exec(hostPort);
  let hostText = hostPort;
  if (portMatch) {
    hostText = hostPort.slice(0, portMatch.index);
    const port = portMatch[1];
    if (port !== '') {
      if (!/^[0-9]+$/.test(port) || Number(port) > 65535) throw invalid(raw);
      record.port = Number(port) === SPECIAL[record.scheme] ? null : Number(port);
    }
  }
  if (special && hostText === '') throw invalid(raw);
  if (!special && hostText === '' && (at >= 0 || record.port !== null)) throw invalid(raw);
  record.host = parseHost(hostText, special, raw);
  if (special || path !== '') {
    record.path = mergePath([], path.replace(/^\//, '').split('/'), special);
    if (special && path === '') record.path = [''];
  }
}

function fileAuthority(record, body, raw) {
  if (body.startsWith('//')) {
    const text = body.slice(2);
    const end = text.indexOf('/');
    const host = end < 0 ? text : text.slice(0, end);
    record.host = host === '' || host.toLowerCase() === 'localhost' ? '' : parseHost(host, true, raw);
    record.path = mergePath([], (end < 0 ? '' : text.slice(end + 1)).split('/'), true);
  } else {
    record.host = '';
    record.path = mergePath([], body.replace(/^\/+/, '').split('/'), true);
  }
}

function relative(record, input, base, raw) {
  const special = isSpecial(record.scheme);
  if (special) input = input.replace(/\\/g, '/');
  if (input.startsWith('//')) {
    splitQuery(record, input, special, (body) => {
      if (record.scheme === 'file:') fileAuthority(record, body, raw);
      else authority(record, body.slice(2), special, raw);
    });
    return record;
  }
  Object.assign(record, {
    username: base.username, password: base.password, host: base.host, port: base.port,
  });
  splitQuery(record, input, special, (body) => {
    if (body.startsWith('/')) {
      record.path = mergePath([], body.slice(1).split('/'), special);
    } else if (body === '') {
      record.path = base.path.slice();
      if (record.query === null && input === '') record.query = base.query;
    } else {
      record.path = mergePath(base.path.slice(0, -1), body.split('/'), special);
    }
  });
  return record;
}

function serializePath(record) {
  if (record.opaque !== null) return record.opaque;
  if (record.host === null && record.path.length > 1 && record.path[0] === '') {
    return '/.' + record.path.map((s) => '/' + s).join('');
  }
  return record.path.map((s) => '/' + s).join('');
}

function serialize(record, noFragment) {
  let out = record.scheme;
  if (record.host !== null) {
    out += '//';
    if (record.username !== '' || record.password !== '') {
      out += record.username + (record.password !== '' ? ':' + record.password : '') + '@';
    }
    out += record.host + (record.port !== null ? ':' + record.port : '');
  }
  out += serializePath(record);
  if (record.query !== null) out += '?' + record.query;
  if (!noFragment && record.fragment !== null) out += '#' + record.fragment;
  return out;
}

// ---- URL ----

const records = new WeakMap();
const paramsOf = new WeakMap();

class URL {
  constructor(input, base) {
    let baseRecord;
    if (base !== undefined) {
      baseRecord = parseURL(String(base));
    }
    records.set(this, parseURL(String(input), baseRecord));
  }

  static canParse(input, base) {
    try {
      // eslint-disable-next-line no-new
      new URL(input, base);
      return true;
    } catch (e) {
      return false;
    }
  }

  get href() { return serialize(records.get(this)); }
  set href(value) {
    records.set(this, parseURL(String(value)));
    syncParams(this);
  }
  get origin() {
    const r = records.get(this);
    if (r.scheme === 'blob:') {
      try { return new URL(serializePath(r)).origin; } catch (e) { return 'null'; }
    }
    if (!isSpecial(r.scheme) || r.scheme === 'file:') return 'null';
    return r.scheme + '//' + r.host + (r.port !== null ? ':' + r.port : '');
  }
  get protocol() { return records.get(this).scheme; }
  set protocol(value) {
    const r = records.get(this);
    const m = /^([a-zA-Z][a-zA-Z0-9+.-]*)/.exec(String(value));
    if (!m) return;
    const scheme = m[1].toLowerCase() + ':';
    if (isSpecial(scheme) !== isSpecial(r.scheme)) return;
    if (scheme === 'file:' && (r.username || r.password || r.port !== null)) return;
    r.scheme = scheme;
    if (r.port === SPECIAL[scheme]) r.port = null;
  }
  get username() { return records.get(this).username; }
  set username(value) {
    const r = records.get(this);
    if (r.host === null || r.host === '' || r.scheme === 'file:') return;
    r.username = encodeSet(String(value), USERINFO);
  }
  get password() { return records.get(this).password; }
  set password(value) {
    const r = records.get(this);
    if (r.host === null || r.host === '' || r.scheme === 'file:') return;
    r.password = encodeSet(String(value), USERINFO);
  }
  get host() {
    const r = records.get(this);
    if (r.host === null) return '';
    return r.host + (r.port !== null ? ':' + r.port : '');
  }
  set host(value) { setHost(this, String(value), true); }
  get hostname() { const r = records.get(this); return r.host === null ? '' : r.host; }
  set hostname(value) { setHost(this, String(value), false); }
  get port() { const r = records.get(this); return r.port === null ? '' : String(r.port); }
  set port(value) {
    const r = records.get(this);
    if (r.host === null || r.host === '' || r.scheme === 'file:') return;
    const text = String(value);
    if (text === '') { r.port = null; return; }
    const m = /^[0-9]+/.exec(text);
    if (!m || Number(m[0]) > 65535) return;
    r.port = Number(m[0]) === SPECIAL[r.scheme] ? null : Number(m[0]);
  }
  get pathname() { return serializePath(records.get(this)); }
  set pathname(value) {
    const r = records.get(this);
    if (r.opaque !== null) return;
    const special = isSpecial(r.scheme);
    let text = String(value);
    if (special) text = text.replace(/\\/g, '/');
    r.path = mergePath([], text.replace(/^\//, '').split('/'), special);
  }
  get search() { const q = records.get(this).query; return q === null || q === '' ? '' : '?' + q; }
  set search(value) {
    const r = records.get(this);
    const text = String(value).replace(/^\?/, '');
    r.query = String(value) === '' ? null : encodeSet(text, isSpecial(r.scheme) ? SPECIAL_QUERY : QUERY);
    syncParams(this);
  }
  get hash() { const f = records.get(this).fragment; return f === null || f === '' ? '' : '#' + f; }
  set hash(value) {
    const r = records.get(this);
    const text = String(value);
    r.fragment = text === '' ? null : encodeSet(text.replace(/^#/, ''), FRAGMENT);
  }
  get searchParams() {
    let params = paramsOf.get(this);
    if (!params) {
      params = new URLSearchParams(this.search);
      params[URL_OF] = this;
      paramsOf.set(this, params);
    }
    return params;
  }
  toString() { return this.href; }
  toJSON() { return this.href; }

  [Symbol.for('nodejs.util.inspect.custom')](depth, options, inspect) {
    const obj = {};
    for (const key of ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname',
      'port', 'pathname', 'search', 'searchParams', 'hash']) obj[key] = this[key];
    return `${this.constructor.name} ${inspect(obj, options)}`;
  }
}
Object.defineProperty(URL.prototype, Symbol.toStringTag, { value: 'URL', configurable: true });

function setHost(url, text, withPort) {
  const r = records.get(url);
  if (r.opaque !== null) return;
  const special = isSpecial(r.scheme);
  const end = text.search(special ? /[/?#\\]/ : /[/?#]/);
  if (end >= 0) text = text.slice(0, end);
  let port;
  const m = /:([^\]:]*)$/.exec(text);
  if (m) {
    if (!withPort) return;
    text = text.slice(0, m.index);
    port = m[1];
  }
  if (text === '' && special) return;
  try {
    r.host = r.scheme === 'file:' && text.toLowerCase() === 'localhost' ? '' : parseHost(text, special, text);
  } catch (e) {
    return;
  }
  if (port !== undefined && /^[0-9]+/.test(port)) url.port = port;
}

// Keeps a URL's searchParams in step after its query changed.
function syncParams(url) {
  const params = paramsOf.get(url);
  if (params) params[LIST] = parseParams(records.get(url).query || '');
}

// ---- URLSearchParams ----

const LIST = Symbol('list');
const URL_OF = Symbol('url');

function formEncode(text) {
  let out = '';
  for (const ch of toUSV(String(text))) {
    const c = ch.codePointAt(0);
    if (c === 0x20) out += '+';
    else if (/[A-Za-z0-9*\-._]/.test(ch)) out += ch;
    else if (c < 0x80) out += '%' + c.toString(16).toUpperCase().padStart(2, '0');
    else out += encodeURIComponent(ch);
  }
  return out;
}

function toUSV(text) {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function parseParams(text) {
  const list = [];
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = eq >= 0 ? pair.slice(0, eq) : pair;
    const value = eq >= 0 ? pair.slice(eq + 1) : '';
    list.push([formDecode(name), formDecode(value)]);
  }
  return list;
}

function formDecode(text) {
  return percentDecode(text.replace(/\+/g, ' '));
}

class URLSearchParams {
  constructor(init) {
    this[LIST] = [];
    this[URL_OF] = null;
    if (init === undefined || init === null) return;
    if (typeof init === 'object' || typeof init === 'function') {
      if (typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const entry = Array.from(pair);
          if (entry.length !== 2) {
            const err = new TypeError('Each query pair must be an iterable [name, value] tuple');
            err.code = 'ERR_INVALID_TUPLE';
            throw err;
          }
          this[LIST].push([toUSV(String(entry[0])), toUSV(String(entry[1]))]);
        }
      } else {
        for (const key of Object.keys(init)) this[LIST].push([toUSV(key), toUSV(String(init[key]))]);
      }
    } else {
      this[LIST] = parseParams(String(init).replace(/^\?/, ''));
    }
  }

  get size() { return this[LIST].length; }
  append(name, value) { this[LIST].push([toUSV(String(name)), toUSV(String(value))]); update(this); }
  delete(name, value) {
    name = String(name);
    this[LIST] = this[LIST].filter(([n, v]) => n !== name || (value !== undefined && v !== String(value)));
    update(this);
  }
  get(name) {
    const entry = this[LIST].find(([n]) => n === String(name));
    return entry ? entry[1] : null;
  }
  getAll(name) { return this[LIST].filter(([n]) => n === String(name)).map(([, v]) => v); }
  has(name, value) {
    return this[LIST].some(([n, v]) => n === String(name) && (value === undefined || v === String(value)));
  }
  set(name, value) {
    name = toUSV(String(name));
    value = toUSV(String(value));
    const i = this[LIST].findIndex(([n]) => n === name);
    if (i < 0) this[LIST].push([name, value]);
    else {
      this[LIST][i] = [name, value];
      this[LIST] = this[LIST].filter(([n], k) => k <= i || n !== name);
    }
    update(this);
  }
  sort() {
    // Stable, by UTF-16 code units, as the standard says.
    this[LIST] = this[LIST].map((e, i) => [e, i])
      .sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]))
      .map(([e]) => e);
    update(this);
  }
  forEach(callback, thisArg) {
    if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
    for (let i = 0; i < this[LIST].length; i++) {
      const [n, v] = this[LIST][i];
      callback.call(thisArg, v, n, this);
    }
  }
  *entries() { for (let i = 0; i < this[LIST].length; i++) yield this[LIST][i].slice(); }
  *keys() { for (const [n] of this.entries()) yield n; }
  *values() { for (const [, v] of this.entries()) yield v; }
  [Symbol.iterator]() { return this.entries(); }
  toString() { return this[LIST].map(([n, v]) => formEncode(n) + '=' + formEncode(v)).join('&'); }

  [Symbol.for('nodejs.util.inspect.custom')](depth, options, inspect) {
    const parts = this[LIST].map(([n, v]) => `${inspect(n)} => ${inspect(v)}`);
    return parts.length === 0 ? 'URLSearchParams {}' : `URLSearchParams { ${parts.join(', ')} }`;
  }
}
Object.defineProperty(URLSearchParams.prototype, Symbol.toStringTag, { value: 'URLSearchParams', configurable: true });

// Writes the params back into their URL's query.
function update(params) {
  const url = params[URL_OF];
  if (!url) return;
  const text = params.toString();
  records.get(url).query = text === '' ? null : text;
}

// ---- file URLs ----

function fileURLToPath(value) {
  const url = typeof value === 'string' ? new URL(value) : value;
  if (!(url instanceof URL)) {
    const err = new TypeError('The "path" argument must be of type string or an instance of URL');
    err.code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  }
  if (url.protocol !== 'file:') {
    const err = new TypeError('The URL must be of scheme file');
    err.code = 'ERR_INVALID_URL_SCHEME';
    throw err;
  }
  if (url.hostname !== '') {
    const err = new TypeError('File URL host must be "localhost" or empty on linux');
    err.code = 'ERR_INVALID_FILE_URL_HOST';
    throw err;
  }
  const path = url.pathname;
  if (/%2f/i.test(path)) {
    const err = new TypeError('File URL path must not include encoded / characters');
    err.code = 'ERR_INVALID_FILE_URL_PATH';
    throw err;
  }
  return decodeURIComponent(path);
}

function pathToFileURL(path) {
  let resolved = require('path').resolve(String(path));
  if (String(path).endsWith('/') && !resolved.endsWith('/')) resolved += '/';
  const url = new URL('file://');
  url.pathname = resolved.replace(/%/g, '%25').replace(/\\/g, '%5C').replace(/\n/g, '%0A')
    .replace(/\r/g, '%0D').replace(/\t/g, '%09');
  return url;
}

// ---- the legacy API ----

function Url() {
  this.protocol = null;
  this.slashes = null;
  this.auth = null;
  this.host = null;
  this.port = null;
  this.hostname = null;
  this.hash = null;
  this.search = null;
  this.query = null;
  this.pathname = null;
  this.path = null;
  this.href = null;
}

const SLASHED = new Set(['http:', 'https:', 'ftp:', 'gopher:', 'file:', 'ws:', 'wss:']);

function urlParse(text, parseQueryString, slashesDenoteHost) {
  if (text instanceof Url) return text;
  if (typeof text !== 'string') {
    const err = new TypeError('The "url" argument must be of type string');
    err.code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  }
  const url = new Url();
  let rest = text.trim();
  const hash = rest.indexOf('#');
  if (hash >= 0) { url.hash = rest.slice(hash); rest = rest.slice(0, hash); }
  const q = rest.indexOf('?');
  if (q >= 0) {
    url.search = rest.slice(q);
    url.query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  } else if (parseQueryString) {
    url.search = '';
    url.query = {};
  }
  if (parseQueryString && typeof url.query === 'string') url.query = require('querystring').parse(url.query);
  const m = /^([a-zA-Z0-9.+-]+:)/.exec(rest);
  if (m) {
    url.protocol = m[1].toLowerCase();
    rest = rest.slice(m[1].length);
  }
  if ((slashesDenoteHost || m || /^\/\/[^@/]+@[^@/]+/.test(rest)) && rest.startsWith('//') &&
      !(url.protocol === 'javascript:')) {
    url.slashes = true;
    rest = rest.slice(2);
    const end = rest.search(/[/\\]/);
    let auth = end < 0 ? rest : rest.slice(0, end);
    rest = end < 0 ? '' : rest.slice(end);
    const at = auth.lastIndexOf('@');
    if (at >= 0) {
      url.auth = decodeURIComponent(auth.slice(0, at));
      auth = auth.slice(at + 1);
    }
    const port = /:([0-9]*)$/.exec(auth);
    if (port) {
      if (port[1] !== '') url.port = port[1];
      auth = auth.slice(0, port.index);
    }
    url.hostname = auth.toLowerCase();
    url.host = url.hostname + (url.port !== null ? ':' + url.port : '');
    if (rest === '' && SLASHED.has(url.protocol)) rest = '/';
  }
  url.pathname = rest === '' ? null : rest;
  if (url.pathname === null && url.search === null) url.path = null;
  else url.path = (url.pathname || '') + (url.search || '');
  url.href = urlFormat(url);
  return url;
}

function urlFormat(obj, options) {
  if (typeof obj === 'string') obj = urlParse(obj);
  if (obj instanceof URL) {
    const o = Object.assign({ auth: true, fragment: true, search: true, unicode: false }, options);
    const r = records.get(obj);
    const copy = Object.assign({}, r, {
      username: o.auth ? r.username : '', password: o.auth ? r.password : '',
      query: o.search ? r.query : null,
    });
    return serialize(copy, !o.fragment);
  }
  if (obj === null || typeof obj !== 'object') {
    const err = new TypeError('The "urlObject" argument must be one of type object or string');
    err.code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  }
  let auth = obj.auth || '';
  if (auth) auth = encodeURIComponent(auth).replace(/%3A/i, ':') + '@';
  let protocol = obj.protocol || '';
  let pathname = obj.pathname || '';
  let hash = obj.hash || '';
  let host = '';
  let query = '';
  if (obj.host) host = auth + obj.host;
  else if (obj.hostname) {
    host = auth + (obj.hostname.includes(':') && !obj.hostname.startsWith('[') ? `[${obj.hostname}]` : obj.hostname);
    if (obj.port) host += ':' + obj.port;
  }
  if (obj.query !== null && typeof obj.query === 'object') query = require('querystring').stringify(obj.query);
  let search = obj.search || (query && '?' + query) || '';
  if (protocol && !protocol.endsWith(':')) protocol += ':';
  if (obj.slashes || ((!protocol || SLASHED.has(protocol)) && host !== '')) {
    host = '//' + host;
    if (pathname && pathname[0] !== '/') pathname = '/' + pathname;
  } else if (!host && protocol === 'file:') {
    host = '//';
  }
  if (hash && hash[0] !== '#') hash = '#' + hash;
  if (search && search[0] !== '?') search = '?' + search;
  pathname = pathname.replace(/[?#]/g, encodeURIComponent);
  search = search.replace(/#/g, '%23');
  return protocol + host + pathname + search + hash;
}

function urlResolve(from, to) {
  // Node's documented WHATWG equivalent: a placeholder scheme stands in for a relative `from`.
  const resolved = new URL(to, new URL(from, 'resolve://'));
  if (resolved.protocol === 'resolve:') {
    const { pathname, search, hash } = resolved;
    const path = String(from).startsWith('/') ? pathname : pathname.slice(1);
    return path + search + hash;
  }
  return resolved.toString();
}

module.exports = {
  URL, URLSearchParams, Url, parse: urlParse, format: urlFormat, resolve: urlResolve,
  fileURLToPath, pathToFileURL,
  domainToASCII: (domain) => {
    try { return parseHost(String(domain), true, domain); } catch (e) { return ''; }
  },
  domainToUnicode: (domain) => String(domain).toLowerCase(),
};
