// The global structuredClone (the HTML structured clone algorithm), written here: what a
// script can hold in memory is copied, cycles and shared references kept; functions, symbols
// and other uncloneable values throw an Error named DataCloneError, as in Node.
'use strict';

function dataCloneError(message) {
  const err = new Error(message);
  err.name = 'DataCloneError';
  err.code = 25;
  return err;
}

const ERRORS = {
  Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
};
const tag = (v) => Object.prototype.toString.call(v).slice(8, -1);

function clone(value, memory) {
  if (typeof value === 'symbol') throw dataCloneError(`${String(value)} could not be cloned.`);
  if (typeof value === 'function') throw dataCloneError(`${functionText(value)} could not be cloned.`);
  if (value === null || typeof value !== 'object') return value;
  if (memory.has(value)) return memory.get(value);
  let out;
  const kind = tag(value);
  if (kind === 'Boolean' || kind === 'Number' || kind === 'String' || kind === 'BigInt') {
    out = Object(value.valueOf());
  } else if (kind === 'Date') {
    out = new Date(value.getTime());
  } else if (kind === 'RegExp') {
    out = new RegExp(value.source, value.flags);
  } else if (value instanceof ArrayBuffer) {
    out = value.slice(0);
  } else if (ArrayBuffer.isView(value)) {
    const buffer = clone(value.buffer, memory);
    // A Buffer's tag is Uint8Array: Node's Buffer comes back as a plain Uint8Array.
    const Ctor = value instanceof DataView ? DataView : globalThis[kind];
    const length = value instanceof DataView ? value.byteLength : value.length;
    out = new Ctor(buffer, value.byteOffset, length);
  } else if (value instanceof Map) {
    out = new Map();
    memory.set(value, out);
    for (const [k, v] of value) out.set(clone(k, memory), clone(v, memory));
    return out;
  } else if (value instanceof Set) {
    out = new Set();
    memory.set(value, out);
    for (const v of value) out.add(clone(v, memory));
    return out;
  } else if (kind === 'Error' || value instanceof Error) {
    const name = String(value.name);
    const Ctor = Object.prototype.hasOwnProperty.call(ERRORS, name) ? ERRORS[name] : Error;
    out = Object.create(Ctor.prototype);
    memory.set(value, out);
    const message = Object.getOwnPropertyDescriptor(value, 'message');
    if (message) {
      Object.defineProperty(out, 'message', { value: String(value.message), writable: true, configurable: true });
    }
    if (typeof value.stack === 'string') {
      Object.defineProperty(out, 'stack', { value: value.stack, writable: true, configurable: true });
    }
    if ('cause' in value) {
      Object.defineProperty(out, 'cause', { value: clone(value.cause, memory), writable: true, configurable: true });
    }
    return out;
  } else if (Array.isArray(value)) {
    out = new Array(value.length);
    memory.set(value, out);
    for (const key of Object.keys(value)) out[key] = clone(value[key], memory);
    return out;
  } else if (kind === 'Object' || kind === 'Arguments') {
    out = {};
    memory.set(value, out);
    for (const key of Object.keys(value)) out[key] = clone(value[key], memory);
    return out;
  } else {
    throw dataCloneError(`${kind === 'Object' ? '#<Object>' : `#<${kind}>`} could not be cloned.`);
  }
  memory.set(value, out);
  return out;
}

function functionText(fn) {
  try {
    return Function.prototype.toString.call(fn);
  } catch (e) {
    return 'function';
  }
}

function structuredClone(value, options) {
  if (arguments.length === 0) {
    const err = new TypeError('The "value" argument must be specified');
    err.code = 'ERR_MISSING_ARGS';
    throw err;
  }
  if (options !== undefined && options !== null && options.transfer !== undefined &&
      Array.from(options.transfer).length > 0) {
    throw dataCloneError('Transferring objects is not supported');
  }
  return clone(value, new Map());
}

module.exports = { structuredClone };
