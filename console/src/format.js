// How values read on the page. Times are UTC in one fixed form, so that what an operator
// reads matches the server's logs whatever the browser's locale.

// A timestamp from the SDK (a Date) or from a raw answer (seconds since the epoch).
export function time(value) {
  if (value === null || value === undefined) {
    return "";
  }
  const date = value instanceof Date ? value : new Date(Number(value) * 1000);
  if (Number.isNaN(date.getTime())) {
    return "";
  }
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

// A duration in seconds as "2h03m", "4m10s" or "12s", as `volley status` prints it.
export function duration(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  if (s >= 86400) {
    return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
  }
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  }
  if (s >= 60) {
    return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  }
  return `${s}s`;
}

function pad(n) {
  return String(n).padStart(2, "0");
}

// A count with thousands separators that do not depend on the locale.
export function count(value) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) {
    return "";
  }
  return String(Math.round(Number(value))).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

// A rate per second, short: 0, 0.25, 3.5, 120.
export function rate(value) {
  if (value === null || value === undefined) {
    return "";
  }
  if (value >= 100) {
    return count(value);
  }
  return String(Math.round(value * 100) / 100);
}

// A byte size: 512 B, 3.4 KB, 1.2 MB.
export function bytes(value) {
  const n = Number(value) || 0;
  if (n < 1000) {
    return `${n} B`;
  }
  if (n < 1000000) {
    return `${(n / 1000).toFixed(1)} KB`;
  }
  return `${(n / 1000000).toFixed(1)} MB`;
}

// The last part of an ARN or path: a game session's id without its fleet prefix.
export function shortId(id) {
  if (!id) {
    return "";
  }
  const parts = String(id).split("/");
  return parts[parts.length - 1];
}

// A percentage of `part` in `whole`, or "" without a whole.
export function percent(part, whole) {
  if (!whole) {
    return "";
  }
  return `${Math.round((100 * part) / whole)}%`;
}

// JSON text shown indented when it parses, as it is when it does not.
export function prettyJson(text) {
  if (!text) {
    return "";
  }
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
