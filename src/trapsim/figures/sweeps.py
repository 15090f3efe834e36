"""Figures of a sweep: lines with 95% bands (one parameter), heatmaps (two parameters).

Like every figure, these draw on a ``matplotlib.figure.Figure`` and never
touch pyplot; :func:`write_sweep_figures` saves them with
:func:`trapsim.figures.save`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from trapsim.figures.saving import save
from trapsim.figures.style import PALETTE, fit, footnote, new_axes, styled, wrap_measured
from trapsim.sampling import central_value
from trapsim.sweeps.result import SweepResult

__all__ = ["plot_sweep_heatmap", "plot_sweep_lines", "write_sweep_figures"]

_FONT = 14


def _central(result: SweepResult, name: str) -> float | None:
    """The swept parameter's central value in the scenario as written (``None`` if not in range)."""
    value = central_value(result.scenario.parameter(name).dist)
    values = result.axes[name]
    return value if min(values) <= value <= max(values) else None


def _axis_name(result: SweepResult, name: str) -> str:
    """``Label (unit)`` of a swept parameter, with its id where the file gives a label."""
    sc = result.scenario
    label, unit = sc.label_of("parameter", name), sc.unit_of(name)
    text = name if label == name else f"{label} ({name})"
    return f"{text} [{unit}]" if unit else text


def _footer(fig: Figure, result: SweepResult, what: str) -> None:
    """A grey line of provenance under the axes (room is kept for it in the layout)."""
    fixed = "".join(f" · {k}={v:g}" for k, v in result.fixed.items())
    text = (
        f"{result.draws:,} draws per point · seed {result.seed} (the same draws at every point: "
        f"common random numbers) · solver {result.solver}{fixed} · {what}"
    )
    footnote(fig, fit(text, _FONT - 3, fig.get_figwidth() - 0.4), size=_FONT - 3)


@styled
def plot_sweep_lines(result: SweepResult, *, ax: Axes | None = None) -> Figure:
    """One line per trap (rate in % against the varied parameter) with its 95% Wilson band."""
    if len(result.axes) != 1:
        raise ValueError("plot_sweep_lines needs a one-parameter sweep")
    ((name, values),) = result.axes.items()
    fig, ax = new_axes(ax)
    x = np.asarray(values)
    traps = result.scenario.traps
    for i, trap in enumerate(traps):
        colour = PALETTE[i % len(PALETTE)]
        lo, hi = result.ci95(trap.id)
        rates = result.rates(trap.id)  # the same rates, not only the same counts (denominators differ)
        twin = next((t.title for t in traps[:i] if np.array_equal(result.rates(t.id), rates, equal_nan=True)), None)
        label = f"{trap.title} (same as {twin})" if twin else trap.title  # else it hides under the twin
        if trap.given is not None:
            label += f" (among {trap.denominator()})"  # a gap where that never happened
            if np.isnan(rates).all():
                label += ": n/a, it never happened"
        ax.fill_between(x, lo * 100, hi * 100, color=colour, alpha=0.25, linewidth=0)
        ax.plot(x, result.rates(trap.id) * 100, color=colour, linewidth=2.5, marker="o", markersize=4, label=label)
    centre = _central(result, name)
    if centre is not None:
        ax.axvline(centre, color="#555555", linestyle=":", linewidth=1.5)
        ax.annotate(
            f"scenario's central value ({centre:.3g})",
            (centre, 1),
            xycoords=("data", "axes fraction"),
            xytext=(4, -4),
            textcoords="offset points",
            va="top",
            fontsize=_FONT - 3,
            color="#555555",
        )
    ax.set_xlabel(wrap_measured(_axis_name(result, name), _FONT, 8.0), fontsize=_FONT)  # the legend takes the right
    conditional = any(t.given is not None for t in traps)
    ax.set_ylabel(
        "Rate (%) among the draws in the legend" if conditional else "Share of draws in which the trap fires (%)",
        fontsize=_FONT,
    )
    ax.margins(x=0.02)
    ax.set_ylim(bottom=0)
    ax.tick_params(labelsize=_FONT)
    ax.spines[["top", "right"]].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    legend = ax.legend(  # outside the data, on the right: it never covers a line or its band
        handles,
        [wrap_measured(text, _FONT - 1, 3.6) for text in labels],
        fontsize=_FONT - 1,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
    )
    legend.set_gid("traps")
    ax.set_title(
        f"{result.scenario.title}\nWhat if {name} were fixed? (sweep {result.id})", fontsize=_FONT + 2, loc="left"
    )
    _footer(fig, result, "bands: 95% Wilson intervals")
    return fig


def _edges(values: np.ndarray) -> np.ndarray:
    """Cell edges half-way between grid values (works for uneven grids)."""
    if len(values) == 1:
        return np.array([values[0] - 0.5, values[0] + 0.5])
    mid = (values[1:] + values[:-1]) / 2
    return np.concatenate([[2 * values[0] - mid[0]], mid, [2 * values[-1] - mid[-1]]])


