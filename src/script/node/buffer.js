// Node.js `buffer`: the prelude's Buffer with the module's constants, atob and btoa.
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

module.exports = {
  Buffer,
  atob,
  btoa,
  constants: { MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength },
  kMaxLength,
  kStringMaxLength,
  INSPECT_MAX_BYTES: 50,
};
