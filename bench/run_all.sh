#!/usr/bin/env bash
# Run every benchmark and write each one's output to bench/results/NAME.txt.
#
# Usage, from the repository root after the README's install, with the virtual environment
# active:  bash bench/run_all.sh
# The built-in model must be in resources/models/pixova-demo for the figures that use it;
# scripts that need it stop with a message otherwise. Takes about 7 minutes on an idle
# 2-core CPU.
set -euo pipefail

cd "$(dirname "$0")/.."
results=bench/results
mkdir -p "$results"
export HF_HUB_OFFLINE=1 QT_QPA_PLATFORM=offscreen

run() {
    local name=$1
    shift
    echo "== $name: python bench/$name.py $*"
    python "bench/$name.py" "$@" 2>"$results/$name.log" | tee "$results/$name.txt"
}

run startup
run overhead --model builtin --rounds 5 --batch 4 --steps 20
run reuse --model builtin --jobs 4 --steps 20
run responsiveness --model builtin --steps 20 --batch 2
run cancel_latency --model builtin --runs 5 --steps 40
run scaling --models builtin,tiny
run gpu_its
echo "results in $results/"
