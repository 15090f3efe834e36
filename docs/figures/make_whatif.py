"""Redraw the figures of docs/sweeps.md (and the README's "What if?" section).

Run from the project root: ``python docs/figures/make_whatif.py`` (about half
a minute on two cores).
"""

from __future__ import annotations

from pathlib import Path

import trapsim
from trapsim.figures import save
from trapsim.figures.comparison import plot_comparison
from trapsim.figures.sweeps import plot_sweep_heatmap, plot_sweep_lines
from trapsim.sweeps import grid_values

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def main() -> None:
    sc = trapsim.load(str(ROOT / "scenarios" / "defense_clause.toml"))
    save(plot_sweep_lines(trapsim.sweep(sc, "russia_reliability")), HERE / "whatif_sweep.png")
    # the README's and docs/sweeps.md's two-parameter sweep
    grid = {"china_stake": grid_values(0, 0.6, 41), "need_peace": grid_values(0, 0.4, 41)}
    save(plot_sweep_heatmap(trapsim.sweep(sc, grid, draws=20_000), "kim_trap"), HERE / "whatif_heatmap.png")
    names = ["defense_clause", "no_defense_clause", "china_pressure", "ceasefire"]
    comp = trapsim.compare([trapsim.load(str(ROOT / "scenarios" / f"{n}.toml")) for n in names])
    save(plot_comparison(comp), HERE / "whatif_compare.png")


if __name__ == "__main__":
    main()
