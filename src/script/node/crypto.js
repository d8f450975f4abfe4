// Node.js `crypto` for server scripts: randomness, hashes (md5, sha1, sha256, sha384,
// sha512), HMACs, timingSafeEqual and webcrypto's getRandomValues, randomUUID and
// subtle.digest, on the natives of crypto.rs. Ciphers, signatures, keys and key derivation
// are not available: calling them throws an Error saying so.
'use strict';

const { Buffer, latin1, nodeError, domError, argTypeError, rangeError } = internal;
const native = internal.crypto;

// The most bytes one native call makes: a request of any size is filled piece by piece, so
// the native side never holds more than this outside the script's memory cap.
const RANDOM_PIECE = 65536;
// Node.js's bounds: randomBytes sizes, randomInt ranges (48 bits).
const MAX_RANDOM_SIZE = 2 ** 31 - 1;
const MAX_RANDOM_RANGE = 2 ** 48 - 1;

// Fills the bytes of `view` (a Uint8Array) with random ones.
function fill(view) {
  for (let at = 0; at < view.length; at += RANDOM_PIECE) {
    view.set(new Uint8Array(native.random(Math.min(RANDOM_PIECE, view.length - at))), at);
  }
  return view;
}

function bytesOf(view) {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

// Callbacks run after the current code, as Node.js's do.
function later(callback, ...args) {
  Promise.resolve().then(() => callback(...args));
}

function checkCallback(callback) {
  if (typeof callback !== 'function') throw argTypeError('The "callback" argument', 'of type function', callback);
}

function randomBytes(size, callback) {
  if (typeof size !== 'number') throw argTypeError('The "size" argument', 'of type number', size);
  if (!(size >= 0 && size <= MAX_RANDOM_SIZE)) {
    throw rangeError('size', '>= 0 && <= ' + MAX_RANDOM_SIZE, size);
  }
  if (callback !== undefined) checkCallback(callback);
  const buffer = fill(Buffer.alloc(size));
  if (callback === undefined) return buffer;
  later(callback, null, buffer);
  return undefined;
}

// The bytes randomFill and randomFillSync fill: `offset` and `size` count elements of `buf`.
function fillTarget(buf, offset, size) {
  if (!(buf instanceof ArrayBuffer) && !ArrayBuffer.isView(buf)) {
    throw argTypeError('The "buf" argument', 'an instance of ArrayBuffer or ArrayBufferView', buf);
  }
  const bytes = buf instanceof ArrayBuffer ? new Uint8Array(buf) : bytesOf(buf);
  const unit = buf.BYTES_PER_ELEMENT || 1;
  const start = offset === undefined ? 0 : offset * unit;
  if (typeof start !== 'number') throw argTypeError('The "offset" argument', 'of type number', offset);
  if (!(start >= 0 && start <= bytes.length)) throw rangeError('offset', '>= 0 && <= ' + bytes.length, start);
  const count = size === undefined ? bytes.length - start : size * unit;
  if (typeof count !== 'number') throw argTypeError('The "size" argument', 'of type number', size);
  if (!(count >= 0)) throw rangeError('size', '>= 0 && <= ' + MAX_RANDOM_SIZE, count);
  if (count + start > bytes.length) throw rangeError('size + offset', '<= ' + bytes.length, count + start);
  return bytes.subarray(start, start + count);
}

function randomFillSync(buf, offset, size) {
  fill(fillTarget(buf, offset, size));
  return buf;
}

function randomFill(buf, offset, size, callback) {
  if (typeof offset === 'function') [offset, callback] = [undefined, offset];
  else if (typeof size === 'function') [size, callback] = [undefined, size];
  checkCallback(callback);
  fill(fillTarget(buf, offset, size));
  later(callback, null, buf);
}

function randomInt(min, max, callback) {
  const minOmitted = max === undefined || typeof max === 'function';
  if (minOmitted) [min, max, callback] = [0, min, max];
  if (callback !== undefined) checkCallback(callback);
  if (!Number.isSafeInteger(min)) throw argTypeError('The "min" argument', 'a safe integer', min);
  if (!Number.isSafeInteger(max)) throw argTypeError('The "max" argument', 'a safe integer', max);
  if (max <= min) throw rangeError('max', 'greater than the value of "min" (' + min + ')', max);
  if (max - min > MAX_RANDOM_RANGE) {
    throw rangeError(minOmitted ? 'max' : 'max - min', '<= ' + MAX_RANDOM_RANGE, max - min);
  }
  const value = native.randomInt(min, max);
  if (callback === undefined) return value;
  later(callback, undefined, value);
  return undefined;
}

function randomUUID(options) {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw argTypeError('The "options" argument', 'of type object', options);
  }
  return native.uuid();
}

