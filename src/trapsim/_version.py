"""The one place trapsim's version is written: pyproject.toml reads it (dynamic), ``trapsim.__version__``,
``trapsim --version`` and the JSON ``meta`` blocks use it."""

__version__ = "0.1.0"
