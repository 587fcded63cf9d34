#!/usr/bin/env bash
# Fuzzes one target under AFL++ for a bounded time, with SharpFuzz's coverage instrumentation.
#
#   tests/Colony.Fuzz/run.sh TARGET SECONDS [OUTPUT_DIR]
#
# Targets: jute, peer-frame, peer-payload, coordination-command, wal, block-sidecar, block-transfer,
# http-api. Needs Debian's afl++ (test.sh installs it). Prints one line: "fuzz TARGET execs=N crashes=N hangs=N seconds=N", and exits 1 if
# AFL++ saved a crash. Crashing inputs are left in OUTPUT_DIR/default/crashes: replay one with
#   dotnet artifacts/fuzz/bin/Colony.Fuzz.dll TARGET FILE
# and add it to tests/Colony.Fuzz/regressions/TARGET/ once fixed.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=${1:?usage: $0 TARGET SECONDS [OUTPUT_DIR]}
seconds=${2:?usage: $0 TARGET SECONDS [OUTPUT_DIR]}
out=${3:-artifacts/fuzz/out/$target}
work=artifacts/fuzz
bin=$work/bin

command -v afl-fuzz >/dev/null || { echo "afl-fuzz is missing: apt-get install afl++" >&2; exit 2; }

# One instrumented build, shared by every target (a lock keeps concurrent runs from racing on it).
mkdir -p "$work"
(
  flock 9
  if [ ! -f "$bin/.instrumented" ] || [ -n "$(find src tests/Colony.Fuzz -name '*.cs' -newer "$bin/.instrumented" -print -quit)" ]; then
    rm -rf "$bin"
    dotnet build tests/Colony.Fuzz -c Release -o "$bin" -v quiet -nologo >/dev/null
    # Seeds come from the encoders before instrumentation: instrumented code only runs under AFL++.
    rm -rf "$work/seeds"
    dotnet "$bin/Colony.Fuzz.dll" --seeds "$work/seeds"
    if [ ! -x "$work/tools/sharpfuzz" ]; then
      dotnet tool install --tool-path "$work/tools" SharpFuzz.CommandLine --version 2.3.0 >/dev/null
    fi
    # Only the code under test gets coverage probes; the harness and the test helpers do not.
    for dll in Colony.Core Colony.Consensus Colony.Consensus.Storage Colony.Coordination Colony.Storage Colony.Compute Colony.Client Colony.Node; do
      "$work/tools/sharpfuzz" "$bin/$dll.dll" >/dev/null
    done
    touch "$bin/.instrumented"
  fi
) 9>"$work/.lock"

seeds="$work/seeds/$target"
[ -d "$seeds" ] || { echo "unknown target '$target'" >&2; exit 2; }
# Past crashes start the run too, so a regression is found at once.
if [ -d "tests/Colony.Fuzz/regressions/$target" ]; then
  cp tests/Colony.Fuzz/regressions/"$target"/* "$seeds"/ 2>/dev/null || true
fi

# A dictionary of tokens, where the input has a syntax (JSON, query strings) that byte flips rarely reach.
dictionary=()
if [ -f "tests/Colony.Fuzz/dictionaries/$target.dict" ]; then
  dictionary=(-x "tests/Colony.Fuzz/dictionaries/$target.dict")
fi

rm -rf "$out"
mkdir -p "$out"
# The machine's core pattern and CPU governor are not ours to change: tell AFL++ so.
AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
  AFL_SKIP_BIN_CHECK=1 AFL_FAST_CAL=1 \
  timeout $((seconds + 60)) afl-fuzz -i "$seeds" -o "$out" "${dictionary[@]}" -V "$seconds" -t 5000 -m none -- \
  dotnet "$bin/Colony.Fuzz.dll" "$target" >"$out/afl.log" 2>&1 || { tail -20 "$out/afl.log" >&2; exit 2; }

stats="$out/default/fuzzer_stats"
value() { awk -F: -v k="$1" '$1 ~ "^"k" *$" {gsub(/ /, "", $2); print $2}' "$stats"; }
crashes=$(value saved_crashes)
echo "fuzz $target execs=$(value execs_done) crashes=$crashes hangs=$(value saved_hangs) seconds=$seconds"
[ "$crashes" = 0 ]
