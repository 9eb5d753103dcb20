#!/usr/bin/env bash
# Builds the web app into ../static from the locked dependencies (npm ci), the same bytes for
# the same sources, after typing the API from the contracts (gen/openapi.json ->
# src/api/openapi.gen.ts, which src/api/contract.ts holds the app's types to). With --check, builds into a temporary folder instead and fails when
# ../static differs from it: what CI runs to catch a bundle that was not rebuilt.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
if [[ "${1:-}" == "--check" ]]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
  npx openapi-typescript ../../../gen/openapi.json -o "$out/openapi.gen.ts" >/dev/null
  if ! diff "$out/openapi.gen.ts" src/api/openapi.gen.ts >/dev/null; then
    echo "src/api/openapi.gen.ts is stale (gen/openapi.json changed): run services/web_bff/app/build.sh" >&2
    exit 1
  fi
  rm "$out/openapi.gen.ts"
  npx tsc --noEmit
  npx vite build --outDir "$out" --emptyOutDir --logLevel warn
  if ! diff -r "$out" ../static; then
    echo "services/web_bff/static is stale: run services/web_bff/app/build.sh" >&2
    exit 1
  fi
  echo "services/web_bff/static matches its sources"
else
  npm run build
fi
