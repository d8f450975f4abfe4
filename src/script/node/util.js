// Node.js `util`, written here: `format` and `inspect` follow Node's output for the shapes
// scripts log (Node 20's layout rules: `compact: 3`, `breakLength: 80`), the rest is the
// small API around them. npm's `util` port pulls in polyfills for what QuickJS has natively.
'use strict';

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const tagOf = (v) => Object.prototype.toString.call(v).slice(8, -1);
const TypedArray = Object.getPrototypeOf(Uint8Array);
const typedTag = Object.getOwnPropertyDescriptor(TypedArray.prototype, Symbol.toStringTag).get;
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;
const AsyncGeneratorFunction = Object.getPrototypeOf(async function* () {}).constructor;

// ---- types ----

function isBoxedPrimitive(v) {
  if (v === null || typeof v !== 'object') return false;
  for (const [C, f] of [[Number, Number.prototype.valueOf], [String, String.prototype.valueOf],
    [Boolean, Boolean.prototype.valueOf], [Symbol, Symbol.prototype.valueOf],
    [BigInt, BigInt.prototype.valueOf]]) {
    try { f.call(v); return C !== undefined; } catch (e) { /* not this kind */ }
  }
  return false;
}

function boxedKind(v) {
  for (const [name, f] of [['Number', Number.prototype.valueOf], ['String', String.prototype.valueOf],
    ['Boolean', Boolean.prototype.valueOf], ['Symbol', Symbol.prototype.valueOf],
    ['BigInt', BigInt.prototype.valueOf]]) {
    try { return [name, f.call(v)]; } catch (e) { /* not this kind */ }
  }
  return undefined;
}

const brand = (v, tag) => v !== null && typeof v === 'object' && tagOf(v) === tag;
const typedIs = (name) => (v) => ArrayBuffer.isView(v) && typedTag.call(v) === name;

const types = {
  isDate: (v) => v instanceof Date || brand(v, 'Date'),
  isRegExp: (v) => v instanceof RegExp,
  isPromise: (v) => v instanceof Promise,
  isMap: (v) => v instanceof Map,
  isSet: (v) => v instanceof Set,
  isWeakMap: (v) => v instanceof WeakMap,
  isWeakSet: (v) => v instanceof WeakSet,
  isMapIterator: (v) => brand(v, 'Map Iterator'),
  isSetIterator: (v) => brand(v, 'Set Iterator'),
  isGeneratorObject: (v) => brand(v, 'Generator'),
  isTypedArray: (v) => ArrayBuffer.isView(v) && typedTag.call(v) !== undefined,
  isUint8Array: typedIs('Uint8Array'),
  isUint8ClampedArray: typedIs('Uint8ClampedArray'),
  isUint16Array: typedIs('Uint16Array'),
  isUint32Array: typedIs('Uint32Array'),
  isInt8Array: typedIs('Int8Array'),
  isInt16Array: typedIs('Int16Array'),
  isInt32Array: typedIs('Int32Array'),
  isFloat32Array: typedIs('Float32Array'),
  isFloat64Array: typedIs('Float64Array'),
  isBigInt64Array: typedIs('BigInt64Array'),
  isBigUint64Array: typedIs('BigUint64Array'),
  isArrayBufferView: (v) => ArrayBuffer.isView(v),
  isDataView: (v) => v instanceof DataView,
  isArrayBuffer: (v) => v instanceof ArrayBuffer,
  isSharedArrayBuffer: (v) => typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer,
  isAnyArrayBuffer: (v) => v instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer),
  isNativeError: (v) => v instanceof Error || brand(v, 'Error'),
  isGeneratorFunction: (v) => v instanceof GeneratorFunction || v instanceof AsyncGeneratorFunction,
  isAsyncFunction: (v) => v instanceof AsyncFunction || v instanceof AsyncGeneratorFunction,
  isBoxedPrimitive,
  isNumberObject: (v) => isBoxedPrimitive(v) && boxedKind(v)[0] === 'Number',
  isStringObject: (v) => isBoxedPrimitive(v) && boxedKind(v)[0] === 'String',
  isBooleanObject: (v) => isBoxedPrimitive(v) && boxedKind(v)[0] === 'Boolean',
  isSymbolObject: (v) => isBoxedPrimitive(v) && boxedKind(v)[0] === 'Symbol',
  isBigIntObject: (v) => isBoxedPrimitive(v) && boxedKind(v)[0] === 'BigInt',
  isProxy: () => false, // QuickJS does not let JavaScript tell a proxy from its target.
  isArgumentsObject: (v) => brand(v, 'Arguments'),
  isModuleNamespaceObject: (v) => brand(v, 'Module'),
  isWeakRef: (v) => typeof WeakRef !== 'undefined' && v instanceof WeakRef,
};

// ---- inspect ----

const customSymbol = Symbol.for('nodejs.util.inspect.custom');

const defaultOptions = {
  showHidden: false, depth: 2, colors: false, customInspect: true, showProxy: false,
  maxArrayLength: 100, maxStringLength: 10000, breakLength: 80, compact: 3, sorted: false,
  getters: false, numericSeparator: false,
};

const IDENTIFIER = /^[a-zA-Z_][a-zA-Z_0-9]*$/;
const ESCAPES = { '\b': '\\b', '\t': '\\t', '\n': '\\n', '\f': '\\f', '\r': '\\r', '\\': '\\\\' };

