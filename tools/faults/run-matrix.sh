#!/usr/bin/env bash
# Runs the campaign once per nemesis kind (then once with the eight standard kinds, then the opt-in
# FullDisk, SlowDisk and ClockJump) and prints one results row per run and workload, for the table in
# docs/reliability.md:
#   tools/faults/run-matrix.sh [MINUTES_PER_RUN] [SEED]
# Needs root. Reports, histories and timelines land in artifacts/fault-campaigns/matrix-SEED/.
set -euo pipefail
cd "$(dirname "$0")/../.."

minutes=${1:-2}
seed=${2:-1}
out=$PWD/artifacts/fault-campaigns/matrix-$seed
mkdir -p "$out"
dotnet build tests/Colony.FaultTests -c Release -v quiet -nologo

run() {
  local name=$1 kinds=$2
  COLONY_FAULTS_MINUTES=$minutes COLONY_FAULTS_SEED=$seed COLONY_FAULTS_KINDS=$kinds \
    COLONY_FAULTS_REPORT="$out/$name.txt" COLONY_FAULTS_KEEP="$out" COLONY_FAULTS_RUN_DIR="$out/$name" \
    dotnet test tests/Colony.FaultTests -c Release --no-build \
      --filter "FullyQualifiedName~CampaignTests.Partitions_kills_and_pauses" >"$out/$name.log" 2>&1 || true
  local report="$out/$name.txt"
  if [ ! -f "$report" ]; then
    echo "| $name | (no report: see $out/$name.log) |"
    return
  fi
  local failover gap
  failover=$(grep '^leader failover' "$report" | sed -E 's/.*: (p50 [0-9]+ ms, p99 [0-9]+ ms).*/\1/; s/.*no leader isolated.*/-/')
  gap=$(grep '^longest time with no operation answered' "$report" | sed -E 's/.*: ([0-9]+ ms)$/\1/')
  grep -E '^workload ' "$report" | while read -r line; do
    # workload NAME: A attempted, K acknowledged, L lost, V violations
    echo "$line" | sed -E "s/^workload ([a-z]+): ([0-9]+) attempted, ([0-9]+) acknowledged, ([0-9]+) lost, ([0-9]+) violations$/| $name | \1 | \2 | \3 | \4 | \5 | $gap | $failover |/"
  done
}

echo "| nemesis | workload | attempted | acknowledged | lost | violations | longest gap | leader failover |"
echo "|---|---|---|---|---|---|---|---|"
for kind in IsolateLeader MajorityMinority Bridge RandomHalves Kill Pause Lossy SlowNetwork; do
  run "$kind" "$kind"
done
run all "IsolateLeader,MajorityMinority,Bridge,RandomHalves,Kill,Pause,Lossy,SlowNetwork"
run FullDisk FullDisk
run SlowDisk SlowDisk
run ClockJump ClockJump
