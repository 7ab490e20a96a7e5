#!/usr/bin/env bash
# Starts the local binary on a free port with a throwaway data dir and prints
# the time from exec until GET /healthz answers 200; then stops it with SIGINT
# and checks that no DynamoDB Local JVM is left behind.
set -euo pipefail
bin=$1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
data=$(mktemp -d)
start=$(date +%s%N)
RENKEI_HTTP_ADDR=127.0.0.1:$port RENKEI_DATA_DIR=$data "$bin" >"$data/out.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.05
done
end=$(date +%s%N)
echo "local stack start-to-ready (exec to healthy /healthz, on-disk DynamoDB Local): $(( (end-start)/1000000 )) ms"
kill -INT $pid
wait $pid || true
if pgrep -f "LoopbackLauncher.*$data" >/dev/null; then echo "DynamoDB Local JVM left running" >&2; exit 1; fi
rm -rf "$data"