// A string literal as Node prints it: single quotes unless the text holds one.
function quote(text) {
  let q = "'";
  if (text.includes("'")) {
    if (!text.includes('"')) q = '"';
    else if (!text.includes('`') && !text.includes('${')) q = '`';
  }
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const c = text.charCodeAt(i);
    if (ch === q) out += '\\' + q;
    else if (ESCAPES[ch]) out += ESCAPES[ch];
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).toUpperCase().padStart(2, '0');
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) { out += ch + text[i + 1]; i++; }
      else out += '\\u' + c.toString(16).toUpperCase();
    } else out += ch;
  }
  return q + out + q;
}

function formatNumber(n) {
  return Object.is(n, -0) ? '-0' : String(n);
}

function formatPrimitive(ctx, v) {
  switch (typeof v) {
    case 'string': {
      let trailer = '';
      if (v.length > ctx.maxStringLength) {
        const rest = v.length - ctx.maxStringLength;
        v = v.slice(0, ctx.maxStringLength);
        trailer = `... ${rest} more character${rest > 1 ? 's' : ''}`;
      }
      // Long multi-line strings inside containers are printed one line per piece.
      if (ctx.compact !== true && v.length > 16 && v.length > ctx.breakLength - ctx.indentationLvl - 4) {
        return v.split(/(?<=\n)/).map(quote).join(` +\n${' '.repeat(ctx.indentationLvl + 2)}`) + trailer;
      }
      return quote(v) + trailer;
    }
    case 'number': return formatNumber(v);
    case 'bigint': return v + 'n';
    case 'symbol': return v.toString();
    default: return String(v);
  }
}

function getPrototypeName(obj) {
  let proto = Object.getPrototypeOf(obj);
  if (proto === null) return null;
  while (proto !== null) {
    const d = Object.getOwnPropertyDescriptor(proto, 'constructor');
    if (d && typeof d.value === 'function' && d.value.name !== '') return d.value.name;
    proto = Object.getPrototypeOf(proto);
  }
  return '';
}

function getKeys(value, showHidden) {
  const symbols = Object.getOwnPropertySymbols(value);
  if (showHidden) return Object.getOwnPropertyNames(value).concat(symbols);
  const keys = Object.keys(value);
  for (const s of symbols) {
    if (Object.prototype.propertyIsEnumerable.call(value, s)) keys.push(s);
  }
  return keys;
}

function functionBase(fn, constructor) {
  let source = '';
  try { source = Function.prototype.toString.call(fn); } catch (e) { /* native */ }
  if (source.startsWith('class') && /^class\b/.test(source)) {
    let base = `[class ${fn.name || '(anonymous)'}`;
    const parent = Object.getPrototypeOf(fn);
    if (parent && parent !== Function.prototype && parent.name) base += ` extends ${parent.name}`;
    return base + ']';
  }
  let type = 'Function';
  if (fn instanceof AsyncGeneratorFunction) type = 'AsyncGeneratorFunction';
  else if (fn instanceof GeneratorFunction) type = 'GeneratorFunction';
  else if (fn instanceof AsyncFunction) type = 'AsyncFunction';
  let base = `[${type}`;
  base += fn.name ? `: ${fn.name}]` : ' (anonymous)]';
  if (constructor === null) base += ' [null prototype]';
  return base;
}

// An error's stack as Node shows it: `Name: message` then the frames.
function formatError(err, ctx) {
  const name = err.name === undefined ? 'Error' : String(err.name);
  const message = err.message === undefined ? '' : String(err.message);
  const head = message ? `${name}: ${message}` : name;
  // QuickJS's stack holds the frames only; V8's starts with the head line.
  let stack = typeof err.stack === 'string' ? err.stack.replace(/\n+$/, '') : '';
  if (stack === '' || /^\s+at /.test(stack)) stack = head + (stack ? '\n' + stack : '');
  if (!/\n\s+at /.test(stack)) return `[${stack || head}]`;
  if (ctx.indentationLvl !== 0) {
    const indent = ' '.repeat(ctx.indentationLvl);
    stack = stack.split('\n').join(`\n${indent}`);
  }
  return stack;
}

function formatValue(ctx, value, recurseTimes, typedArray) {
  if (typeof value !== 'object' && typeof value !== 'function') return formatPrimitive(ctx, value);
  if (value === null) return 'null';
  if (ctx.customInspect) {
    let custom;
    try { custom = value[customSymbol]; } catch (e) { custom = undefined; }
    if (typeof custom === 'function' && custom !== inspect &&
        !(hasOwn(value, 'constructor') && value.constructor.prototype === value)) {
      const depth = ctx.depth === null ? null : ctx.depth - recurseTimes;
      const options = Object.assign({}, ctx, { depth, stylize: (s) => s });
      const result = custom.call(value, depth, options, inspect);
      if (result !== value) {
        if (typeof result !== 'string') return formatValue(ctx, result, recurseTimes);
        return result.split('\n').join(`\n${' '.repeat(ctx.indentationLvl)}`);
      }
    }
  }
  if (ctx.seen.includes(value)) {
    let index = 1;
    if (ctx.circular === undefined) {
      ctx.circular = new Map([[value, index]]);
    } else {
      index = ctx.circular.get(value);
      if (index === undefined) {
        index = ctx.circular.size + 1;
        ctx.circular.set(value, index);
      }
    }
    return `[Circular *${index}]`;
  }
  return formatRaw(ctx, value, recurseTimes, typedArray);
}

