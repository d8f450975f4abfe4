// Node.js `path`, POSIX flavour (GameLift runs scripts on Linux). The working directory is
// the script's root, `/`.
'use strict';

function assertPath(path, name) {
  if (typeof path !== 'string') {
    throw new TypeError('The "' + (name || 'path') + '" argument must be of type string. ' +
      'Received ' + (path === null ? 'null' : typeof path));
  }
}

// Resolves `.` and `..` segments; `..` above the root of an absolute path is dropped.
function normalizeSegments(path, absolute) {
  const out = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
    } else {
      out.push(part);
    }
  }
  return out.join('/');
}

function normalize(path) {
  assertPath(path);
  if (path.length === 0) return '.';
  const absolute = path.startsWith('/');
  const trailing = path.endsWith('/');
  let body = normalizeSegments(path, absolute);
  if (body.length === 0 && !absolute) body = '.';
  if (body.length > 0 && trailing) body += '/';
  return absolute ? '/' + body : body;
}

function join(...parts) {
  parts.forEach((p) => assertPath(p));
  const joined = parts.filter((p) => p.length > 0).join('/');
  return joined.length === 0 ? '.' : normalize(joined);
}

function resolve(...parts) {
  let resolved = '';
  let absolute = false;
  for (let i = parts.length - 1; i >= -1 && !absolute; i--) {
    const part = i >= 0 ? parts[i] : '/';
    assertPath(part);
    if (part.length === 0) continue;
    resolved = part + '/' + resolved;
    absolute = part.startsWith('/');
  }
  return '/' + normalizeSegments(resolved, true);
}

function isAbsolute(path) {
  assertPath(path);
  return path.startsWith('/');
}

function relative(from, to) {
  assertPath(from, 'from');
  assertPath(to, 'to');
  const a = resolve(from).split('/').filter(Boolean);
  const b = resolve(to).split('/').filter(Boolean);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return a.slice(common).map(() => '..').concat(b.slice(common)).join('/');
}

// The path without trailing slashes (but `/` stays `/`).
function trimTrailing(path) {
  let end = path.length;
  while (end > 1 && path[end - 1] === '/') end--;
  return path.slice(0, end);
}

function dirname(path) {
  assertPath(path);
  if (path.length === 0) return '.';
  const trimmed = trimTrailing(path);
  const i = trimmed.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return trimTrailing(trimmed.slice(0, i));
}

function basename(path, ext) {
  assertPath(path);
  if (ext !== undefined) assertPath(ext, 'ext');
  const trimmed = trimTrailing(path);
  let base = trimmed === '/' ? '' : trimmed.slice(trimmed.lastIndexOf('/') + 1);
  if (ext !== undefined && base !== ext && base.endsWith(ext)) base = base.slice(0, -ext.length);
  return base;
}

function extname(path) {
  assertPath(path);
  const base = basename(path);
  const dot = base.lastIndexOf('.');
  return dot <= 0 || (dot === 1 && base === '..') ? '' : base.slice(dot);
}

function parse(path) {
  assertPath(path);
  const root = path.startsWith('/') ? '/' : '';
  const base = basename(path);
  const ext = extname(path);
  let dir = dirname(path);
  if (dir === '.' && !path.includes('/')) dir = '';
  return { root, dir, base, ext, name: ext ? base.slice(0, -ext.length) : base };
}

function format(parts) {
  if (parts === null || typeof parts !== 'object') {
    throw new TypeError('The "pathObject" argument must be of type object');
  }
  const dir = parts.dir || parts.root || '';
  const base = parts.base || ((parts.name || '') + (parts.ext || ''));
  if (!dir) return base;
  return dir === parts.root ? dir + base : dir + '/' + base;
}

const path = {
  sep: '/', delimiter: ':',
  normalize, join, resolve, isAbsolute, relative, dirname, basename, extname, parse, format,
  toNamespacedPath: (p) => p,
};
path.posix = path;
module.exports = path;