// ---- hashes and HMACs ----

const STATE = Symbol('state');

function finalized() {
  return nodeError(Error, 'ERR_CRYPTO_HASH_FINALIZED', 'Digest already called');
}

// Feeds `data` to a hash's native state: strings in `encoding` (UTF-8 ones as they are, the
// native side taking their UTF-8), binary data as latin1 strings.
function feedData(state, data, encoding) {
  if (state.finalized) throw finalized();
  if (typeof data === 'string') {
    const name = Buffer.isEncoding(encoding) ? encoding.toLowerCase() : 'utf8';
    if (name === 'utf8' || name === 'utf-8') state.feed(0, data.toWellFormed(), true);
    else state.feed(0, latin1(Buffer.from(data, name)), false);
  } else if (ArrayBuffer.isView(data)) {
    state.feed(0, latin1(bytesOf(data)), false);
  } else {
    throw argTypeError('The "data" argument',
      'of type string or an instance of Buffer, TypedArray, or DataView', data);
  }
}

// The digest as Node.js gives it: a Buffer, or a string in a known encoding.
function finish(state, encoding) {
  state.finalized = true;
  const buffer = Buffer.from(state.feed(1));
  return encoding === undefined || encoding === 'buffer' || !Buffer.isEncoding(encoding)
    ? buffer : buffer.toString(encoding);
}

function wrap(prototype, feed) {
  const hash = Object.create(prototype);
  Object.defineProperty(hash, STATE, { value: { feed, finalized: false } });
  return hash;
}

function Hash(algorithm, options) {
  if (!(this instanceof Hash)) return new Hash(algorithm, options);
  if (typeof algorithm !== 'string') throw argTypeError('The "algorithm" argument', 'of type string', algorithm);
  const feed = native.hash(algorithm);
  if (feed === undefined) throw new Error('Digest method not supported');
  return wrap(Hash.prototype, feed);
}

Hash.prototype.update = function update(data, inputEncoding) {
  feedData(this[STATE], data, inputEncoding);
  return this;
};

Hash.prototype.digest = function digest(outputEncoding) {
  if (this[STATE].finalized) throw finalized();
  return finish(this[STATE], outputEncoding);
};

Hash.prototype.copy = function copy(options) {
  if (this[STATE].finalized) throw finalized();
  return wrap(Hash.prototype, this[STATE].feed(2));
};

// A key as HMACs take it: a string's UTF-8, or the bytes of a buffer or view.
function keyOf(key) {
  if (typeof key === 'string') return [key.toWellFormed(), true];
  if (key instanceof ArrayBuffer) return [latin1(new Uint8Array(key)), false];
  if (ArrayBuffer.isView(key)) return [latin1(bytesOf(key)), false];
  throw argTypeError('The "key" argument', 'of type string or an instance of ArrayBuffer, ' +
    'Buffer, TypedArray, DataView, KeyObject, or CryptoKey', key);
}

function Hmac(hmac, key, options) {
  if (!(this instanceof Hmac)) return new Hmac(hmac, key, options);
  if (typeof hmac !== 'string') throw argTypeError('The "hmac" argument', 'of type string', hmac);
  const [bytes, text] = keyOf(key);
  const feed = native.hash(hmac, bytes, text);
  if (feed === undefined) throw nodeError(TypeError, 'ERR_CRYPTO_INVALID_DIGEST', 'Invalid digest: ' + hmac);
  return wrap(Hmac.prototype, feed);
}

Hmac.prototype.update = Hash.prototype.update;

// A second digest of an HMAC is empty, as in Node.js (a hash's throws).
Hmac.prototype.digest = function digest(outputEncoding) {
  if (!this[STATE].finalized) return finish(this[STATE], outputEncoding);
  const empty = Buffer.alloc(0);
  return outputEncoding === undefined || outputEncoding === 'buffer' ||
    !Buffer.isEncoding(outputEncoding) ? empty : '';
};

function createHash(algorithm, options) {
  return new Hash(algorithm, options);
}

function createHmac(hmac, key, options) {
  return new Hmac(hmac, key, options);
}