function prefixOf(constructor, tag, fallback, size) {
  if (constructor === null) {
    if (tag !== '' && fallback !== tag) return `[${fallback}${size}: null prototype] [${tag}] `;
    return `[${fallback}${size}: null prototype] `;
  }
  if (tag !== '' && constructor !== tag) return `${constructor}${size} [${tag}] `;
  return `${constructor}${size} `;
}

function formatRaw(ctx, value, recurseTimes, typedArray) {
  let keys;
  const constructor = getPrototypeName(value);
  let tag = '';
  try { tag = value[Symbol.toStringTag]; } catch (e) { /* a throwing getter */ }
  if (typeof tag !== 'string' || (tag !== '' && (ctx.showHidden ? hasOwn : () => false)(value, Symbol.toStringTag))) tag = typeof tag === 'string' ? tag : '';
  let base = '';
  let formatter = () => [];
  let braces;
  let noIterator = true;
  let extrasType = 'object';
  const filter = ctx.showHidden;

  if (Array.isArray(value)) {
    noIterator = false;
    const prefix = constructor !== 'Array' || tag !== '' ? prefixOf(constructor, tag, 'Array', `(${value.length})`) : '';
    keys = getKeys(value, filter).filter((k) => typeof k === 'symbol' || !/^(0|[1-9][0-9]*)$/.test(k) || Number(k) >= 4294967295);
    braces = [`${prefix}[`, ']'];
    if (value.length === 0 && keys.length === 0) return `${braces[0]}]`;
    extrasType = 'array';
    formatter = formatArray;
  } else if (value instanceof Set) {
    noIterator = false;
    keys = getKeys(value, filter);
    const prefix = prefixOf(constructor, tag, 'Set', `(${value.size})`);
    formatter = formatSet;
    if (value.size === 0 && keys.length === 0) return `${prefix}{}`;
    braces = [`${prefix}{`, '}'];
  } else if (value instanceof Map) {
    noIterator = false;
    keys = getKeys(value, filter);
    const prefix = prefixOf(constructor, tag, 'Map', `(${value.size})`);
    formatter = formatMap;
    if (value.size === 0 && keys.length === 0) return `${prefix}{}`;
    braces = [`${prefix}{`, '}'];
  } else if (types.isTypedArray(value)) {
    noIterator = false;
    const name = typedTag.call(value);
    if (constructor === 'Buffer' && typeof Buffer === 'function' && value instanceof Buffer) {
      return formatBuffer(ctx, value);
    }
    keys = getKeys(value, filter).filter((k) => typeof k === 'symbol' || !/^(0|[1-9][0-9]*)$/.test(k));
    const prefix = prefixOf(constructor, tag === name ? '' : tag, name, `(${value.length})`);
    braces = [`${prefix}[`, ']'];
    if (value.length === 0 && keys.length === 0 && !ctx.showHidden) return `${braces[0]}]`;
    formatter = (c, v, r) => formatTypedArray(c, v, r);
    extrasType = 'array';
  } else if (types.isMapIterator(value) || types.isSetIterator(value)) {
    noIterator = false;
    keys = getKeys(value, filter);
    braces = [`[${tag}] {`, '}'];
    formatter = (c, v, r) => {
      // Reading the entries consumes the iterator: Node reads them without; a copy does not exist here.
      return ['<items unknown>'];
    };
  }
  if (noIterator) {
    keys = getKeys(value, filter);
    braces = ['{', '}'];
    if (constructor === 'Object') {
      if (types.isArgumentsObject(value)) {
        braces[0] = '[Arguments] [';
        braces[1] = ']';
        extrasType = 'array';
        keys = keys.filter((k) => typeof k === 'symbol' || !/^(0|[1-9][0-9]*)$/.test(k));
        formatter = formatArray;
        if (value.length === 0 && keys.length === 0) return '[Arguments] []';
      } else if (tag !== '') {
        braces[0] = `${prefixOf(constructor, tag, 'Object', '')}{`;
      }
      if (keys.length === 0 && formatter.length === 0 && extrasType === 'object') {
        return `${braces[0]}}`;
      }
    } else if (typeof value === 'function') {
      base = functionBase(value, constructor);
      if (keys.length === 0) return base;
    } else if (types.isRegExp(value)) {
      base = RegExp.prototype.toString.call(constructor !== null ? value : new RegExp(value));
      const prefix = prefixOf(constructor, tag, 'RegExp', '');
      if (prefix !== 'RegExp ') base = `${prefix}${base}`;
      if (!ctx.showHidden) keys = keys.filter((k) => k !== 'lastIndex');
      if (keys.length === 0) return base;
    } else if (types.isDate(value)) {
      base = Number.isNaN(Date.prototype.getTime.call(value)) ? 'Invalid Date'
        : Date.prototype.toISOString.call(value);
      const prefix = prefixOf(constructor, tag, 'Date', '');
      if (prefix !== 'Date ') base = `${prefix}${base}`;
      if (keys.length === 0) return base;
    } else if (types.isNativeError(value)) {
      base = formatError(value, ctx);
      keys = keys.filter((k) => k !== 'stack' && k !== 'message');
      if (keys.length === 0) return base;
    } else if (types.isAnyArrayBuffer(value)) {
      const name = value instanceof ArrayBuffer ? 'ArrayBuffer' : 'SharedArrayBuffer';
      const prefix = prefixOf(constructor, tag, name, '');
      if (typedArray === undefined) {
        formatter = formatArrayBuffer;
      } else if (keys.length === 0) {
        return prefix + `{ byteLength: ${formatNumber(value.byteLength)} }`;
      }
      braces[0] = `${prefix}{`;
      keys.unshift('byteLength');
    } else if (types.isDataView(value)) {
      braces[0] = `${prefixOf(constructor, tag, 'DataView', '')}{`;
      keys.unshift('byteLength', 'byteOffset', 'buffer');
    } else if (types.isPromise(value)) {
      braces[0] = `${prefixOf(constructor, tag, 'Promise', '')}{`;
      formatter = formatPromise;
    } else if (types.isWeakSet(value)) {
      braces[0] = `${prefixOf(constructor, tag, 'WeakSet', '')}{`;
      formatter = () => ['<items unknown>'];
    } else if (types.isWeakMap(value)) {
      braces[0] = `${prefixOf(constructor, tag, 'WeakMap', '')}{`;
      formatter = () => ['<items unknown>'];
    } else if (isBoxedPrimitive(value)) {
      const [kind, primitive] = boxedKind(value);
      base = `[${kind}`;
      if (kind !== constructor) base += constructor === null ? ' (null prototype)' : ` (${constructor})`;
      base += `: ${formatPrimitive(Object.assign({}, ctx, { compact: true }), primitive)}]`;
      if (kind === 'String') keys = keys.filter((k) => typeof k === 'symbol' || !/^(0|[1-9][0-9]*)$/.test(k));
      if (tag !== '' && tag !== constructor) base += ` [${tag}]`;
      if (keys.length === 0) return base;
    } else {
      if (keys.length === 0) {
        return `${prefixOf(constructor, tag, 'Object', '')}{}`;
      }
      braces[0] = `${prefixOf(constructor, tag, 'Object', '')}{`;
    }
  }

  if (ctx.depth !== null && recurseTimes > ctx.depth) {
    let name = prefixOf(constructor, tag, 'Object', '').slice(0, -1);
    if (Array.isArray(value)) name = constructor === null ? '[Array: null prototype]' : constructor;
    return constructor === null ? name : `[${name}]`;
  }
  recurseTimes += 1;
  ctx.seen.push(value);
  ctx.currentDepth = recurseTimes;
  let output;
  try {
    output = formatter(ctx, value, recurseTimes);
    for (const key of keys) output.push(formatProperty(ctx, value, recurseTimes, key, extrasType));
  } finally {
    ctx.seen.pop();
  }
  if (ctx.sorted) {
    const compare = ctx.sorted === true ? undefined : ctx.sorted;
    if (extrasType === 'object') output.sort(compare);
    else if (keys.length > 1) {
      const sorted = output.slice(output.length - keys.length).sort(compare);
      output.splice(output.length - keys.length, keys.length, ...sorted);
    }
  }
  if (ctx.circular !== undefined) {
    const index = ctx.circular.get(value);
    if (index !== undefined) {
      const reference = `<ref *${index}>`;
      if (ctx.compact !== true) base = base === '' ? reference : `${reference} ${base}`;
      else braces[0] = `${reference} ${braces[0]}`;
    }
  }
  return reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value);
}

