#!/bin/bash
# One run of bench.js (its arguments) with `perf stat` counting the server's system calls for
# 5 s in the middle of the measured window: prints the run's figures with frames per write and
# system calls per delivery. Run from the project root, after `npm ci --prefix benches/peers`.
#   SERVER=volley|ws|colyseus benches/peers/stat.sh --rooms 100 --players 8 --hz 30 --bytes 64
# VOLLEY_BIN picks the volley binary (default target/release/volley). Needs `perf`.
set -u
here=$(dirname "$0")
out=$(mktemp)
calls=$(mktemp)
node "$here/bench.js" --server "${SERVER:-volley}" "$@" > "$out" 2>/dev/null &
bench=$!
# bench.js warms up for 3 s after its players joined.
sleep 6
case ${SERVER:-volley} in
  volley) pid=$(pgrep -f "serve --dev --config /tmp/volley-bench" | head -1) ;;
  *) pid=$(pgrep -f "servers/.*-relay.js" | head -1) ;;
esac
events=""
for call in sendto sendmsg sendmmsg recvfrom recvmsg recvmmsg write writev read readv epoll_wait epoll_pwait futex; do
  events="$events,syscalls:sys_enter_$call"
done
perf stat -e "${events#,}" -p "$pid" -o "$calls" -- sleep 5 > /dev/null 2>&1
wait $bench
python3 - "$out" "$calls" <<'PY'
import json, re, sys
run = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
counts = {}
for line in open(sys.argv[2]):
    m = re.match(r'\s*([\d,]+)\s+syscalls:sys_enter_(\w+)', line)
    if m:
        counts[m.group(2)] = int(m.group(1).replace(',', ''))
deliveries = run['delivered_per_s'] * 5
writes = sum(counts.get(c, 0) for c in ('sendto', 'sendmsg', 'write', 'writev'))
reads = sum(counts.get(c, 0) for c in ('recvfrom', 'recvmsg', 'read', 'readv'))
latency = run['latency']
print(json.dumps({
    'delivered_per_s': run['delivered_per_s'], 'lost': run['lost'],
    'p50_ms': latency['p50_ms'], 'p99_ms': latency['p99_ms'],
    'server_cpu_us_per_delivery': run['server_cpu_us_per_delivered'],
    'server_user_us_per_delivery': run['server_cpu_user_us_per_delivered'],
    'server_cores': run['server_cpu_cores'], 'generator_cores': run['generator_cpu_cores'],
    'frames_per_write': round(deliveries / writes, 2) if writes else None,
    'writes_per_delivery': round(writes / deliveries, 3),
    'reads_per_delivery': round(reads / deliveries, 3),
    'epoll_waits_per_delivery': round((counts.get('epoll_wait', 0) + counts.get('epoll_pwait', 0)) / deliveries, 3),
}))
PY
rm -f "$out" "$calls"
