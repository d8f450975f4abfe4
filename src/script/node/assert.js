// Node.js `assert`, written here on util's comparison and inspect (npm's `assert` port pulls
// in util and object polyfills QuickJS has no need of). Messages follow Node's for the common
// cases; the diffs Node prints for deep comparisons are shortened to both values.
'use strict';

const { inspect, isDeepStrictEqual } = require('util');
const { internalDeepEqual } = require('util');

const show = (value) => inspect(value, { depth: 1000, compact: false, breakLength: Infinity });

const HEADERS = {
  deepStrictEqual: 'Expected values to be strictly deep-equal:',
  strictEqual: 'Expected values to be strictly equal:',
  deepEqual: 'Expected values to be loosely deep-equal:',
  notDeepStrictEqual: 'Expected "actual" not to be strictly deep-equal to:',
  notStrictEqual: 'Expected "actual" to be strictly unequal to:',
  notDeepEqual: 'Expected "actual" not to be loosely deep-equal to:',
};

// A line diff of two inspections: "  " both, "+ " actual only, "- " expected only. Lines
// equal but for a trailing comma count as common, as in Node.
function diff(a, e) {
  const x = a.split('\n');
  const y = e.split('\n');
  const same = (l, r) => l === r || l.replace(/,$/, '') === r.replace(/,$/, '');
  if (x.length * y.length > 250000) {
    return x.map((l) => `+ ${l}`).concat(y.map((l) => `- ${l}`)).join('\n');
  }
  const common = Array.from({ length: x.length + 1 }, () => new Array(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      common[i][j] = same(x[i], y[j]) ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && same(x[i], y[j])) {
      out.push(`  ${y[j++]}`);
      i++;
    } else if (j >= y.length || (i < x.length && common[i + 1][j] >= common[i][j + 1])) {
      out.push(`+ ${x[i++]}`);
    } else {
      out.push(`- ${y[j++]}`);
    }
  }
  return out.join('\n');
}

// The message Node generates for a failed comparison; `custom` replaces the header.
function comparisonMessage(operator, actual, expected, custom) {
  const a = show(actual);
  const e = show(expected);
  if (operator === 'strictEqual' || operator === 'deepStrictEqual') {
    let header = custom === undefined ? HEADERS[operator] : custom;
    const primitive = (v) => typeof v !== 'object' || v === null;
    if (!a.includes('\n') && !e.includes('\n') && a !== e &&
        ((primitive(actual) && primitive(expected) && (actual !== 0 || expected !== 0)) ||
          (a.length + e.length <= 12 && !(primitive(actual) && primitive(expected))))) {
      return `${header}\n\n${a} !== ${e}\n`;
    }
    if (a === e && custom === undefined) {
      return operator === 'strictEqual'
        ? `Values have same structure but are not reference-equal:\n\n${a}\n`
        : `Values identical but not reference-equal:\n\n${a}\n`;
    }
    if (custom === undefined && operator === 'strictEqual' && typeof actual === 'object' &&
        actual !== null && typeof expected === 'object' && expected !== null) {
      header = 'Expected "actual" to be reference-equal to "expected":';
    }
    return `${header}\n+ actual - expected\n\n${diff(a, e)}`;
  }
  if (custom !== undefined) return custom;
  if (operator === 'deepEqual') return `${HEADERS[operator]}\n\n${a}\n\nshould loosely deep-equal\n\n${e}`;
  if (operator === '==' || operator === '!=') return `${a} ${operator} ${e}`;
  if (operator === 'notDeepEqual') {
    return a === e ? `${HEADERS[operator]}\n\n${a}`
      : `Expected values not to be loosely deep-equal:\n\n${a}\n\nshould not loosely deep-equal\n\n${e}`;
  }
  if (!a.includes('\n')) return `${HEADERS[operator]} ${a}`;
  return `${HEADERS[operator]}\n\n${a}\n`;
}

class AssertionError extends Error {
  constructor(options) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('The "options" argument must be of type object');
    }
    const { message, operator, stackStartFn, actual, expected } = options;
    if (operator in HEADERS || operator === '==' || operator === '!=') {
      super(comparisonMessage(operator, actual, expected, message == null ? undefined : String(message)));
    } else if (message != null) {
      super(String(message));
    } else {
      super(`${show(actual)} ${operator} ${show(expected)}`);
    }
    this.generatedMessage = message == null;
    this.code = 'ERR_ASSERTION';
    this.actual = actual;
    this.expected = expected;
    this.operator = operator;
    if (typeof Error.captureStackTrace === 'function') Error.captureStackTrace(this, stackStartFn);
    Object.defineProperty(this, 'name', {
      value: 'AssertionError', enumerable: false, writable: true, configurable: true,
    });
  }

  toString() {
    return `${this.name} [${this.code}]: ${this.message}`;
  }
}

function innerFail(obj, generated) {
  if (obj.message instanceof Error) throw obj.message;
  const err = new AssertionError(obj);
  if (generated) err.generatedMessage = true;
  throw err;
}

function ok(...args) {
  innerOk(ok, args.length, ...args);
}

