#!/usr/bin/env bash
# Checks a register history that a campaign kept (history.txt) again, with the register checker as it is now:
#   tools/faults/recheck-history.sh artifacts/fault-campaigns/run-SEED-…/history.txt
# Prints the number of operations, the verdict and the search steps; exits non-zero unless it is linearizable.
set -euo pipefail
cd "$(dirname "$0")/../.."
file=$(readlink -f "${1:?usage: tools/faults/recheck-history.sh HISTORY_FILE}")
dotnet build tests/Colony.FaultTests -c Release -v quiet -nologo
COLONY_FAULTS_HISTORY=$file dotnet test tests/Colony.FaultTests -c Release --no-build \
  --filter "FullyQualifiedName~RegisterHistoryTextTests.A_kept_history_checks_again" --logger "console;verbosity=detailed"
