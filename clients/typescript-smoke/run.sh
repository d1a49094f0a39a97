#!/usr/bin/env bash
# Generates a TypeScript client from a running flowlab's /api/v1/openapi.json
# with openapi-typescript, type-checks a program against it and works a
# complaint through `flowlab dev` with it (openapi-fetch). Used by CI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
dev_pid=""
cleanup() {
  if [ -n "$dev_pid" ]; then kill "$dev_pid" 2>/dev/null || true; wait "$dev_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$root" && go build -o "$work/flowlab" ./cmd/flowlab)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export FLOWLAB_SERVER="http://127.0.0.1:$port"
export FLOWLAB_TOKEN="ts-smoke-admin-token-0123456789"
FLOWLAB_ADMIN_TOKEN="$FLOWLAB_TOKEN" "$work/flowlab" dev --data "$work/data" --addr "127.0.0.1:$port" --temporal-port 0 --log-level warn > "$work/dev.log" 2>&1 &
dev_pid=$!
for _ in $(seq 1 120); do
  curl -sf "$FLOWLAB_SERVER/healthz" > /dev/null && break
  kill -0 "$dev_pid" 2>/dev/null || { cat "$work/dev.log"; exit 1; }
  sleep 0.5
done
curl -sf "$FLOWLAB_SERVER/healthz" > /dev/null || { cat "$work/dev.log"; exit 1; }

cd "$here"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent generate
npm run --silent build
npm run --silent smoke
