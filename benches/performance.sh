#!/bin/bash
# Every figure of BENCHMARKS.md "Performance: frames per write and a lossless fast channel", in
# one session, so that ratios compare runs of the same minutes. Run from the project root after
# `cargo build --release` and `npm ci --prefix benches/peers`; needs `perf`, `taskset` and a C
# compiler. BASE=path/to/an/earlier/volley adds its runs beside the current build's.
# Results: JSON lines under target/performance/.
set -u
out=target/performance
mkdir -p "$out"
new=$PWD/target/release/volley
builds="new"; [ -n "${BASE:-}" ] && builds="base new"
bin() { if [ "$1" = base ]; then echo "$BASE"; else echo "$new"; fi; }
record() { # file, JSON prefix fields, command...
  local file=$1 fields=$2; shift 2
  printf '{%s,"r":' "$fields" >> "$out/$file"
  "$@" | tail -1 | tr -d '\n' >> "$out/$file"
  echo "}" >> "$out/$file"
}

echo "probes"
cc -O2 -pthread -o "$out/tcp_limit" benches/probes/tcp_limit.c
cc -O2 -pthread -o "$out/udp_limit" benches/probes/udp_limit.c
TCP_LIMIT_FLAT1=1 "$out/tcp_limit" 3 > "$out/tcp_limit.txt" 2>&1
"$out/udp_limit" 3 > "$out/udp_limit.txt" 2>&1

echo "reliable: the peers and Volley, then Volley with a flush interval"
for rep in 1 2; do
  for load in "100 8 30" "10 8 60"; do
    set -- $load
    args=(--rooms "$1" --players "$2" --hz "$3" --bytes 64 --duration 10)
    for server in ws colyseus; do
      record peers.jsonl "\"rep\":$rep,\"server\":\"$server\",\"load\":\"$1x$2x$3\"" \
        env SERVER=$server benches/peers/stat.sh "${args[@]}"
    done
    for build in $builds; do
      record peers.jsonl "\"rep\":$rep,\"server\":\"volley-$build\",\"load\":\"$1x$2x$3\"" \
        env SERVER=volley VOLLEY_BIN="$(bin $build)" benches/peers/stat.sh "${args[@]}"
    done
    for ms in 1 2; do
      record peers.jsonl "\"rep\":$rep,\"server\":\"volley-new\",\"flush_ms\":$ms,\"load\":\"$1x$2x$3\"" \
        env SERVER=volley VOLLEY_BIN="$PWD/benches/volley-with-flush.sh" FLUSH_MS=$ms \
        benches/peers/stat.sh "${args[@]}"
    done
  done
done
TCP_LIMIT_FLAT1=1 "$out/tcp_limit" 3 >> "$out/tcp_limit.txt" 2>&1

echo "fast channel"
for rep in 1 2; do
  for build in $builds; do
    record fast.jsonl "\"rep\":$rep,\"build\":\"$build\",\"what\":\"fast 100x8x30\"" \
      env SERVER_BIN="$(bin $build)" benches/fast.sh --channel fast --duration-secs 10
  done
done
for rooms in 120 140 160; do
  record fast.jsonl "\"build\":\"new\",\"what\":\"fast ${rooms}x8x30\"" \
    benches/fast.sh --channel fast --rooms $rooms --duration-secs 10
done
"$out/udp_limit" 3 >> "$out/udp_limit.txt" 2>&1

echo "dtls (volley bench starts the server itself, unpinned)"
for rooms in 50 100; do
  for build in $builds; do
    record fast.jsonl "\"build\":\"$build\",\"what\":\"dtls ${rooms}x8x30\"" \
      "$(bin $build)" bench --secure --rooms $rooms --duration-secs 10 --json
  done
done

echo "idle memory"
for build in $builds; do
  record memory.jsonl "\"build\":\"$build\",\"what\":\"10,000 idle players\"" \
    "$(bin $build)" bench --rooms 1250 --players 8 --rate-hz 0 --channel reliable \
    --duration-secs 2 --warmup-secs 1 --json
  record memory.jsonl "\"build\":\"$build\",\"what\":\"1,000 idle game sessions of 2\"" \
    "$(bin $build)" bench --rooms 1000 --players 2 --rate-hz 0 --channel reliable \
    --duration-secs 2 --warmup-secs 1 --json
done
echo "done: $out"