// One-shot hashing (Node.js 21.7, 20.12).
function hash(algorithm, data, outputEncoding = 'hex') {
  if (typeof data !== 'string' && !ArrayBuffer.isView(data)) {
    throw argTypeError('The "data" argument', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
  }
  return createHash(algorithm).update(data).digest(outputEncoding);
}

function timingSafeEqual(buf1, buf2) {
  const views = [buf1, buf2].map((buf, i) => {
    if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
    if (ArrayBuffer.isView(buf)) return bytesOf(buf);
    throw nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "buf' + (i + 1) + '" argument must be ' +
      'an instance of ArrayBuffer, Buffer, TypedArray, or DataView.');
  });
  if (views[0].length !== views[1].length) {
    throw nodeError(RangeError, 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH', 'Input buffers must have the same byte length');
  }
  return native.equal(Array.from(views[0]), Array.from(views[1]));
}

function getHashes() {
  return native.hashes();
}

// ---- webcrypto ----

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array,
  Int32Array, Uint32Array, BigInt64Array, BigUint64Array];

// The SHA digests webcrypto names.
const SUBTLE_DIGESTS = { 'sha-1': 'sha1', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' };

function unavailable(name) {
  return nodeError(Error, 'ERR_FEATURE_UNAVAILABLE_ON_PLATFORM', name + ' is not available in ' +
    'server scripts: their crypto has randomness, hashes and HMACs only');
}

const subtle = {
  digest(algorithm, data) {
    try {
      const name = typeof algorithm === 'object' && algorithm !== null ? algorithm.name : algorithm;
      const hashName = SUBTLE_DIGESTS[String(name).toLowerCase()];
      if (hashName === undefined) throw domError('NotSupportedError', 9, 'Unrecognized algorithm name');
      if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) {
        throw argTypeError('The "data" argument', 'an instance of ArrayBuffer, Buffer, TypedArray, or DataView', data);
      }
      const bytes = createHash(hashName)
        .update(data instanceof ArrayBuffer ? new Uint8Array(data) : data).digest();
      return Promise.resolve(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    } catch (error) {
      return Promise.reject(error);
    }
  },
};
for (const method of ['encrypt', 'decrypt', 'sign', 'verify', 'generateKey', 'deriveKey',
  'deriveBits', 'importKey', 'exportKey', 'wrapKey', 'unwrapKey']) {
  subtle[method] = function () { return Promise.reject(unavailable('crypto.subtle.' + method + '()')); };
}

class Crypto {
  get subtle() {
    return subtle;
  }

  getRandomValues(array) {
    if (!(this instanceof Crypto)) {
      throw nodeError(TypeError, 'ERR_INVALID_THIS', 'Value of "this" must be of type Crypto');
    }
    if (!INTEGER_ARRAYS.some((type) => array instanceof type)) {
      throw domError('TypeMismatchError', 17, 'The data argument must be an integer-type TypedArray');
    }
    if (array.byteLength > 65536) {
      throw domError('QuotaExceededError', 22, 'The requested length exceeds 65,536 bytes');
    }
    fill(bytesOf(array));
    return array;
  }

  randomUUID() {
    if (!(this instanceof Crypto)) {
      throw nodeError(TypeError, 'ERR_INVALID_THIS', 'Value of "this" must be of type Crypto');
    }
    return native.uuid();
  }
}

const webcrypto = new Crypto();

module.exports = {
  randomBytes,
  pseudoRandomBytes: randomBytes,
  randomFill,
  randomFillSync,
  randomInt,
  randomUUID,
  getRandomValues: (array) => webcrypto.getRandomValues(array),
  createHash,
  createHmac,
  hash,
  Hash,
  Hmac,
  timingSafeEqual,
  getHashes,
  getCiphers: () => [],
  getCurves: () => [],
  getFips: () => 0,
  webcrypto,
  subtle,
};

// What Node.js has and server scripts do not: each throws saying so.
for (const name of ['createCipheriv', 'createDecipheriv', 'createSign', 'createVerify', 'sign',
  'verify', 'generateKeyPair', 'generateKeyPairSync', 'generateKey', 'generateKeySync',
  'createPrivateKey', 'createPublicKey', 'createSecretKey', 'pbkdf2', 'pbkdf2Sync', 'scrypt',
  'scryptSync', 'hkdf', 'hkdfSync', 'publicEncrypt', 'publicDecrypt', 'privateEncrypt',
  'privateDecrypt', 'createDiffieHellman', 'createDiffieHellmanGroup', 'getDiffieHellman',
  'createECDH', 'diffieHellman', 'generatePrime', 'generatePrimeSync', 'checkPrime',
  'checkPrimeSync', 'getCipherInfo', 'setEngine', 'setFips', 'secureHeapUsed', 'Cipher',
  'Cipheriv', 'Decipher', 'Decipheriv', 'Sign', 'Verify', 'KeyObject', 'DiffieHellman',
  'DiffieHellmanGroup', 'ECDH', 'Certificate', 'X509Certificate']) {
  module.exports[name] = function () { throw unavailable('crypto.' + name + '()'); };
}