function innerOk(fn, argLen, value, message) {
  if (value) return;
  let generatedMessage = false;
  if (argLen === 0) {
    message = 'No value argument passed to `assert.ok()`';
    generatedMessage = true;
  } else if (message == null) {
    // Node quotes the call's source when it can read the file; the script's is not at hand.
    message = `${show(value)} == true`;
    generatedMessage = true;
  } else if (message instanceof Error) {
    throw message;
  }
  const err = new AssertionError({ actual: value, expected: true, message, operator: '==', stackStartFn: fn });
  err.generatedMessage = generatedMessage;
  throw err;
}

function assert(...args) {
  innerOk(assert, args.length, ...args);
}

function needTwo(args) {
  if (args.length < 2) {
    const err = new TypeError('The "actual" and "expected" arguments must be specified');
    err.code = 'ERR_MISSING_ARGS';
    throw err;
  }
}

function comparison(name, operator, test) {
  const fn = {
    [name](...args) {
      needTwo(args);
      const [actual, expected, message] = args;
      if (!test(actual, expected)) {
        innerFail({ actual, expected, message, operator, stackStartFn: fn });
      }
    },
  }[name];
  return fn;
}

/* eslint-disable eqeqeq */
const equal = comparison('equal', '==', (a, b) => a == b || (a !== a && b !== b));
const notEqual = comparison('notEqual', '!=', (a, b) => !(a == b || (a !== a && b !== b)));
/* eslint-enable eqeqeq */
const strictEqual = comparison('strictEqual', 'strictEqual', Object.is);
const notStrictEqual = comparison('notStrictEqual', 'notStrictEqual', (a, b) => !Object.is(a, b));
const deepEqual = comparison('deepEqual', 'deepEqual', (a, b) => internalDeepEqual(a, b, false, new Map()));
const notDeepEqual = comparison('notDeepEqual', 'notDeepEqual', (a, b) => !internalDeepEqual(a, b, false, new Map()));
const deepStrictEqual = comparison('deepStrictEqual', 'deepStrictEqual', isDeepStrictEqual);
const notDeepStrictEqual = comparison('notDeepStrictEqual', 'notDeepStrictEqual', (a, b) => !isDeepStrictEqual(a, b));

function fail(message) {
  if (message instanceof Error) throw message;
  const err = new AssertionError({
    message: message === undefined ? 'Failed' : message, operator: 'fail', stackStartFn: fail,
  });
  err.generatedMessage = message === undefined;
  throw err;
}

