"""Paper 2's inequality has one name everywhere: "inequality (26)".

In anomalous-particle-flow.txt the general inequality
(beta_A - beta_B) DeltaE_A - (beta_A mu_A - beta_B mu_B) DeltaN_A >= DeltaI_AB is numbered (26);
(27) and (28) are its special cases at equal mu and at equal beta, (29) the anomalous window.
corrtherm computes (26) (lhs_26, slack), so code, docs, plots and presets call it (26), never
"Eq. 28" (the equal-temperature case the old paper2.png title used) nor "Eq. 26" next to it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# "Eq. 26", "Eq.(28)", "Eqs. 26-29", "Ineq. 26": the inequality under another name
OTHER_NAMES = re.compile(r"\bEqs?\.\s*\(?2[68]\b|\bIneq\b")


def _files() -> list[Path]:
    out = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    out += sorted((ROOT / "src").rglob("*.py")) + sorted((ROOT / "src").rglob("*.toml"))
    out += sorted((ROOT / "bench").glob("*.md")) + sorted((ROOT / "tests").glob("*.py"))
    return [p for p in out if p.name != Path(__file__).name]


def test_inequality_26_has_one_name():
    hits = []
    for path in _files():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if OTHER_NAMES.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert hits == [], "call it 'inequality (26)':\n" + "\n".join(hits)


def test_plots_and_summaries_name_26():
    from corrtherm.core.metadata import VARIABLES

    assert "(26)" in VARIABLES["lhs_26"].long_name and "(26)" in VARIABLES["slack"].long_name
    src = (ROOT / "src" / "corrtherm" / "reproduce.py").read_text(encoding="utf-8")
    assert "inequality (26) at β_A = β_B = β" in src
