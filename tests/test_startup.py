"""A lean start: a command imports only the heavy libraries it uses (issue 16).

Each check runs in a fresh interpreter and looks at ``sys.modules`` after the
import or the command: behaviour, not timing (timings are in benchmarks/).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("matplotlib", "scipy", "SALib", "networkx", "dask")
#: A copy of the bundled scenario: it has truncated normals, whose validation once imported scipy.
SCENARIO = Path(__file__).parent / "data" / "kernel" / "scenarios_defense_clause.toml"

_PROBE = """
import json, sys
{body}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""

_COMMAND = """
from trapsim.cli import main
try:
    main({args!r})
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
"""


def _heavy_after(body: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(body=body, heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_cli_imports_nothing_heavy() -> None:
    assert _heavy_after("import trapsim.cli") == []


def test_importing_trapsim_imports_nothing_heavy() -> None:
    assert _heavy_after("import trapsim; trapsim.__version__") == []


def test_version_imports_nothing_heavy() -> None:
    assert _heavy_after(_COMMAND.format(args=["--version"])) == []


def test_validate_imports_nothing_heavy() -> None:
    assert "low = 0.2, high = 0.8" in SCENARIO.read_text()  # a truncated normal
    assert _heavy_after(_COMMAND.format(args=["validate", str(SCENARIO)])) == []


def test_public_names_still_resolve() -> None:
    """The lazy package still gives every public name (and only those)."""
    import trapsim

    for name in trapsim.__all__:
        assert getattr(trapsim, name) is not None
    import trapsim.api

    assert trapsim.simulate is trapsim.api.simulate
    for name in trapsim.api.__all__:  # the api package re-exports every public name of its modules
        assert getattr(trapsim.api, name) is not None
    assert callable(trapsim.api.sweep) and callable(trapsim.api.report)  # not shadowed by a submodule
    with pytest.raises(AttributeError):
        trapsim.no_such_name  # noqa: B018
    # tab completion in a notebook offers the API, not the module's own imports
    assert dir(trapsim) == sorted(trapsim.__all__)
    assert not {"annotations", "TYPE_CHECKING", "Any", "importlib"} & set(dir(trapsim))


def test_drawing_run_figures_needs_no_graph_library() -> None:
    """The figures package imports matplotlib, but networkx only for the actor graph."""
    assert _heavy_after("import trapsim.figures") == ["matplotlib"]


def test_run_without_figures_imports_no_plotting(tmp_path: Path) -> None:
    args = ["run", str(SCENARIO), "--draws", "100", "--no-figures", "--out", str(tmp_path)]
    assert "matplotlib" not in _heavy_after(_COMMAND.format(args=args))


def test_a_run_of_any_bundled_scenario_does_not_import_scipy(tmp_path: Path) -> None:
    """The truncated normals' ndtr and ndtri are trapsim's own (trapsim._normal): a run without
    figures never pays the 0.1 s of importing scipy.special (0.17 s in each worker process)."""
    from trapsim.scenario.library import library

    names = [entry.name for entry in library()]
    assert "defense_clause" in names
    body = "".join(
        _COMMAND.format(args=["run", name, "--draws", "9000", "--no-figures", "--out", str(tmp_path / name)])
        for name in names
    )
    assert _heavy_after(body) == []
    full = ["run", str(SCENARIO), "--no-figures", "--out", str(tmp_path / "full")]  # 100,000 draws, as the file says
    assert _heavy_after(_COMMAND.format(args=full)) == []


def _loaded_after(args: list[str], modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has loaded after the command ``args``."""
    probe = _PROBE.replace("{heavy!r}", "{modules!r}").format(body=_COMMAND.format(args=args), modules=modules)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_run_does_not_load_the_gambit_files_or_the_equilibrium_solver(tmp_path: Path) -> None:
    """A run of a TOML scenario pays for neither the .efg reader/writer nor `solve`'s equilibrium module."""
    args = ["run", str(SCENARIO), "--draws", "100", "--no-figures", "--out", str(tmp_path)]
    assert _loaded_after(args, ("trapsim.efg", "trapsim.equilibrium", "multiprocessing")) == []  # one process
    # ... which the commands that use them still load
    assert _loaded_after(["solve", str(SCENARIO)], ("trapsim.efg", "trapsim.equilibrium")) == ["trapsim.equilibrium"]


_THREADS = """
import os
{body}
import sys
print(json.dumps(["scipy" in sys.modules, len(os.listdir("/proc/self/task")), os.environ.get("OPENBLAS_NUM_THREADS")]))
"""


@pytest.mark.parametrize("preset", [None, "2"])
def test_a_run_has_no_idle_blas_threads_unless_asked(tmp_path: Path, preset: str | None) -> None:
    """numpy's and scipy's OpenBLAS each start a spinning thread per core, which a run never uses: the
    command line asks for one BLAS thread (the main one) before numpy loads, unless the user set a number."""
    args = ["run", str(SCENARIO), "--draws", "100", "--no-figures", "--out", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    body = "import json\n" + _COMMAND.format(args=args)
    out = subprocess.run(
        [sys.executable, "-c", _THREADS.format(body=body)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    scipy_loaded, threads, setting = json.loads(out.stdout.strip().splitlines()[-1])
    assert not scipy_loaded  # numpy's OpenBLAS only (scipy's would start its own threads)
    if preset is None:
        assert (threads, setting) == (1, "1")
    else:
        assert setting == "2"


_COMMAND_MODULES = tuple(
    f"trapsim.cli.{m}"
    for m in ("analysis", "attribution", "core", "efg", "explain", "explore", "figures", "library", "sweep")
)


@pytest.mark.parametrize(
    ("args", "loaded"),
    [(["--version"], []), (["validate", str(SCENARIO)], ["trapsim.cli.core"]), (["list"], ["trapsim.cli.library"])],
)
def test_a_command_loads_its_own_module_of_the_command_line_only(args: list[str], loaded: list[str]) -> None:
    assert _loaded_after(args, _COMMAND_MODULES) == loaded


def test_the_table_of_command_modules_names_where_each_command_is() -> None:
    from trapsim.cli import COMMAND_MODULES, load_commands, main

    commands = load_commands()
    assert commands is main.commands and sorted(commands) == sorted(COMMAND_MODULES)
    for name, cmd in commands.items():
        assert cmd.callback is not None and cmd.callback.__module__ == f"trapsim.cli.{COMMAND_MODULES[name]}", name


def test_validate_does_not_load_the_machinery_of_other_commands() -> None:
    """trapsim.api is lazy too: `validate` pays for loading and checking a file, not for sweeps,
    analyses, reports, the explainer or the classroom (each imported by the command that runs it), nor for
    the Monte Carlo runner and the solver."""
    others = ("trapsim.sweeps", "trapsim.analysis", "trapsim.report", "trapsim.explain", "trapsim.elicitation")
    assert _loaded_after(["validate", str(SCENARIO)], (*others, "trapsim.runner", "trapsim.solver")) == []


_EXITING = """
import atexit, sys, threading
from trapsim.cli import main

class Teardown:
    def __del__(self):
        print("teardown", flush=True)

kept = Teardown()  # a module global: freed only by the interpreter's teardown
atexit.register(lambda: print("exit function", flush=True))
{before}
sys.argv = ["trapsim", *{args!r}]
main()
"""


def _program(args: list[str], before: str = "") -> subprocess.CompletedProcess[str]:
    code = _EXITING.format(args=args, before=before)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_the_program_ends_without_the_interpreters_teardown_but_with_its_exit_functions() -> None:
    done = _program(["validate", str(SCENARIO)])
    assert done.returncode == 0, done.stderr
    assert "ok (" in done.stdout and done.stdout.endswith("exit function\n")  # printed and flushed
    assert "teardown" not in done.stdout  # ~0.1 s with matplotlib loaded: skipped
    bad = _program(["validate", str(SCENARIO.with_name("missing.toml"))])
    assert bad.returncode == 2 and "cannot read file" in bad.stderr
    assert "exit function" in bad.stdout and "teardown" not in bad.stdout


def test_the_usual_exit_when_another_thread_still_runs() -> None:
    waiting = "threading.Thread(target=__import__('time').sleep, args=(0.5,)).start()"
    done = _program(["validate", str(SCENARIO)], before=waiting)
    assert done.returncode == 0, done.stderr
    assert "exit function" in done.stdout and "teardown" in done.stdout  # the thread was waited for
