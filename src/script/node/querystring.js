// Node.js `querystring`, written here (the npm ports are older API versions): parse,
// stringify, escape and unescape with Node's encoding rules.
'use strict';

// Node escapes all but A-Z a-z 0-9 - . _ ~ ! ' ( ) *, UTF-8 encoding the rest.
function escape(text) {
  if (typeof text !== 'string') {
    if (typeof text === 'object') text = String(text);
    else text += '';
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (/[A-Za-z0-9\-._~!'()*]/.test(ch)) {
      out += ch;
      continue;
    }
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) throw uriError();
      c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw uriError();
    }
    out += utf8Hex(c);
  }
  return out;
}

function uriError() {
  const err = new URIError('URI malformed');
  err.code = 'ERR_INVALID_URI';
  return err;
}

function utf8Hex(c) {
  const bytes = c < 0x80 ? [c]
    : c < 0x800 ? [0xc0 | (c >> 6), 0x80 | (c & 63)]
      : c < 0x10000 ? [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)]
        : [0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)];
  return bytes.map((b) => '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase()).join('');
}

// Decodes %XX sequences as UTF-8, leaving malformed ones as they are (Node's unescapeBuffer).
function unescape(text, decodeSpaces) {
  text = String(text);
  if (decodeSpaces) text = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(text);
  } catch (e) {
    const bytes = [];
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '%' && /^[0-9a-fA-F]{2}$/.test(text.substr(i + 1, 2))) {
        bytes.push(parseInt(text.substr(i + 1, 2), 16));
        i += 2;
      } else {
        for (const b of new TextEncoder().encode(text[i])) bytes.push(b);
      }
    }
    return Buffer.from(bytes).toString('utf8');
  }
}

function stringifyPrimitive(v) {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && isFinite(v)) return '' + v;
  if (typeof v === 'bigint') return '' + v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return '';
}

function stringify(obj, sep, eq, options) {
  sep = sep || '&';
  eq = eq || '=';
  const encode = options && typeof options.encodeURIComponent === 'function'
    ? options.encodeURIComponent : qs.escape;
  if (obj === null || typeof obj !== 'object') return '';
  const out = [];
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    const k = encode(stringifyPrimitive(key)) + eq;
    if (Array.isArray(value)) {
      for (const v of value) out.push(k + encode(stringifyPrimitive(v)));
    } else {
      out.push(k + encode(stringifyPrimitive(value)));
    }
  }
  return out.join(sep);
}

function parse(text, sep, eq, options) {
  const result = Object.create(null);
  if (typeof text !== 'string' || text.length === 0) return result;
  sep = sep || '&';
  eq = eq || '=';
  const maxKeys = options && typeof options.maxKeys === 'number' ? options.maxKeys : 1000;
  const decode = options && typeof options.decodeURIComponent === 'function'
    ? options.decodeURIComponent : qs.unescape;
  let pairs = text.split(sep);
  if (maxKeys > 0) pairs = pairs.slice(0, maxKeys);
  for (const pair of pairs) {
    if (pair.length === 0 && pairs.length > 1) continue;
    const i = pair.indexOf(eq);
    const rawKey = i >= 0 ? pair.slice(0, i) : pair;
    const rawValue = i >= 0 ? pair.slice(i + eq.length) : '';
    const key = decodeOne(rawKey, decode);
    const value = decodeOne(rawValue, decode);
    if (key in result) {
      const prev = result[key];
      if (Array.isArray(prev)) prev.push(value);
      else result[key] = [prev, value];
    } else {
      result[key] = value;
    }
  }
  return result;
}

function decodeOne(text, decode) {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decode(spaced);
  } catch (e) {
    return qs.unescape(spaced, true);
  }
}

const qs = {
  unescapeBuffer: (text, decodeSpaces) => Buffer.from(unescape(text, decodeSpaces)),
  unescape, escape, stringify, parse, encode: stringify, decode: parse,
};
module.exports = qs;
