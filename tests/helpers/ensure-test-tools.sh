#!/usr/bin/env bash
# Runs before `npm test` (npm's pretest): the system programs the tests drive for real must be on this machine.
# Missing ones are installed from Debian's packages when we are root with apt-get (a fresh machine, CI); otherwise
# this says exactly what to install and stops, so a test never skips or fails later for want of a program.
# Add a line to TOOLS when a test starts to need another program: "<command> <debian package>".
set -euo pipefail
TOOLS=(
  "redis-server redis-server"
  "promtool prometheus"
  "prometheus prometheus"
  "wrk wrk"
  # OpenStack Swift with s3api (in python3-swift), the S3-compatible store of the STORAGE=s3 tests.
  "swift-ring-builder swift"
  "swift-proxy-server swift-proxy"
  "swift-account-server swift-account"
  "swift-container-server swift-container"
  "swift-object-server swift-object"
  "memcached memcached"
  # Network namespaces, veths and a bridge for the multi-host suite (tests/multihost, R27).
  "ip iproute2"
  # Headless browser of the CORS / EventSource test (driven by playwright-core, which never downloads one).
  "chromium chromium"
)
missing=()
for entry in "${TOOLS[@]}"; do
  read -r cmd pkg <<<"$entry"
  # prometheus lives in /usr/bin, which a minimal PATH may lack.
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/bin/$cmd" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "== the tests need ${pkgs[*]}: installing with apt-get" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
  exit 0
fi
echo "The tests need these Debian packages, which are not installed: ${pkgs[*]}" >&2
echo "Install them (sudo apt-get install -y ${pkgs[*]}) and run npm test again." >&2
exit 1