function formatBuffer(ctx, buffer) {
  const max = 50; // Node's buffer.INSPECT_MAX_BYTES.
  let hex = '';
  for (let i = 0; i < Math.min(max, buffer.length); i++) {
    hex += (i ? ' ' : '') + (buffer[i] < 16 ? '0' : '') + buffer[i].toString(16);
  }
  const rest = buffer.length - max;
  if (rest > 0) hex += ` ... ${rest} more byte${rest > 1 ? 's' : ''}`;
  return `<${buffer.constructor.name}${hex ? ' ' + hex : ''}>`;
}

function formatArrayBuffer(ctx, value) {
  const bytes = new Uint8Array(value);
  let hex = '';
  for (let i = 0; i < Math.min(ctx.maxArrayLength, bytes.length); i++) {
    hex += (i ? ' ' : '') + (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  }
  const rest = bytes.length - ctx.maxArrayLength;
  if (rest > 0) hex += ` ... ${rest} more byte${rest > 1 ? 's' : ''}`;
  return [`[Uint8Contents]: <${hex}>`];
}

function moreItems(n) {
  return `... ${n} more item${n > 1 ? 's' : ''}`;
}

function formatArray(ctx, value, recurseTimes) {
  const length = value.length;
  const shown = Math.min(Math.max(0, ctx.maxArrayLength), length);
  const output = [];
  let i = 0;
  for (; i < length && output.length < shown; i++) {
    if (!hasOwn(value, i)) {
      let j = i;
      while (j < length && !hasOwn(value, j)) j++;
      const holes = j - i;
      output.push(`<${holes} empty item${holes > 1 ? 's' : ''}>`);
      i = j - 1;
      continue;
    }
    output.push(formatProperty(ctx, value, recurseTimes, i, 'item'));
  }
  const rest = length - i;
  if (rest > 0) output.push(moreItems(rest));
  return output;
}

function formatTypedArray(ctx, value, recurseTimes) {
  const length = value.length;
  const shown = Math.min(Math.max(0, ctx.maxArrayLength), length);
  const output = [];
  for (let i = 0; i < shown; i++) {
    output.push(typeof value[i] === 'bigint' ? value[i] + 'n' : formatNumber(value[i]));
  }
  if (length > shown) output.push(moreItems(length - shown));
  if (ctx.showHidden) {
    ctx.indentationLvl += 2;
    for (const key of ['BYTES_PER_ELEMENT', 'length', 'byteLength', 'byteOffset', 'buffer']) {
      output.push(`[${key}]: ${formatValue(ctx, value[key], recurseTimes, true)}`);
    }
    ctx.indentationLvl -= 2;
  }
  return output;
}

function formatSet(ctx, value, recurseTimes) {
  const output = [];
  ctx.indentationLvl += 2;
  let n = 0;
  for (const v of value) {
    if (n++ >= ctx.maxArrayLength) break;
    output.push(formatValue(ctx, v, recurseTimes));
  }
  if (value.size > ctx.maxArrayLength) output.push(moreItems(value.size - ctx.maxArrayLength));
  ctx.indentationLvl -= 2;
  return output;
}

function formatMap(ctx, value, recurseTimes) {
  const output = [];
  ctx.indentationLvl += 2;
  let n = 0;
  for (const [k, v] of value) {
    if (n++ >= ctx.maxArrayLength) break;
    output.push(`${formatValue(ctx, k, recurseTimes)} => ${formatValue(ctx, v, recurseTimes)}`);
  }
  if (value.size > ctx.maxArrayLength) output.push(moreItems(value.size - ctx.maxArrayLength));
  ctx.indentationLvl -= 2;
  return output;
}

function formatPromise(ctx, value, recurseTimes) {
  const state = internal.promiseState ? internal.promiseState(value) : undefined;
  if (state === undefined || state[0] === 0) return ['<pending>'];
  ctx.indentationLvl += 2;
  const shown = formatValue(ctx, state[1], recurseTimes);
  ctx.indentationLvl -= 2;
  return [state[0] === 2 ? `<rejected> ${shown}` : shown];
}

function formatProperty(ctx, value, recurseTimes, key, type) {
  let str;
  let extra = ' ';
  const desc = Object.getOwnPropertyDescriptor(value, key) || { value: value[key], enumerable: true };
  if (desc.value !== undefined) {
    const diff = ctx.compact !== true || type !== 'object' ? 2 : 3;
    ctx.indentationLvl += diff;
    str = formatValue(ctx, desc.value, recurseTimes);
    if (diff === 3 && ctx.breakLength < str.length) {
      extra = `\n${' '.repeat(ctx.indentationLvl)}`;
    }
    ctx.indentationLvl -= diff;
  } else if (desc.get !== undefined) {
    const label = desc.set !== undefined ? 'Getter/Setter' : 'Getter';
    if (ctx.getters && (ctx.getters === true || (ctx.getters === 'get' && desc.set === undefined) ||
        (ctx.getters === 'set' && desc.set !== undefined))) {
      try {
        const got = desc.get.call(value);
        ctx.indentationLvl += 2;
        str = got !== null && typeof got === 'object'
          ? `[${label}] ${formatValue(ctx, got, recurseTimes)}`
          : `[${label}: ${formatPrimitive(ctx, got)}]`;
        ctx.indentationLvl -= 2;
      } catch (e) {
        str = `[${label}: <Inspection threw (${e.message})>]`;
      }
    } else {
      str = `[${label}]`;
    }
  } else if (desc.set !== undefined) {
    str = '[Setter]';
  } else {
    str = 'undefined';
  }
  if (type === 'item') return str;
  let name;
  if (typeof key === 'symbol') name = `[${key.toString()}]`;
  else if (key === '__proto__') name = "['__proto__']";
  else if (desc.enumerable === false) name = `[${key}]`;
  else if (IDENTIFIER.test(key)) name = key;
  else name = quote(key);
  return `${name}:${extra}${str}`;
}

function isBelowBreakLength(ctx, output, start, base) {
  let total = output.length + start;
  if (total + output.length > ctx.breakLength) return false;
  for (const entry of output) {
    total += entry.length;
    if (total > ctx.breakLength) return false;
  }
  return base === '' || !base.includes('\n');
}

// Lays out arrays of more than six short entries in aligned columns, as Node does.
function groupArrayElements(ctx, output, value) {
  let totalLength = 0;
  let maxLength = 0;
  let outputLength = output.length;
  if (ctx.maxArrayLength < output.length) outputLength--; // The "more items" entry.
  const separatorSpace = 2;
  const dataLen = new Array(outputLength);
  for (let i = 0; i < outputLength; i++) {
    const len = output[i].length;
    dataLen[i] = len;
    totalLength += len + separatorSpace;
    if (maxLength < len) maxLength = len;
  }
  const actualMax = maxLength + separatorSpace;
  if (actualMax * 3 + ctx.indentationLvl < ctx.breakLength &&
      (totalLength / actualMax > 5 || maxLength <= 6)) {
    const averageBias = Math.sqrt(actualMax - totalLength / output.length);
    const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
    const columns = Math.min(
      Math.round(Math.sqrt(2.5 * biasedMax * outputLength) / biasedMax),
      Math.floor((ctx.breakLength - ctx.indentationLvl) / actualMax),
      ctx.compact * 4,
      15,
    );
    if (columns <= 1) return output;
    const tmp = [];
    const maxLineLength = [];
    for (let i = 0; i < columns; i++) {
      let lineLength = 0;
      for (let j = i; j < output.length; j += columns) {
        if (dataLen[j] > lineLength) lineLength = dataLen[j];
      }
      maxLineLength.push(lineLength + separatorSpace);
    }
    let padStart = true;
    if (value !== undefined) {
      for (let i = 0; i < output.length; i++) {
        if (typeof value[i] !== 'number' && typeof value[i] !== 'bigint') {
          padStart = false;
          break;
        }
      }
    }
    for (let i = 0; i < outputLength; i += columns) {
      const max = Math.min(i + columns, outputLength);
      let str = '';
      let j = i;
      for (; j < max - 1; j++) {
        const cell = `${output[j]}, `;
        str += padStart ? cell.padStart(maxLineLength[j - i]) : cell.padEnd(maxLineLength[j - i]);
      }
      str += padStart ? output[j].padStart(maxLineLength[j - i] - separatorSpace) : output[j];
      tmp.push(str);
    }
    if (ctx.maxArrayLength < output.length) tmp.push(output[outputLength]);
    return tmp;
  }
  return output;
}

function reduceToSingleString(ctx, output, base, braces, extrasType, recurseTimes, value) {
  if (ctx.compact !== true) {
    if (typeof ctx.compact === 'number' && ctx.compact >= 1) {
      const entries = output.length;
      if (extrasType === 'array' && entries > 6) output = groupArrayElements(ctx, output, value);
      if (ctx.currentDepth - recurseTimes < ctx.compact && entries === output.length) {
        const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
        if (isBelowBreakLength(ctx, output, start, base)) {
          const joined = output.join(', ');
          if (!joined.includes('\n')) {
            return `${base ? `${base} ` : ''}${braces[0]} ${joined} ${braces[1]}`;
          }
        }
      }
    }
    const indentation = `\n${' '.repeat(ctx.indentationLvl)}`;
    return `${base ? `${base} ` : ''}${braces[0]}${indentation}  ${output.join(`,${indentation}  `)}${indentation}${braces[1]}`;
  }
  if (isBelowBreakLength(ctx, output, 0, base)) {
    return `${braces[0]}${base ? ` ${base}` : ''} ${output.join(', ')} ${braces[1]}`;
  }
  const indentation = ' '.repeat(ctx.indentationLvl);
  const ln = base === '' && braces[0].length === 1 ? ' ' : `${base ? ` ${base}` : ''}\n${indentation}  `;
  return `${braces[0]}${ln}${output.join(`,\n${indentation}  `)} ${braces[1]}`;
}

function inspect(value, opts) {
  const ctx = Object.assign({}, inspect.defaultOptions, {
    seen: [], indentationLvl: 0, currentDepth: 0, circular: undefined,
  });
  if (arguments.length > 2) {
    // The legacy form inspect(value, showHidden, depth, colors).
    if (arguments[2] !== undefined) ctx.depth = arguments[2];
    if (arguments.length > 3 && arguments[3] !== undefined) ctx.colors = arguments[3];
  }
  if (typeof opts === 'boolean') ctx.showHidden = opts;
  else if (opts) {
    for (const key of Object.keys(opts)) {
      if (hasOwn(defaultOptions, key) || key === 'stylize') ctx[key] = opts[key];
    }
  }
  if (ctx.depth === Infinity) ctx.depth = null;
  if (ctx.maxArrayLength === null) ctx.maxArrayLength = Infinity;
  if (ctx.maxStringLength === null) ctx.maxStringLength = Infinity;
  return formatValue(ctx, value, 0);
}
inspect.custom = customSymbol;
Object.defineProperty(inspect, 'defaultOptions', {
  get() { return defaultOptions; },
  set(options) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('The "options" argument must be of type object');
    }
    Object.assign(defaultOptions, options);
  },
});
inspect.colors = Object.create(null);
inspect.styles = Object.create(null);

