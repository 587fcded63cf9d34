#!/usr/bin/env bash
# Installs what the tests need, builds, runs every test, and ends with one line:
# "N passed, N failed" counted from the test runners' own result files.
set -uo pipefail
cd "$(dirname "$0")"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# --- install -------------------------------------------------------------------------------
# The .NET 10 SDK comes with the machine; everything else the tests need is named here.
apt_packages=(ca-certificates util-linux iptables nftables zookeeper zookeeper-bin python3-kazoo python3-pure-sasl default-jre-headless libslf4j-java chromium chromium-driver afl++)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "the .NET 10 SDK (dotnet) is required" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

passed=0
failed=0
skipped=0

# --- build ---------------------------------------------------------------------------------
if ! dotnet restore Colony.slnx -v quiet || ! dotnet build Colony.slnx -c Release --no-restore -v quiet -nologo; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# --- unit and property tests ---------------------------------------------------------------
# One project at a time: several start real clusters (Colony nodes, Apache ZooKeeper servers),
# and on two cores they would otherwise starve each other's timeouts.
dotnet test Colony.slnx -c Release --no-build -m:1 --logger "trx" --results-directory "$results" -- RunConfiguration.TreatNoTestsAsError=false
test_exit=$?

for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  p=$(get passed); f=$(get failed); e=$(get error); t=$(get timeout); a=$(get aborted); n=$(get notExecuted)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
  skipped=$((skipped + ${n:-0}))
done
if [ "$test_exit" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited $test_exit without a failed test: counting the run as failed"
  failed=$((failed + 1))
fi

# --- deterministic simulation --------------------------------------------------------------
# A few hundred seeded runs of whole clusters under faults; each failing seed prints its replay command.
sim_seeds=${COLONY_SIM_SEEDS:-500}
sim_out="$results/simulation.txt"
dotnet run -c Release --no-build --project tests/Colony.Simulation -- --seeds "$sim_seeds" --start 0 | tee "$sim_out"
sim_exit=${PIPESTATUS[0]}
if [ "$sim_exit" -eq 0 ] && grep -q "^simulated $sim_seeds seeds: 0 violations$" "$sim_out"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

# The reasons for any failures, last, where a truncated log still shows them.
if [ "$failed" -gt 0 ] && command -v python3 >/dev/null 2>&1; then
  python3 tools/failed-tests.py "$results"/*.trx || true
fi

if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
