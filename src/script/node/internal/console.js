// The console methods beyond log/info/warn/error/debug, as Node prints them, written here and
// compiled on a script's first use of one: the prelude, which every game session pays for,
// keeps only the common ones.
'use strict';

const { write, formatArgs, uptimeMs, consoleState } = internal;
const labels = new Map();
const counts = new Map();
const name = (label) => (label === undefined ? 'default' : String(label));

function elapsed(label, what) {
  const start = labels.get(label);
  if (start === undefined) {
    write('warn', `Warning: No such label '${label}' for console.${what}()`);
    return undefined;
  }
  const ms = uptimeMs() - start;
  return `${label}: ${ms >= 1000 ? (ms / 1000).toFixed(3) + 's' : ms.toFixed(3) + 'ms'}`;
}

function group(...label) {
  if (label.length > 0) write('info', formatArgs(label));
  consoleState.indent += '  ';
}

module.exports = {
  trace(...args) {
    // V8's stack starts with the error's own line, QuickJS's with the frames.
    const stack = String(new Error().stack || '').replace(/^(?!\s+at )[^\n]*\n/, '').replace(/\n$/, '');
    write('debug', `Trace${args.length ? ': ' + formatArgs(args) : ''}\n${stack}`);
  },
  assert(value, ...args) {
    if (value) return;
    if (typeof args[0] === 'string') args[0] = `Assertion failed: ${args[0]}`;
    else args.unshift('Assertion failed');
    write('warn', formatArgs(args));
  },
  dir(value, options) {
    write('info', require('util').inspect(value, Object.assign({ customInspect: false }, options)));
  },
  dirxml(...args) { write('info', formatArgs(args)); },
  // Node draws a table; the inspection carries the same data.
  table(data) { write('info', formatArgs([data])); },
  time(label) {
    label = name(label);
    if (labels.has(label)) {
      write('warn', `Warning: Label '${label}' already exists for console.time()`);
      return;
    }
    labels.set(label, uptimeMs());
  },
  timeEnd(label) {
    label = name(label);
    const line = elapsed(label, 'timeEnd');
    if (line !== undefined) {
      labels.delete(label);
      write('info', line);
    }
  },
  timeLog(label, ...args) {
    label = name(label);
    const line = elapsed(label, 'timeLog');
    if (line !== undefined) write('info', args.length ? `${line} ${formatArgs(args)}` : line);
  },
  count(label) {
    label = name(label);
    const n = (counts.get(label) || 0) + 1;
    counts.set(label, n);
    write('info', `${label}: ${n}`);
  },
  countReset(label) {
    label = name(label);
    if (counts.has(label)) counts.set(label, 0);
    else write('warn', `Warning: Count for '${label}' does not exist`);
  },
  group,
  groupCollapsed: group,
  groupEnd() { consoleState.indent = consoleState.indent.slice(0, -2); },
};