function invalidArg(name, types, value) {
  const err = new TypeError(`The "${name}" argument must be ${types}. Received ${show(value)}`);
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

// Whether `actual` (what was thrown or rejected) matches `expected`, as assert.throws judges.
function expectedException(actual, expected, message, fn) {
  if (typeof expected !== 'function') {
    if (expected instanceof RegExp) {
      const text = String(actual);
      if (expected.test(text)) return;
      innerFail({
        actual, expected, operator: fn.name, stackStartFn: fn,
        message: message || `The input did not match the regular expression ${inspect(expected)}. ` +
          `Input:\n\n${show(text)}\n`,
      }, !message);
    }
    if (typeof actual !== 'object' || actual === null) {
      innerFail({
        actual, expected, operator: 'deepStrictEqual', stackStartFn: fn,
        message: message || `The "actual" argument must be of type object. Received ${show(actual)}`,
      }, !message);
    }
    const keys = Object.keys(expected);
    if (expected instanceof Error) keys.push('name', 'message');
    for (const key of keys) {
      const want = expected[key];
      const got = actual[key];
      if (typeof got === 'string' && want instanceof RegExp && want.test(got)) continue;
      if (!(key in actual) || !isDeepStrictEqual(got, want)) {
        innerFail({
          actual, expected, operator: fn.name, stackStartFn: fn,
          message: message || `Expected values to be strictly deep-equal:\n+ actual - expected\n\n` +
            `  Comparison {\n+   ${key}: ${show(got)}\n-   ${key}: ${show(want)}\n  }`,
        }, !message);
      }
    }
    return;
  }
  if (expected.prototype !== undefined && actual instanceof expected) return;
  if (Error.isPrototypeOf(expected) || expected === Error) {
    innerFail({
      actual, expected, operator: fn.name, stackStartFn: fn,
      message: message || `The error is expected to be an instance of "${expected.name}". ` +
        `Received "${actual && actual.constructor ? actual.constructor.name : show(actual)}"` +
        (actual && actual.message !== undefined ? `\n\nError message:\n\n${actual.message}` : ''),
    }, !message);
  }
  const result = expected.call({}, actual);
  if (result !== true) {
    innerFail({
      actual, expected, operator: fn.name, stackStartFn: fn,
      message: message || `The ${expected.name ? `"${expected.name}" ` : ''}validation function ` +
        `is expected to return "true". Received ${show(result)}` +
        (actual instanceof Error ? `\n\nCaught error:\n\n${actual}` : ''),
    }, !message);
  }
}

const NO_EXCEPTION = {};

function getActual(fn) {
  if (typeof fn !== 'function') throw invalidArg('fn', 'of type function', fn);
  try {
    fn();
  } catch (e) {
    return e;
  }
  return NO_EXCEPTION;
}

function checkExpected(expected) {
  if (expected !== undefined && typeof expected !== 'function' && typeof expected !== 'object' &&
      typeof expected !== 'string') {
    throw invalidArg('error', 'of type function or an instance of Error, RegExp, or Object', expected);
  }
}

function expectsError(fn, actual, error, message) {
  if (typeof error === 'string') {
    message = error;
    error = undefined;
  }
  checkExpected(error);
  if (actual === NO_EXCEPTION) {
    let details = '';
    if (error && error.name) details += ` (${error.name})`;
    details += message ? `: ${message}` : '.';
    const what = fn === rejects ? 'rejection' : 'exception';
    innerFail({
      actual: undefined, expected: error, operator: fn.name, stackStartFn: fn,
      message: `Missing expected ${what}${details}`,
    });
  }
  if (error !== undefined) expectedException(actual, error, message, fn);
}

function expectsNoError(fn, actual, error, message) {
  if (actual === NO_EXCEPTION) return;
  if (typeof error === 'string') {
    message = error;
    error = undefined;
  }
  if (!error || (typeof error === 'function' && actual instanceof error) ||
      (error instanceof RegExp && error.test(String(actual)))) {
    const details = message ? `: ${message}` : '.';
    const what = fn === doesNotReject ? 'rejection' : 'exception';
    innerFail({
      actual, expected: error, operator: fn.name, stackStartFn: fn,
      message: `Got unwanted ${what}${details}\nActual message: "${actual && actual.message}"`,
    });
  }
  throw actual;
}

function throws(fn, ...args) {
  expectsError(throws, getActual(fn), ...args);
}

function doesNotThrow(fn, ...args) {
  expectsNoError(doesNotThrow, getActual(fn), ...args);
}

async function waitForActual(promiseFn) {
  let promise;
  if (typeof promiseFn === 'function') {
    promise = promiseFn();
    if (!promise || typeof promise.then !== 'function') {
      const err = new TypeError('Expected instance of Promise to be returned from the "promiseFn" ' +
        `function but got ${show(promise)}.`);
      err.code = 'ERR_INVALID_RETURN_VALUE';
      throw err;
    }
  } else if (promiseFn && typeof promiseFn.then === 'function') {
    promise = promiseFn;
  } else {
    throw invalidArg('promiseFn', 'of type function or an instance of Promise', promiseFn);
  }
  try {
    await promise;
  } catch (e) {
    return e;
  }
  return NO_EXCEPTION;
}

async function rejects(promiseFn, ...args) {
  expectsError(rejects, await waitForActual(promiseFn), ...args);
}

async function doesNotReject(promiseFn, ...args) {
  expectsNoError(doesNotReject, await waitForActual(promiseFn), ...args);
}

function ifError(err) {
  if (err === null || err === undefined) return;
  let message = 'ifError got unwanted exception: ';
  message += typeof err === 'object' && typeof err.message === 'string'
    ? (err.message.length === 0 && err.constructor ? err.constructor.name : err.message)
    : show(err);
  const e = new AssertionError({ actual: err, expected: null, operator: 'ifError', message, stackStartFn: ifError });
  e.generatedMessage = false;
  throw e;
}

function matcher(name, wanted) {
  const fn = {
    [name](string, regexp, message) {
      if (!(regexp instanceof RegExp)) throw invalidArg('regexp', 'an instance of RegExp', regexp);
      if (typeof string !== 'string' || regexp.test(string) !== wanted) {
        if (message instanceof Error) throw message;
        const generated = message === undefined;
        const text = message || (typeof string !== 'string'
          ? `The "string" argument must be of type string. Received type ${typeof string} (${show(string)})`
          : (wanted ? 'The input did not match the regular expression '
            : 'The input was expected to not match the regular expression ') +
            `${inspect(regexp)}. Input:\n\n${show(string)}\n`);
        const err = new AssertionError({ actual: string, expected: regexp, message: text, operator: name, stackStartFn: fn });
        err.generatedMessage = generated;
        throw err;
      }
    },
  }[name];
  return fn;
}

const match = matcher('match', true);
const doesNotMatch = matcher('doesNotMatch', false);

Object.assign(assert, {
  ok, equal, notEqual, strictEqual, notStrictEqual, deepEqual, notDeepEqual, deepStrictEqual,
  notDeepStrictEqual, throws, doesNotThrow, rejects, doesNotReject, fail, match, doesNotMatch,
  ifError, AssertionError,
});

// assert.strict: the same API with the strict comparisons under the loose names.
function strict(...args) {
  innerOk(strict, args.length, ...args);
}
Object.assign(strict, assert, {
  equal: strictEqual, notEqual: notStrictEqual, deepEqual: deepStrictEqual,
  notDeepEqual: notDeepStrictEqual,
});
strict.strict = strict;
assert.strict = strict;

module.exports = assert;
