#!/bin/bash
# target/release/volley with `game.flush_interval_ms = $FLUSH_MS` added to the config file that
# benches/peers/bench.js writes for it (bench.js starts VOLLEY_BIN with `--config FILE`).
previous=""
for arg in "$@"; do
  if [ "$previous" = "--config" ]; then
    printf '\n[game]\nflush_interval_ms = %s\n' "${FLUSH_MS:-0}" >> "$arg"
  fi
  previous=$arg
done
exec "$(dirname "$0")/../target/release/volley" "$@"
