// Node.js `buffer`: the prelude's Buffer with the module's constants, atob, btoa, isAscii
// and isUtf8.
'use strict';

const { Buffer, kMaxLength, domError } = internal;

// Node.js's longest string; QuickJS's is shorter still, and the memory cap shorter again.
const kStringMaxLength = 536870888;

function missingInput() {
  return internal.nodeError(TypeError, 'ERR_MISSING_ARGS', 'The "input" argument must be specified');
}

function atob(data) {
  if (arguments.length === 0) throw missingInput();
  const text = String(data).replace(/[\t\n\f\r ]/g, '');
  if (/[^A-Za-z0-9+/=]/.test(text) || text.length % 4 === 1 || /=[^=]/.test(text)) {
    throw domError('InvalidCharacterError', 5, 'The string to be decoded is not correctly encoded.');
  }
  return Buffer.from(text, 'base64').toString('latin1');
}

function btoa(data) {
  if (arguments.length === 0) throw missingInput();
  const text = String(data);
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) throw domError('InvalidCharacterError', 5, 'Invalid character');
  }
  return Buffer.from(text, 'latin1').toString('base64');
}

function bytesOf(input) {
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw internal.argTypeError('The "input" argument', 'an instance of ArrayBuffer, Buffer, or TypedArray', input);
}

function isAscii(input) {
  return bytesOf(input).every((b) => b < 0x80);
}

// Well-formed UTF-8 as WHATWG defines it: no overlong forms, surrogates or code points past
// U+10FFFF, no sequence cut short.
function isUtf8(input) {
  const bytes = bytesOf(input);
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    const n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return false;
    let lower = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    let upper = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k < n; k++) {
      if (bytes[i + k] < lower || bytes[i + k] > upper) return false;
      lower = 0x80;
      upper = 0xbf;
    }
    i += n;
  }
  return true;
}

module.exports = {
  Buffer,
  atob,
  btoa,
  isAscii,
  isUtf8,
  constants: { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength },
  kMaxLength,
  kStringMaxLength,
  INSPECT_MAX_BYTES: 50,
};
