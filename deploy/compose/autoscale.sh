#!/bin/sh
# Compose's stand-in for KEDA (docs/deployment.md, "Autoscaling with compose"): every INTERVAL seconds, read the
# backlog from the API's /metrics and set the number of worker containers to ceil(backlog / TARGET), between MIN
# and MAX; scale in only after COOLDOWN seconds in which fewer would have done (down to MIN, 0 allowed). Run it next to
# docker-compose.yml:   deploy/compose/autoscale.sh &
# Settings (environment): API_URL (http://127.0.0.1:8080), METRICS_TOKEN, TARGET (32), MIN (0), MAX (8),
# INTERVAL (15), COOLDOWN (300), ONCE=1 to print one decision and exit without scaling (a dry run).
set -eu
API_URL=${API_URL:-http://127.0.0.1:8080}
TARGET=${TARGET:-32}
MIN=${MIN:-0}
MAX=${MAX:-8}
INTERVAL=${INTERVAL:-15}
COOLDOWN=${COOLDOWN:-300}
ONCE=${ONCE:-0}

# waiting + prioritized of the inference queue: the series KEDA's trigger reads. Empty when /metrics failed.
backlog() {
  if [ -n "${METRICS_TOKEN:-}" ]; then auth="Authorization: Bearer $METRICS_TOKEN"; else auth="X-No-Auth: 1"; fi
  curl -fsS --max-time 5 -H "$auth" "$API_URL/metrics" | awk '
    /^inferq_queue_jobs\{/ && /queue="inference"/ && /state="(waiting|prioritized)"/ { sum += $NF; seen = 1 }
    END { if (seen) printf "%d\n", sum }'
}

current=-1
last_busy=$(date +%s)
while :; do
  n=$(backlog || true)
  now=$(date +%s)
  if [ -z "$n" ]; then
    # No answer: keep what runs rather than scale on a guess.
    echo "autoscale: no backlog reading from $API_URL/metrics" >&2
  else
    want=$(( (n + TARGET - 1) / TARGET ))
    [ "$want" -gt "$MAX" ] && want=$MAX
    [ "$want" -lt "$MIN" ] && want=$MIN
    # Scale in only once fewer workers have sufficed for COOLDOWN seconds (compose stops a worker with SIGTERM
    # and stop_grace_period, so it drains what it holds).
    if [ "$want" -ge "$current" ]; then last_busy=$now; elif [ $((now - last_busy)) -lt "$COOLDOWN" ]; then want=$current; fi
    if [ "$ONCE" = 1 ]; then echo "backlog=$n workers=$want"; exit 0; fi
    if [ "$want" != "$current" ]; then
      echo "autoscale: backlog $n -> $want workers"
      docker compose up -d --no-recreate --no-build --scale "worker=$want" worker
      current=$want
    fi
  fi
  [ "$ONCE" = 1 ] && exit 1
  sleep "$INTERVAL"
done