// ---- format ----

function formatWithOptions(inspectOptions, ...args) {
  const first = args[0];
  let a = 0;
  let str = '';
  let join = '';
  if (typeof first === 'string') {
    if (args.length === 1) return first;
    let last = 0;
    for (let i = 0; i < first.length - 1; i++) {
      if (first.charCodeAt(i) !== 37) continue; // '%'
      const c = first[i + 1];
      if (a + 1 !== args.length) {
        let piece;
        switch (c) {
          case 's': {
            const arg = args[++a];
            if (typeof arg === 'number') piece = formatNumber(arg);
            else if (typeof arg === 'bigint') piece = arg + 'n';
            else if (typeof arg !== 'object' || arg === null || !hasBuiltInToString(arg)) piece = String(arg);
            else piece = inspect(arg, Object.assign({}, inspectOptions, { depth: 0, colors: false, compact: 3 }));
            break;
          }
          case 'j':
            try { piece = JSON.stringify(args[++a]); } catch (e) {
              if (/circular/i.test(e.message)) piece = '[Circular]';
              else throw e;
            }
            break;
          case 'd': {
            const n = args[++a];
            if (typeof n === 'bigint') piece = n + 'n';
            else if (typeof n === 'symbol') piece = 'NaN';
            else piece = formatNumber(Number(n));
            break;
          }
          case 'O': piece = inspect(args[++a], inspectOptions); break;
          case 'o':
            piece = inspect(args[++a], Object.assign({}, inspectOptions,
              { showHidden: true, showProxy: true, depth: 4 }));
            break;
          case 'i': {
            const n = args[++a];
            if (typeof n === 'bigint') piece = n + 'n';
            else if (typeof n === 'symbol') piece = 'NaN';
            else piece = formatNumber(parseInt(n));
            break;
          }
          case 'f': {
            const n = args[++a];
            piece = typeof n === 'symbol' ? 'NaN' : formatNumber(parseFloat(n));
            break;
          }
          case 'c': a++; piece = ''; break;
          case '%': str += first.slice(last, i); last = i + 1; continue;
          default: continue;
        }
        str += first.slice(last, i);
        str += piece;
        last = i + 2;
        i++;
      } else if (c === '%') {
        str += first.slice(last, i);
        last = i + 1;
      }
    }
    if (last !== 0) {
      a++;
      join = ' ';
      if (last < first.length) str += first.slice(last);
    }
  }
  while (a < args.length) {
    const value = args[a];
    str += join;
    str += typeof value !== 'string' ? inspect(value, inspectOptions) : value;
    join = ' ';
    a++;
  }
  return str;
}

