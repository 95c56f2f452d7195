#!/usr/bin/env bash
# The whole pipeline with one command, on a machine with Node or without it, no Docker needed:
# installs what is missing (scripts/install.sh), builds, and starts `sensor-pipeline up` — the local Kafka
# broker, the topics, the demo webhook sink, alerting, the processor and the simulator on the demo scenario,
# with a live view. Ctrl-C stops everything in order; `kill -HUP` of this script's process passes SIGHUP on to
# every service (processor and alerting reload their config). Arguments go to `sensor-pipeline up` (see
# --help), e.g. ./run.sh --no-broker   (with KAFKA_BOOTSTRAP_SERVERS pointing at your broker).
set -euo pipefail
cd "$(dirname "$0")"
started=$(date +%s)
. scripts/install.sh >&2
step "starting the pipeline (node infra/dist/sensor-pipeline.js up $*)" >&2
exec node infra/dist/sensor-pipeline.js up "$@"
