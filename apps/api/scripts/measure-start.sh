#!/usr/bin/env bash
# Times `pnpm start` from the repository root until its banner, then stops it like Ctrl-C.
# Usage: apps/api/scripts/measure-start.sh [log file]   (PORT=… to use another port)
set -uo pipefail
cd "$(dirname "$0")/../../.."
log=${1:-$(mktemp)}
t0=$(date +%s%N)
set -m
pnpm start >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 1800); do grep -q "Ctrl-C stops" "$log" && break; sleep 0.1; done
t1=$(date +%s%N)
echo "banner after $(((t1 - t0) / 1000000)) ms (load average $(cut -d' ' -f1-3 /proc/loadavg))"
kill -INT -- "-$pid"
wait "$pid" 2>/dev/null
