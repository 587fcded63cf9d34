#!/usr/bin/env bash
# Runs the fault campaign for longer than CI does, e.g. before a release:
#   tools/faults/run-campaign.sh [MINUTES] [SEED]
# Needs root (it builds network namespaces). Runs every workload (register with reads, locks,
# ephemerals, compute, storage) under the eight standard nemesis kinds (partitions, kills, pauses, lossy
# and slow links); COLONY_FAULTS_WORKLOADS narrows
# the workloads, COLONY_FAULTS_KINDS picks the kinds (e.g. adding SlowDisk,ClockJump or FullDisk), and
# COLONY_FAULTS_NODES the cluster's size (5 voters by default; 3 is where two copies are a quorum).
# Prints the report; on a violation the report names the directory holding the node logs.
set -euo pipefail
cd "$(dirname "$0")/../.."

minutes=${1:-30}
seed=${2:-$RANDOM$RANDOM}
report=$(mktemp -t colony-faults-report.XXXXXX)
# History, report and timeline.svg of this run, whatever its verdict.
run_dir=${COLONY_FAULTS_RUN_DIR:-$PWD/artifacts/fault-campaigns/run-$seed-$(date -u +%Y%m%d-%H%M%S)}
# The whole test session may take the campaign's length plus ten minutes of setup and checking.
session_ms=$(awk -v m="$minutes" 'BEGIN { printf "%d", (m + 10) * 60000 }')

if [ "$(id -u)" -ne 0 ]; then
  echo "the fault campaign needs root (network namespaces): run it with sudo" >&2
  exit 2
fi

echo "fault campaign: $minutes minute(s), seed $seed"
dotnet build tests/Colony.FaultTests -c Release -v quiet -nologo
status=0
COLONY_FAULTS_MINUTES=$minutes COLONY_FAULTS_SEED=$seed COLONY_FAULTS_REPORT=$report COLONY_FAULTS_RUN_DIR=$run_dir \
  COLONY_FAULTS_KEEP=${COLONY_FAULTS_KEEP:-$PWD/artifacts/fault-campaigns} \
  dotnet test tests/Colony.FaultTests -c Release --no-build \
    --filter "FullyQualifiedName~CampaignTests.Partitions_kills_and_pauses" \
    --logger "console;verbosity=normal" -- RunConfiguration.TestSessionTimeout=$session_ms || status=$?
echo
cat "$report" 2>/dev/null || echo "(no report written)"
echo "history, report and timeline.svg in $run_dir"
rm -f "$report"
exit $status
