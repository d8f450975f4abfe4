#!/bin/bash
# One `volley bench` run with the server pinned to CPU 1 and the generator to CPU 0, a fresh
# server per run, the generator told the server's pid and control address (for CPU time and
# drop counters). Prints the bench's JSON line. Run from the project root.
#   benches/fast.sh --channel fast --rooms 100 --duration-secs 10
# SERVER_BIN and GEN_BIN pick the binaries (default target/release/volley); EXTRA_TOML is
# appended to the server's config.
set -u
server_bin=${SERVER_BIN:-$PWD/target/release/volley}
gen_bin=${GEN_BIN:-$PWD/target/release/volley}
dir=$(mktemp -d /tmp/volley-fast.XXXXXX)
printf '[limits]\nmax_connections = 30000\n[scripts]\ndata_dir = "%s/data"\n%s\n' "$dir" "${EXTRA_TOML:-}" > "$dir/volley.toml"
taskset -c 1 "$server_bin" serve --dev --config "$dir/volley.toml" --listen 127.0.0.1:0 \
  --udp-listen 127.0.0.1:0 --control-listen 127.0.0.1:0 --log-level warn --grace-secs 0 \
  > "$dir/out" 2> "$dir/err" &
server=$!
for _ in $(seq 1 100); do grep -q '"ready"' "$dir/out" 2>/dev/null && break; sleep 0.1; done
ws=$(grep -o '"ws":"[^"]*"' "$dir/out" | head -1 | cut -d'"' -f4)
control=$(grep -o '"control":"[^"]*"' "$dir/out" | head -1 | cut -d'"' -f4)
timeout 120 taskset -c 0 "$gen_bin" bench --server "$ws" --server-pid $server \
  --server-control "$control" --json "$@"
rc=$?
kill $server 2>/dev/null; wait $server 2>/dev/null
rm -rf "$dir"
exit $rc
