// The server's headline figures over time: Volley.DescribeServer every few seconds while
// the page is visible, kept in memory for the charts (the last MAX_SAMPLES samples).

import { errorText } from "./ui.js";

// Ten minutes at the default interval.
const MAX_SAMPLES = 120;
export const DEFAULT_INTERVAL_MS = 5000;

export class Poller {
  constructor(api) {
    this.api = api;
    this.samples = [];
    this.last = null;
    this.error = null;
    this.intervalMs = DEFAULT_INTERVAL_MS;
    this.listeners = new Set();
    this.timer = null;
    this.stopped = false;
    this.inFlight = false;
    this.onVisibility = () => {
      if (document.visibilityState === "visible") {
        this.poll();
      }
    };
    document.addEventListener("visibilitychange", this.onVisibility);
  }

  // Starts with `first`, the answer already read when the console started.
  start(first) {
    if (first) {
      this.record(first);
    }
    this.schedule();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    document.removeEventListener("visibilitychange", this.onVisibility);
    this.listeners.clear();
  }

  // Sets the interval and samples at once, so that the new pace shows.
  setInterval(ms) {
    this.intervalMs = ms;
    this.poll();
  }

  // Calls `listener(poller)` after every poll, answered or failed; returns its remover.
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  schedule() {
    clearTimeout(this.timer);
    if (!this.stopped) {
      this.timer = setTimeout(() => this.poll(), this.intervalMs);
    }
  }

  async poll() {
    if (this.stopped || this.inFlight) {
      return;
    }
    if (document.visibilityState === "hidden") {
      this.schedule();
      return;
    }
    this.inFlight = true;
    try {
      // One game session is enough: the counts cover them all.
      this.record(await this.api.call("Volley.DescribeServer", { Limit: 1 }));
      this.error = null;
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.inFlight = false;
    }
    for (const listener of this.listeners) {
      listener(this);
    }
    this.schedule();
  }

  record(answer) {
    this.last = answer;
    const hosts = answer.Fleet?.Hosts ?? [];
    this.samples.push({
      time: Date.now(),
      gameSessions: answer.GameSessionCount ?? 0,
      playerSessions: answer.PlayerSessionCount ?? 0,
      playersConnected: hosts.reduce((sum, host) => sum + (host.PlayerCount ?? 0), 0),
      counters: { ...(answer.Counters ?? {}) },
    });
    if (this.samples.length > MAX_SAMPLES) {
      this.samples.shift();
    }
  }
}

// Per-second rates of counter `name` between consecutive samples: [{ time, value }]. A
// counter that went down (the server restarted) has no rate for that step.
export function rates(samples, name) {
  const points = [];
  for (let i = 1; i < samples.length; i += 1) {
    const before = samples[i - 1];
    const after = samples[i];
    const seconds = (after.time - before.time) / 1000;
    const delta = (after.counters[name] ?? 0) - (before.counters[name] ?? 0);
    points.push({ time: after.time, value: seconds > 0 && delta >= 0 ? delta / seconds : null });
  }
  return points;
}

// The values of gauge `name` (a field of each sample): [{ time, value }].
export function gauge(samples, name) {
  return samples.map((sample) => ({ time: sample.time, value: sample[name] }));
}
