#!/usr/bin/env bash
# All benchmarks of issues 7 and 13, sequentially (never two heavy runs at once), from the
# repository root: ~25 min on an idle 2-core machine (QuTiP's n = 8 steady state and mesolve
# take ~3-4 min each). Raw results go to bench/results/local/ (git-ignored); the tables in
# bench/README.md are curated from them.
set -euo pipefail
cd "$(dirname "$0")/.."
uptime
python bench/rhs_profile.py --sites 8 10 12 --dense-max 10
python bench/steady_chain.py --sites 6 8 10 --repeat 5
python bench/thermal_chain.py --sites 8 --times 200 --evolve
python bench/thermal_chain.py --sites 10 --times 200 --evolve --qutip-timeout 180 --qutip-mem-gb 6
python bench/thermal_chain.py --sites 12 --times 20 --skip-qutip --evolve
python bench/levers.py --sites 10 --times 200
python bench/levers.py --sites 12 --times 20 --skip dense-DOP853 scipy-dense
python bench/load_test.py --repeat 3
python bench/paper1_example.py --times 10000 --repeat 11
uptime
