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

  // As WHATWG's decoder (and Node.js): the second byte's range rules out overlong forms,
  // surrogates and code points past U+10FFFF; a sequence cut short is one U+FFFD.
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
        let lower = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
        let upper = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
        let k = 1;
        for (; k < n && i + k < bytes.length; k++) {
          const x = bytes[i + k];
          if (x < lower || x > upper) break;
          v = (v << 6) | (x & 63);
          lower = 0x80;
          upper = 0xbf;
        }
        if (k === n) c = v;
        n = k;
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

  // Node.js's name of an encoding, or undefined when Node.js has no such encoding.
  function normalizeEncoding(encoding) {
    if (encoding === undefined || encoding === null || encoding === '') return 'utf8';
    const name = String(encoding).toLowerCase();
    switch (name) {
      case 'utf8': case 'utf-8': return 'utf8';
      case 'ucs2': case 'ucs-2': case 'utf16le': case 'utf-16le': return 'utf16le';
      case 'latin1': case 'binary': return 'latin1';
      case 'hex': case 'base64': case 'base64url': case 'ascii': return name;
      default: return undefined;
    }
  }

  function encodingOf(encoding) {
    const name = normalizeEncoding(encoding);
    if (name === undefined) {
      throw nodeError(TypeError, 'ERR_UNKNOWN_ENCODING', 'Unknown encoding: ' + encoding);
    }
    return name;
  }

  function encodeString(text, encoding) {
    switch (encodingOf(encoding)) {
      case 'utf8': return utf8Encode(text);
      case 'hex': return hexDecode(text);
      case 'base64': case 'base64url': return base64Decode(text);
      case 'utf16le': return codeUnits(text, 2);
      default: return codeUnits(text, 1); // latin1 and ascii
    }
  }

  // Each UTF-16 code unit of `text` as its low byte (width 1) or as two bytes, little-endian.
  function codeUnits(text, width) {
    const out = new Array(text.length * width);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (width === 1) {
        out[i] = c & 0xff;
      } else {
        out[2 * i] = c & 0xff;
        out[2 * i + 1] = c >> 8;
      }
    }
    return out;
  }

  function decodeBytes(bytes, encoding) {
    switch (encodingOf(encoding)) {
      case 'utf8': return utf8Decode(bytes);
      case 'hex': return Array.from(bytes, (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');
      case 'base64': return base64Encode(bytes);
      case 'base64url':
        return base64Encode(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      case 'ascii': return latin1(Uint8Array.from(bytes, (b) => b & 0x7f));
      case 'utf16le': return utf16Decode(bytes);
      default: return latin1(bytes);
    }
  }

  function utf16Decode(bytes) {
    let out = '';
    const chunk = [];
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      chunk.push(bytes[i] | (bytes[i + 1] << 8));
      if (chunk.length >= 8192) {
        out += String.fromCharCode.apply(null, chunk);
        chunk.length = 0;
      }
    }
    return out + String.fromCharCode.apply(null, chunk);
  }

  // Bytes as a string of char codes 0-255: how payloads cross to the native side.
  function latin1(bytes) {
    let out = '';
    for (let i = 0; i < bytes.length; i += 8192) {
      out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    }
    return out;
  }

  // ---- Errors as Node.js's own: the class, a `code`, Node's wording ----

  function nodeError(Type, code, message) {
    const error = new Type(message);
    error.code = code;
    return error;
  }

  // A DOMException as Node.js throws it (QuickJS has none): an Error with its name and code.
  function domError(name, code, message) {
    const error = new Error(message);
    error.name = name;
    error.code = code;
    return error;
  }

  // A value as Node.js's messages show it: strings quoted, bigints with their `n`.
  function shown(value) {
    if (typeof value === 'string') {
      const quoted = "'" + value + "'";
      return quoted.length > 28 ? quoted.slice(0, 25) + '...' : quoted;
    }
    return typeof value === 'bigint' ? value + 'n' : String(value);
  }

  // Out-of-range integers past 2 ** 32 as Node.js shows them, with `_` between thousands.
  function separated(value) {
    const big = typeof value === 'bigint' ? value > 2n ** 32n || value < -(2n ** 32n)
      : Number.isInteger(value) && Math.abs(value) > 2 ** 32;
    return big ? shown(value).replace(/\B(?=(\d{3})+n?$)/g, '_') : shown(value);
  }

  function received(value) {
    if (value === null || value === undefined) return ' Received ' + value;
    if (typeof value === 'function') return ' Received function ' + (value.name || '<anonymous>');
    if (typeof value === 'object') {
      const name = value.constructor && value.constructor.name;
      return name ? ' Received an instance of ' + name : ' Received ' + Object.prototype.toString.call(value);
    }
    return ' Received type ' + typeof value + ' (' + shown(value) + ')';
  }

  // `subject` is how Node.js names the argument: 'The "size" argument', 'The first argument'.
  function argTypeError(subject, expected, value) {
    return nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', subject + ' must be ' + expected + '.' + received(value));
  }

  function rangeError(name, range, value) {
    return nodeError(RangeError, 'ERR_OUT_OF_RANGE', 'The value of "' + name +
      '" is out of range. It must be ' + range + '. Received ' + separated(value));
  }

  // An offset or length argument, as Node.js checks them (an integer from min to max).
  function checkInteger(value, name, min, max) {
    if (typeof value !== 'number') throw argTypeError('The "' + name + '" argument', 'of type number', value);
    if (!Number.isInteger(value)) throw rangeError(name, 'an integer', value);
    if (value < min || value > max) throw rangeError(name, '>= ' + min + ' && <= ' + max, value);
  }

  // ---- Buffer, as Node.js's ----

  // Node.js's largest Buffer; the memory cap stops a script well before it.
  const K_MAX_LENGTH = 2 ** 32;

  // Every Buffer is a FastBuffer; `Buffer` is a function callable with and without `new` (the
  // legacy forms) whose prototype is this class's, so `instanceof Buffer` holds for all.
  // Methods are added outside the class body, as QuickJS keeps a class's whole source text.
  class FastBuffer extends Uint8Array {}
  const proto = FastBuffer.prototype;
  const uint8Fill = Uint8Array.prototype.fill;

  Object.assign(proto, {
    toString(encoding, start, end) {
      if (arguments.length === 0) return utf8Decode(this);
      if (start <= 0) start = 0;
      else if (start >= this.length) return '';
      else start = Math.trunc(start) || 0;
      if (end === undefined || end > this.length) end = this.length;
      else end = Math.trunc(end) || 0;
      if (end <= start) return '';
      return decodeBytes(this.subarray(start, end), encoding);
    },

    toJSON() {
      return { type: 'Buffer', data: Array.from(this) };
    },

    equals(other) {
      if (!(other instanceof Uint8Array)) {
        throw argTypeError('The "otherBuffer" argument', 'an instance of Buffer or Uint8Array', other);
      }
      return compareBytes(this, other) === 0;
    },

    compare(target, targetStart, targetEnd, sourceStart, sourceEnd) {
      if (!(target instanceof Uint8Array)) {
        throw argTypeError('The "target" argument', 'an instance of Buffer or Uint8Array', target);
      }
      return compareBytes(
        this.subarray(sourceStart || 0, sourceEnd === undefined ? this.length : sourceEnd),
        target.subarray(targetStart || 0, targetEnd === undefined ? target.length : targetEnd));
    },

    copy(target, targetStart, sourceStart, sourceEnd) {
      if (!(target instanceof Uint8Array)) {
        throw argTypeError('The "target" argument', 'an instance of Buffer or Uint8Array', target);
      }
      const at = targetStart === undefined ? 0 : integerOr(targetStart, 0);
      if (at < 0) throw rangeError('targetStart', '>= 0', at);
      const from = sourceStart === undefined ? 0 : integerOr(sourceStart, 0);
      if (from < 0 || from > this.length) {
        throw rangeError('sourceStart', '>= 0 && <= ' + this.length, from);
      }
      let to = sourceEnd === undefined ? this.length : integerOr(sourceEnd, 0);
      if (to < 0) throw rangeError('sourceEnd', '>= 0', to);
      if (at >= target.length || from >= to) return 0;
      to = Math.min(to, this.length, from + target.length - at);
      target.set(this.subarray(from, to), at);
      return to - from;
    },

    fill(value, offset, end, encoding) {
      if (typeof value === 'string') {
        if (typeof offset === 'string') { encoding = offset; offset = undefined; end = undefined; }
        else if (typeof end === 'string') { encoding = end; end = undefined; }
      }
      if (offset === undefined) offset = 0;
      else checkInteger(offset, 'offset', 0, K_MAX_LENGTH);
      if (end === undefined) end = this.length;
      else checkInteger(end, 'end', 0, this.length);
      if (offset >= end) return this;
      let bytes;
      if (typeof value === 'string') {
        bytes = encodeString(value, encoding);
        if (bytes.length === 0 && value.length === 0) value = 0;
      } else if (ArrayBuffer.isView(value)) {
        bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      } else if (typeof value === 'boolean') {
        value = Number(value);
      }
      if (typeof value === 'number') return uint8Fill.call(this, value & 255, offset, end);
      if (bytes === undefined) return uint8Fill.call(this, 0, offset, end);
      if (bytes.length === 0) {
        throw nodeError(TypeError, 'ERR_INVALID_ARG_VALUE',
          "The argument 'value' is invalid. Received " + shown(value));
      }
      for (let i = offset; i < end; i++) this[i] = bytes[(i - offset) % bytes.length];
      return this;
    },

    write(text, offset, length, encoding) {
      if (typeof text !== 'string') throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'argument must be a string');
      if (offset === undefined) {
        offset = 0;
        length = this.length;
      } else if (length === undefined && typeof offset === 'string') {
        encoding = offset;
        offset = 0;
        length = this.length;
      } else {
        checkInteger(offset, 'offset', 0, this.length);
        const remaining = this.length - offset;
        if (length === undefined) {
          length = remaining;
        } else if (typeof length === 'string') {
          encoding = length;
          length = remaining;
        } else {
          checkInteger(length, 'length', 0, this.length);
          length = Math.min(length, remaining);
        }
      }
      const name = encodingOf(encoding);
      const bytes = encodeString(text, name);
      let n = Math.min(bytes.length, length);
      // Node.js writes whole characters only.
      if (name === 'utf8' && n < bytes.length) while (n > 0 && (bytes[n] & 0xc0) === 0x80) n--;
      if (name === 'utf16le') n -= n % 2;
      for (let i = 0; i < n; i++) this[offset + i] = bytes[i];
      return n;
    },

    // Node's Buffer#slice shares memory, as subarray does.
    slice(start, end) {
      return this.subarray(start, end);
    },

    indexOf(value, byteOffset, encoding) {
      return search(this, value, byteOffset, encoding, true);
    },

    lastIndexOf(value, byteOffset, encoding) {
      return search(this, value, byteOffset, encoding, false);
    },

    includes(value, byteOffset, encoding) {
      return search(this, value, byteOffset, encoding, true) !== -1;
    },
  });

  function compareBytes(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  }

  // A whole number as Node.js reads copy()'s positions; `fallback` for NaN and the unsafe.
  function integerOr(value, fallback) {
    const n = +value;
    return Number.isSafeInteger(Math.floor(n)) ? Math.floor(n) : fallback;
  }

  // indexOf (`forward`) and lastIndexOf, with Node.js's rules for the offset.
  function search(buffer, value, byteOffset, encoding, forward) {
    if (typeof byteOffset === 'string') {
      encoding = byteOffset;
      byteOffset = undefined;
    }
    let offset = Math.trunc(Math.min(Math.max(+byteOffset, -0x80000000), 0x7fffffff));
    if (Number.isNaN(offset)) offset = forward ? 0 : buffer.length;
    let needle;
    if (typeof value === 'number') needle = [(value >>> 0) & 0xff];
    else if (typeof value === 'string') needle = encodeString(value, encoding);
    else if (value instanceof Uint8Array) needle = value;
    else {
      throw argTypeError('The "value" argument',
        'one of type number or string or an instance of Buffer or Uint8Array', value);
    }
    const length = buffer.length;
    if (offset < 0) {
      if (offset + length >= 0) offset += length;
      else if (forward || needle.length === 0) offset = 0;
      else return -1;
    } else if (offset + needle.length > length) {
      if (needle.length === 0) offset = length;
      else if (forward) return -1;
      else offset = length - 1;
    }
    if (needle.length === 0) return offset;
    // UTF-16 text is searched for at whole code units.
    const step = typeof value === 'string' && normalizeEncoding(encoding) === 'utf16le' ? 2 : 1;
    const last = length - needle.length;
    if (forward) {
      for (let i = offset + ((step - (offset % step)) % step); i <= last; i += step) {
        if (matchesAt(buffer, needle, i)) return i;
      }
    } else {
      for (let i = Math.min(offset, last); i >= 0; i--) {
        if (i % step === 0 && matchesAt(buffer, needle, i)) return i;
      }
    }
    return -1;
  }

  function matchesAt(buffer, needle, at) {
    for (let k = 0; k < needle.length; k++) if (buffer[at + k] !== needle[k]) return false;
    return true;
  }

  function dataView(buffer) {
    return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  // Node.js's checks on reading or writing `size` bytes at `offset`.
  function checkOffset(buffer, offset, size) {
    if (typeof offset !== 'number') throw argTypeError('The "offset" argument', 'of type number', offset);
    if (!Number.isInteger(offset)) throw rangeError('offset', 'an integer', offset);
    const last = buffer.length - size;
    if (last < 0) {
      throw nodeError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', 'Attempt to access memory outside buffer bounds');
    }
    if (offset < 0 || offset > last) throw rangeError('offset', '>= 0 and <= ' + last, offset);
  }

  // Node.js's check of a value written in `size` bytes, with its wording of the range.
  function checkValue(value, min, max, size) {
    if (!(value > max || value < min)) return;
    const n = typeof min === 'bigint' ? 'n' : '';
    const bits = size * 8;
    let range = '>= ' + min + n + ' and <= ' + max + n;
    if (size > 4 && (min === 0 || min === 0n)) range = '>= 0' + n + ' and < 2' + n + ' ** ' + bits + n;
    else if (size > 4) range = '>= -(2' + n + ' ** ' + (bits - 1) + n + ') and < 2' + n + ' ** ' + (bits - 1) + n;
    throw rangeError('value', range, value);
  }

  function checkByteLength(byteLength) {
    if (typeof byteLength !== 'number') {
      throw argTypeError('The "byteLength" argument', 'of type number', byteLength);
    }
    if (!Number.isInteger(byteLength)) throw rangeError('byteLength', 'an integer', byteLength);
    if (byteLength < 1 || byteLength > 6) throw rangeError('byteLength', '>= 1 and <= 6', byteLength);
  }

  // Fixed-width readers and writers. Each method's closure keeps one number, its `code`:
  // its type's index in FIXED_TYPES, its byte count and whether it is little-endian. (Each
  // captured variable costs every game session memory.)
  const FIXED_TYPES = ['UInt', 'Int', 'Float', 'Double', 'BigInt', 'BigUInt'];

  function fixedAccess(code) {
    const type = FIXED_TYPES[code >> 5];
    const size = (code >> 1) & 15;
    const little = (code & 1) === 1;
    const bits = size * 8;
    const big = type.startsWith('Big');
    let min;
    let max;
    if (type === 'UInt') { min = 0; max = 2 ** bits - 1; }
    else if (type === 'Int') { min = -(2 ** (bits - 1)); max = 2 ** (bits - 1) - 1; }
    else if (type === 'BigUInt') { min = 0n; max = 2n ** 64n - 1n; }
    else if (type === 'BigInt') { min = -(2n ** 63n); max = 2n ** 63n - 1n; }
    const view = type === 'UInt' ? 'Uint' + bits : type === 'Int' ? 'Int' + bits
      : type === 'Float' ? 'Float32' : type === 'Double' ? 'Float64' : type === 'BigInt' ? 'BigInt64' : 'BigUint64';
    return { size, little, big, min, max, view };
  }

  function readFixed(buffer, offset, code) {
    const access = fixedAccess(code);
    checkOffset(buffer, offset, access.size);
    return dataView(buffer)['get' + access.view](offset, access.little);
  }

  function writeFixed(buffer, value, offset, code) {
    const access = fixedAccess(code);
    if (!access.big) value = +value;
    if (access.min !== undefined) checkValue(value, access.min, access.max, access.size);
    checkOffset(buffer, offset, access.size);
    dataView(buffer)['set' + access.view](offset, value, access.little);
    return offset + access.size;
  }

  for (let type = 0; type < FIXED_TYPES.length; type++) {
    const sizes = type === 2 ? [4] : type === 3 ? [8] : type > 3 ? [8] : [1, 2, 4];
    for (const size of sizes) {
      for (const little of size === 1 ? [false] : [true, false]) {
        const code = (type << 5) | (size << 1) | (little ? 1 : 0);
        const name = FIXED_TYPES[type] + (type === 0 || type === 1 ? size * 8 : type > 3 ? 64 : '') +
          (size === 1 ? '' : little ? 'LE' : 'BE');
        proto['read' + name] = function (offset = 0) { return readFixed(this, offset, code); };
        proto['write' + name] = function (value, offset = 0) { return writeFixed(this, value, offset, code); };
      }
    }
  }

  // Readers and writers of 1 to 6 bytes.
  function readVariable(buffer, offset, byteLength, little, signed) {
    if (offset === undefined) throw argTypeError('The "offset" argument', 'of type number', offset);
    checkByteLength(byteLength);
    checkOffset(buffer, offset, byteLength);
    let value = 0;
    for (let i = 0; i < byteLength; i++) value = value * 256 + buffer[offset + (little ? byteLength - 1 - i : i)];
    return signed && value >= 2 ** (8 * byteLength - 1) ? value - 2 ** (8 * byteLength) : value;
  }

  function writeVariable(buffer, value, offset, byteLength, little, signed) {
    checkByteLength(byteLength);
    value = +value;
    const bits = 8 * byteLength;
    checkValue(value, signed ? -(2 ** (bits - 1)) : 0, signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1, byteLength);
    checkOffset(buffer, offset, byteLength);
    let v = Math.trunc(value) || 0;
    if (v < 0) v += 2 ** bits;
    for (let i = 0; i < byteLength; i++) {
      buffer[offset + (little ? i : byteLength - 1 - i)] = v % 256;
      v = Math.floor(v / 256);
    }
    return offset + byteLength;
  }

  for (const code of [0, 1, 2, 3]) {
    const name = (code & 2 ? 'Int' : 'UInt') + (code & 1 ? 'LE' : 'BE');
    proto['read' + name] = function (offset, byteLength) {
      return readVariable(this, offset, byteLength, (code & 1) === 1, (code & 2) === 2);
    };
    proto['write' + name] = function (value, offset, byteLength) {
      return writeVariable(this, value, offset, byteLength, (code & 1) === 1, (code & 2) === 2);
    };
  }

  proto.toLocaleString = proto.toString;

  // Node.js spells unsigned both UInt and Uint.
  for (const key of Object.keys(proto)) {
    if (key.includes('UInt')) proto[key.replace('UInt', 'Uint')] = proto[key];
  }

  for (const bits of [16, 32, 64]) {
    proto['swap' + bits] = function () {
      const size = bits / 8;
      if (this.length % size !== 0) {
        throw nodeError(RangeError, 'ERR_INVALID_BUFFER_SIZE', 'Buffer size must be a multiple of ' + bits + '-bits');
      }
      for (let i = 0; i < this.length; i += size) {
        for (let a = i, b = i + size - 1; a < b; a++, b--) {
          const t = this[a];
          this[a] = this[b];
          this[b] = t;
        }
      }
      return this;
    };
  }

  let bufferDeprecationWarned = false;

  // The legacy forms: Buffer(string[, encoding]), Buffer(array), Buffer(arrayBuffer[,
  // byteOffset[, length]]), Buffer(buffer), Buffer(size), with or without `new`.
  function Buffer(arg, encodingOrOffset, length) {
    if (!bufferDeprecationWarned) {
      bufferDeprecationWarned = true;
      native.log('warn', '[DEP0005] DeprecationWarning: Buffer() is deprecated due to security ' +
        'and usability issues. Please use the Buffer.alloc(), Buffer.allocUnsafe(), or ' +
        'Buffer.from() methods instead.');
    }
    if (typeof arg === 'number') {
      if (typeof encodingOrOffset === 'string') throw argTypeError('The "string" argument', 'of type string', arg);
      return bufferAlloc(arg);
    }
    return bufferFrom(arg, encodingOrOffset, length);
  }
  Buffer.prototype = proto;
  proto.constructor = Buffer;
  Object.setPrototypeOf(Buffer, Uint8Array);
  // What subarray, map and filter make: Buffers, without calling the legacy constructor.
  Object.defineProperty(Buffer, Symbol.species, { get: () => FastBuffer, configurable: true });

  function fromArrayLike(values) {
    const buffer = new FastBuffer(values.length > 0 ? values.length : 0);
    if (values instanceof Uint8Array) buffer.set(values);
    else for (let i = 0; i < buffer.length; i++) buffer[i] = values[i];
    return buffer;
  }

  function checkSize(size) {
    if (typeof size !== 'number') throw argTypeError('The "size" argument', 'of type number', size);
    if (!(size >= 0 && size <= K_MAX_LENGTH)) throw rangeError('size', '>= 0 && <= ' + K_MAX_LENGTH, size);
  }

  // The statics are plain functions, as Node.js's are, so `new Buffer.from(x)` works too.
  const bufferFrom = function from(value, encodingOrOffset, length) {
    if (typeof value === 'string') return fromArrayLike(encodeString(value, encodingOrOffset));
    if (typeof value === 'object' && value !== null) {
      if (value instanceof ArrayBuffer ||
          (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)) {
        let offset = encodingOrOffset === undefined ? 0 : +encodingOrOffset;
        if (Number.isNaN(offset)) offset = 0;
        const most = value.byteLength - offset;
        if (most < 0) throw nodeError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', '"offset" is outside of buffer bounds');
        if (length === undefined) length = most;
        else if (+length > 0) {
          length = +length;
          if (length > most) throw nodeError(RangeError, 'ERR_BUFFER_OUT_OF_BOUNDS', '"length" is outside of buffer bounds');
        } else length = 0;
        return new FastBuffer(value, offset, length);
      }
      const primitive = value.valueOf && value.valueOf();
      if (primitive !== null && primitive !== undefined && primitive !== value &&
          (typeof primitive === 'string' || typeof primitive === 'object')) {
        return bufferFrom(primitive, encodingOrOffset, length);
      }
      if (value.length !== undefined || value.buffer instanceof ArrayBuffer) {
        return typeof value.length === 'number' ? fromArrayLike(value) : new FastBuffer(0);
      }
      if (value.type === 'Buffer' && Array.isArray(value.data)) return fromArrayLike(value.data);
      if (typeof value[Symbol.toPrimitive] === 'function') {
        const text = value[Symbol.toPrimitive]('string');
        if (typeof text === 'string') return fromArrayLike(encodeString(text, encodingOrOffset));
      }
    }
    throw argTypeError('The first argument', 'of type string or an instance of Buffer, ' +
      'ArrayBuffer, or Array or an Array-like Object', value);
  };

  const bufferAlloc = function alloc(size, fill, encoding) {
    checkSize(size);
    const buffer = new FastBuffer(size);
    if (fill !== undefined && fill !== 0 && buffer.length > 0) buffer.fill(fill, 0, buffer.length, encoding);
    return buffer;
  };

  const allocUnsafe = function allocUnsafe(size) {
    checkSize(size);
    return new FastBuffer(size);
  };

  Object.assign(Buffer, {
    poolSize: 8192,
    from: bufferFrom,
    of: (...items) => fromArrayLike(items),
    alloc: bufferAlloc,
    allocUnsafe,
    allocUnsafeSlow: allocUnsafe,
    isBuffer: function isBuffer(value) {
      return value instanceof Buffer;
    },
    compare: function compare(buf1, buf2) {
      if (!(buf1 instanceof Uint8Array)) throw argTypeError('The "buf1" argument', 'an instance of Buffer or Uint8Array', buf1);
      if (!(buf2 instanceof Uint8Array)) throw argTypeError('The "buf2" argument', 'an instance of Buffer or Uint8Array', buf2);
      return compareBytes(buf1, buf2);
    },
    isEncoding: function isEncoding(encoding) {
      return typeof encoding === 'string' && encoding.length !== 0 && normalizeEncoding(encoding) !== undefined;
    },
    concat: function concat(list, totalLength) {
      if (!Array.isArray(list)) throw argTypeError('The "list" argument', 'an instance of Array', list);
      list.forEach((b, i) => {
        if (!(b instanceof Uint8Array)) {
          throw argTypeError('The "list[' + i + ']" argument', 'an instance of Buffer or Uint8Array', b);
        }
      });
      const total = totalLength === undefined ? list.reduce((n, b) => n + b.length, 0) : totalLength;
      if (totalLength !== undefined) checkInteger(total, 'length', 0, K_MAX_LENGTH);
      const out = bufferAlloc(total);
      let offset = 0;
      for (const b of list) {
        if (offset >= total) break;
        const part = b.length > total - offset ? b.subarray(0, total - offset) : b;
        out.set(part, offset);
        offset += part.length;
      }
      return out;
    },
    byteLength: function byteLength(string, encoding) {
      if (typeof string !== 'string') {
        if (ArrayBuffer.isView(string) || string instanceof ArrayBuffer) return string.byteLength;
        throw argTypeError('The "string" argument',
          'of type string or an instance of Buffer or ArrayBuffer', string);
      }
      return encodeString(string, encoding).length;
    },
  });

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
  const BUILTINS = { timers: { setTimeout, setInterval, setImmediate,
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

  // ---- what built-in modules share; the global `crypto` of Node.js 20, made on first use ----

  Object.assign(internal, {
    Buffer, latin1, nodeError, domError, argTypeError, rangeError, checkInteger,
    kMaxLength: K_MAX_LENGTH,
    crypto: native.crypto,
  });
  Object.defineProperty(globalThis, 'crypto', {
    get() { return requireBuiltin('crypto').webcrypto; }, enumerable: true, configurable: true,
  });

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