@styled
def plot_sweep_heatmap(result: SweepResult, trap: str, *, ax: Axes | None = None) -> Figure:
    """The rate of one trap over a two-parameter grid, with a colour bar and the 50% contour.

    The first varied parameter runs along x, the second along y. The colour
    scale runs from 0 to the highest rate on the grid; small grids also show
    the rate in each cell.
    """
    if len(result.axes) != 2:
        raise ValueError("plot_sweep_heatmap needs a two-parameter sweep")
    (xname, xv), (yname, yv) = result.axes.items()
    x, y = np.asarray(xv), np.asarray(yv)
    z = np.ma.masked_invalid(result.rates(trap).T * 100)
    z.mask = np.ma.getmaskarray(z)  # (y, x); masked where given never held
    fig, ax = new_axes(ax)
    top = max(float(z.max()) if z.count() else 0.0, 1.0)
    mesh = ax.pcolormesh(_edges(x), _edges(y), z, cmap="viridis", vmin=0, vmax=top, shading="flat")
    bar = fig.colorbar(mesh, ax=ax)
    t = result.scenario.trap(trap)
    bar.set_label(
        "Share of draws in which the trap fires (%)" if t.given is None else f"Rate (%) among {t.denominator()}",
        fontsize=_FONT,
    )
    bar.ax.tick_params(labelsize=_FONT - 2)
    note = _contours(ax, x, y, z)
    if z.size <= 144:
        _cell_numbers(ax, x, y, z, top)
    cx, cy = _central(result, xname), _central(result, yname)
    if cx is not None and cy is not None:  # on the axes' edges, never over a cell
        style: dict[str, Any] = {
            "marker": "^",
            "markersize": 13,
            "color": "#D55E00",
            "clip_on": False,
            "linestyle": "none",
            "zorder": 5,
        }
        ax.plot([cx], [-0.018], transform=ax.get_xaxis_transform(), **style)  # tip on the axis
        style["marker"] = ">"
        ax.plot([-0.01], [cy], transform=ax.get_yaxis_transform(), **style)
        ax.tick_params(pad=12)
        note += " · orange triangles on the axes: the scenario's central values"
    title = result.scenario.trap(trap).title
    ax.set_xlabel(wrap_measured(_axis_name(result, xname), _FONT, 9.5), fontsize=_FONT)
    ax.set_ylabel(wrap_measured(_axis_name(result, yname), _FONT, 4.2), fontsize=_FONT)  # the axes' height
    ax.tick_params(labelsize=_FONT)
    for values, set_ticks in ((x, ax.set_xticks), (y, ax.set_yticks)):
        if len(values) <= _CELL_TICKS:  # on the cells' values: a tick between two wide rows reads as a row's value
            set_ticks(*_cell_ticks(values))
    ax.set_title(
        f"{title}: how often it fires as {xname} and {yname} vary\n{result.scenario.title}",
        fontsize=_FONT + 2,
        loc="left",
    )
    _footer(fig, result, note)
    return fig


#: An axis of at most this many values has its ticks on the values (wider grids keep round ticks).
_CELL_TICKS = 15


def _cell_ticks(values: np.ndarray, most: int = 9) -> tuple[list[float], list[str]]:
    """Ticks at the grid's own values (every k-th, at most ``most``, always the first), labelled as given."""
    step = -(-len(values) // most)
    at = [float(v) for v in values[::step]]
    return at, [f"{v:.4g}" for v in at]


def _contours(ax: Axes, x: np.ndarray, y: np.ndarray, z: np.ma.MaskedArray) -> str:
    """The 50% contour (labelled only where cells carry no numbers) and, on big grids, thin level lines; the note."""
    if not z.count():
        note = "the trap's condition never held on this grid"
    elif z.min() < 50 < z.max() and min(z.shape) >= 2:
        cs = ax.contour(x, y, z, levels=[50], colors="white", linewidths=3)
        if z.size > 144:  # where cells show their numbers, a label would sit over them
            ax.clabel(cs, fmt="50%%", fontsize=_FONT)
        note = "white line: 50% contour"
    else:
        note = f"the rate stays {'below' if z.max() <= 50 else 'above'} 50% on this grid"
    if z.count() and z.size > 144 and min(z.shape) >= 2:  # too many cells to label: thin contours show the shape
        levels = [v for v in MaxNLocator(7).tick_values(z.min(), z.max()) if z.min() < v < z.max() and v != 50]
        if levels:
            lines = ax.contour(x, y, z, levels=levels, colors="#222222", linewidths=0.8, alpha=0.7)
            ax.clabel(lines, fmt="%.3g%%", fontsize=_FONT - 3)
    return note


def _cell_numbers(ax: Axes, x: np.ndarray, y: np.ndarray, z: np.ma.MaskedArray, top: float) -> None:
    """Each cell's rate (or n/a) in its middle, dark on light cells and light on dark ones."""
    mask = np.ma.getmaskarray(z)
    for j, yy in enumerate(y):
        for i, xx in enumerate(x):
            shown = "n/a" if mask[j, i] else f"{z[j, i]:.1f}"
            ax.text(
                xx,
                yy,
                shown,
                ha="center",
                va="center",
                fontsize=_FONT - 3,
                color="black" if not mask[j, i] and z[j, i] > 0.6 * top else "white",
            )


def write_sweep_figures(result: SweepResult, out_dir: str | Path, *, fmt: str = "png") -> list[Path]:
    """Save a sweep's figures into ``out_dir``; return their paths.

    One-parameter sweeps: ``<scenario>_<sweep>.<fmt>``; two-parameter sweeps:
    ``<scenario>_<sweep>_<trap>.<fmt>`` for every trap.
    """
    out = Path(out_dir)
    stem = f"{result.scenario.name}_{result.id}"
    if len(result.axes) == 1:
        return [save(plot_sweep_lines(result), out / f"{stem}.{fmt}")]
    return [save(plot_sweep_heatmap(result, t), out / f"{stem}_{t}.{fmt}") for t in result.trap_ids]
