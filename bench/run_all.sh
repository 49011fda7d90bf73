#!/usr/bin/env bash
# All issue-7 benchmarks, sequentially (never two heavy runs at once). ~10 min on an idle
# 2-core machine, most of it QuTiP at n = 8. Results: bench/results/local/thermal_chain.jsonl
# (git-ignored; copy the runs worth keeping to the tracked bench/results/thermal_chain.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
uptime
python bench/rhs_profile.py --sites 8 10
python bench/thermal_chain.py --sites 8 --times 200 --evolve
python bench/thermal_chain.py --sites 10 --times 200 --evolve --qutip-timeout 180 --qutip-mem-gb 6
python bench/thermal_chain.py --sites 12 --times 20 --skip-qutip
python bench/paper1_example.py --times 10000
uptime