// Whether `value` would print through a built-in toString (then %s inspects it instead).
function hasBuiltInToString(value) {
  if (typeof value.toString !== 'function' || hasOwn(value, 'toString')) {
    return typeof value.toString !== 'function';
  }
  let pointer = value;
  do { pointer = Object.getPrototypeOf(pointer); } while (!hasOwn(pointer, 'toString'));
  const d = Object.getOwnPropertyDescriptor(pointer, 'constructor');
  return d !== undefined && typeof d.value === 'function' &&
    /^[A-Z]/.test(d.value.name) && globalThis[d.value.name] === d.value;
}

function format(...args) {
  return formatWithOptions(undefined, ...args);
}

// ---- the rest of util ----

function inherits(ctor, superCtor) {
  if (typeof ctor !== 'function') throw new TypeError('The "ctor" argument must be of type function');
  if (typeof superCtor !== 'function') throw new TypeError('The "superCtor" argument must be of type function');
  if (superCtor.prototype === undefined) throw new TypeError('The "superCtor.prototype" property must be of type object');
  Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

const promisifyCustom = Symbol.for('nodejs.util.promisify.custom');

function promisify(original) {
  if (typeof original !== 'function') throw new TypeError('The "original" argument must be of type function');
  if (original[promisifyCustom]) {
    const fn = original[promisifyCustom];
    if (typeof fn !== 'function') throw new TypeError('The "util.promisify.custom" argument must be of type function');
    return Object.defineProperty(fn, promisifyCustom, { value: fn, configurable: true });
  }
  function fn(...args) {
    return new Promise((resolve, reject) => {
      original.call(this, ...args, (err, ...values) => {
        if (err) reject(err);
        else resolve(values[0]);
      });
    });
  }
  Object.setPrototypeOf(fn, Object.getPrototypeOf(original));
  Object.defineProperty(fn, promisifyCustom, { value: fn, configurable: true });
  return Object.defineProperties(fn, Object.getOwnPropertyDescriptors(original));
}
promisify.custom = promisifyCustom;

function callbackify(original) {
  if (typeof original !== 'function') throw new TypeError('The "original" argument must be of type function');
  function callbackified(...args) {
    const callback = args.pop();
    if (typeof callback !== 'function') throw new TypeError('The last argument must be of type function');
    const onRejected = (reason) => {
      if (!reason) {
        const err = new Error('Promise was rejected with a falsy value');
        err.code = 'ERR_FALSY_VALUE_REJECTION';
        err.reason = reason;
        reason = err;
      }
      process.nextTick(callback, reason);
    };
    Reflect.apply(original, this, args).then((value) => process.nextTick(callback, null, value), onRejected);
  }
  Object.setPrototypeOf(callbackified, Object.getPrototypeOf(original));
  Object.defineProperties(callbackified, Object.getOwnPropertyDescriptors(original));
  return callbackified;
}

const warnedCodes = new Set();

function deprecate(fn, msg, code) {
  if (typeof fn !== 'function') throw new TypeError('The "fn" argument must be of type function');
  let warned = false;
  function deprecated(...args) {
    if (!warned && !process.noDeprecation) {
      warned = true;
      if (code === undefined || !warnedCodes.has(code)) {
        if (code !== undefined) warnedCodes.add(code);
        console.warn(`(node) [${code === undefined ? 'DEP' : code}] DeprecationWarning: ${msg}`);
      }
    }
    return new.target ? Reflect.construct(fn, args, new.target) : Reflect.apply(fn, this, args);
  }
  Object.setPrototypeOf(deprecated, fn);
  if (fn.prototype) deprecated.prototype = fn.prototype;
  return deprecated;
}

const debugEnabled = new Map();

function debuglog(section, callback) {
  section = String(section).toUpperCase();
  let enabled = debugEnabled.get(section);
  if (enabled === undefined) {
    const names = String((process.env && process.env.NODE_DEBUG) || '');
    enabled = names.split(/[\s,]+/).filter(Boolean).some((name) => {
      const pattern = name.replace(/[|\\{}()[\]^$+?.]/g, '\\$&').replace(/\*/g, '.*');
      return new RegExp(`^${pattern}$`, 'i').test(section);
    });
    debugEnabled.set(section, enabled);
  }
  const logger = enabled
    ? (...args) => console.error('%s %d: %s', section, 0, format(...args))
    : () => {};
  Object.defineProperty(logger, 'enabled', { get: () => enabled });
  if (typeof callback === 'function') callback(logger);
  return logger;
}

function isDeepStrictEqual(a, b) {
  return internalDeepEqual(a, b, true, new Map());
}

// Node's comparison for assert.deepEqual (loose) and deepStrictEqual (strict).
function internalDeepEqual(a, b, strict, memo) {
  if (a === b) return a !== 0 || !strict || Object.is(a, b);
  if (strict) {
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
      return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
    }
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  } else {
    if (a === null || typeof a !== 'object') {
      if (b === null || typeof b !== 'object') {
        // eslint-disable-next-line eqeqeq
        return a == b || (Number.isNaN(a) && Number.isNaN(b));
      }
      return false;
    }
    if (b === null || typeof b !== 'object') return false;
  }
  const tagA = tagOf(a);
  if (tagA !== tagOf(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && a.length !== b.length) return false;
  if (types.isDate(a)) {
    if (!types.isDate(b) || Date.prototype.getTime.call(a) !== Date.prototype.getTime.call(b)) return false;
  } else if (types.isRegExp(a)) {
    if (!types.isRegExp(b) || a.source !== b.source || a.flags !== b.flags || a.lastIndex !== b.lastIndex) return false;
  } else if (types.isNativeError(a) || a instanceof Error) {
    if (a.message !== b.message || a.name !== b.name) return false;
  } else if (ArrayBuffer.isView(a)) {
    if (!strict && (types.isFloat32Array(a) || types.isFloat64Array(a))) {
      if (a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    } else {
      const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    }
    const keysA = Object.keys(a).filter((k) => !/^[0-9]+$/.test(k));
    const keysB = Object.keys(b).filter((k) => !/^[0-9]+$/.test(k));
    if (keysA.length !== keysB.length) return false;
    return keysA.every((k) => hasOwn(b, k) && internalDeepEqual(a[k], b[k], strict, memo));
  } else if (types.isAnyArrayBuffer(a)) {
    const x = new Uint8Array(a);
    const y = new Uint8Array(b);
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  } else if (isBoxedPrimitive(a)) {
    if (!isBoxedPrimitive(b) || !Object.is(boxedKind(a)[1], boxedKind(b)[1])) return false;
  } else if (isBoxedPrimitive(b)) {
    return false;
  }
  // Cycles: a pair already being compared is taken as equal.
  let seen = memo.get(a);
  if (seen && seen.has(b)) return true;
  if (!seen) { seen = new Set(); memo.set(a, seen); }
  seen.add(b);
  const keysA = ownKeys(a, strict);
  const keysB = ownKeys(b, strict);
  if (keysA.length !== keysB.length) return false;
  for (const k of keysA) {
    if (!Object.prototype.propertyIsEnumerable.call(b, k)) return false;
  }
  if (a instanceof Set) {
    if (!(b instanceof Set) || a.size !== b.size) return false;
    outer: for (const x of a) {
      if (b.has(x)) continue;
      if (typeof x !== 'object' || x === null) {
        if (strict) return false;
        for (const y of b) if (internalDeepEqual(x, y, strict, memo)) continue outer;
        return false;
      }
      for (const y of b) {
        if (typeof y === 'object' && y !== null && internalDeepEqual(x, y, strict, memo)) continue outer;
      }
      return false;
    }
  } else if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    outer: for (const [k, v] of a) {
      if (b.has(k)) {
        if (!internalDeepEqual(v, b.get(k), strict, memo)) return false;
        continue;
      }
      for (const [k2, v2] of b) {
        if (internalDeepEqual(k, k2, strict, memo) && internalDeepEqual(v, v2, strict, memo)) continue outer;
      }
      return false;
    }
  }
  for (const k of keysA) {
    if (!internalDeepEqual(a[k], b[k], strict, memo)) return false;
  }
  return true;
}

function ownKeys(value, strict) {
  const keys = Object.keys(value);
  if (strict) {
    for (const s of Object.getOwnPropertySymbols(value)) {
      if (Object.prototype.propertyIsEnumerable.call(value, s)) keys.push(s);
    }
  }
  return keys;
}

function toUSVString(text) {
  return String(text).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

// eslint-disable-next-line no-control-regex
const ANSI = /[\u001B\u009B][[\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\d/#&.:=?%@~_]+)*|[a-zA-Z\d]+(?:;[-a-zA-Z\d/#&.:=?%@~_]*)*)?\u0007)|(?:(?:\d{1,4}(?:;\d{0,4})*)?[\dA-PR-TZcf-ntqry=><~]))/g;

function stripVTControlCharacters(text) {
  if (typeof text !== 'string') throw new TypeError('The "str" argument must be of type string');
  return text.replace(ANSI, '');
}

module.exports = {
  format, formatWithOptions, inspect, inherits, promisify, callbackify, deprecate, debuglog,
  debug: debuglog, isDeepStrictEqual, types, toUSVString, stripVTControlCharacters,
  TextEncoder, TextDecoder,
  isArray: Array.isArray,
  isBoolean: (v) => typeof v === 'boolean',
  isNull: (v) => v === null,
  isNullOrUndefined: (v) => v === null || v === undefined,
  isNumber: (v) => typeof v === 'number',
  isString: (v) => typeof v === 'string',
  isSymbol: (v) => typeof v === 'symbol',
  isUndefined: (v) => v === undefined,
  isRegExp: types.isRegExp,
  isObject: (v) => v !== null && typeof v === 'object',
  isDate: types.isDate,
  isError: (v) => types.isNativeError(v) || v instanceof Error,
  isFunction: (v) => typeof v === 'function',
  isPrimitive: (v) => v === null || (typeof v !== 'object' && typeof v !== 'function'),
  isBuffer: (v) => typeof Buffer === 'function' && v instanceof Buffer,
};
// Shared with assert, which compares as Node does.
Object.defineProperty(module.exports, 'internalDeepEqual', { value: internalDeepEqual });
