"""Where the shipped data files are, installed or not: the one resolver every reader uses.

The data (preset machines ``machines/*.json``, the text corpus ``text/``) live in the
checkout's top-level ``assets/`` folder, and the committed benchmark results the pages
quote (``results/*.json``) in its ``results/`` folder.  Three situations must find them
alike:

* **an installed wheel** -- ``setup.py`` maps ``assets/`` into the package as
  ``fsm_engine/assets/`` and ``results/*.json`` as ``fsm_engine/results/`` (package
  data), read here with :mod:`importlib.resources`;
* **an editable install** (``make``'s ``.venv``) and
* **a plain checkout with nothing installed** (Streamlit Community Cloud runs
  ``streamlit_app.py`` from the repository root) -- the package is the checkout's
  ``fsm_engine/`` folder, so the data are the checkout's own ``assets/``.

Nothing here raises at import time: a reader asks :func:`require` for a folder and gets
a :class:`MissingDataError` that says where it looked when the data are not there.
"""
from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .errors import FSMError


def _checkout() -> Path | None:
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() else None


#: the checkout's root when the engine runs from a source checkout (the folder that holds
#: ``fsm_engine/`` and ``pyproject.toml``), None when it runs from an installed wheel
CHECKOUT: Path | None = _checkout()


class MissingDataError(FSMError):
    """A data file that ships with the package (presets, corpus) is not where it should be."""


def locate(package: str, packaged: str, checkout: str) -> Traversable:
    """The folder ``packaged`` inside ``package`` when it is there (a wheel), else the folder
    ``checkout`` of the checkout (an editable install or no install), else the packaged place
    (absent: :func:`require` then says where it looked)."""
    inside = resources.files(package) / packaged
    if inside.is_dir() or CHECKOUT is None:
        return inside
    in_checkout = CHECKOUT / checkout
    return in_checkout if in_checkout.is_dir() else inside


#: the shipped data folder: ``fsm_engine/assets`` in a wheel, the checkout's ``assets/``
ASSETS: Traversable = locate("fsm_engine", "assets", "assets")


def require(folder: Traversable, what: str) -> Traversable:
    """``folder`` if it is a directory; otherwise a :class:`MissingDataError` naming ``what``.

    Examples: ``require(ASSETS / "machines", "the preset machines")``.
    """
    if not folder.is_dir():
        where = "the installed package" if CHECKOUT is None else f"the checkout {CHECKOUT}"
        raise MissingDataError(
            f"{what} are missing: there is no folder {folder} in {where}. Reinstall "
            "fsm-network-explorer (pip install --force-reinstall fsm-network-explorer), or in a "
            "checkout restore assets/ from the repository (git checkout -- assets)")
    return folder


def results_dir() -> Path:
    """Where benchmarks write result files by default: the checkout's ``results/``, or
    ``results/`` in the current folder when the package is installed."""
    return (CHECKOUT or Path.cwd()) / "results"


def committed_results() -> Path:
    """Where the committed benchmark results the pages quote are read from: the checkout's
    ``results/`` (the same folder the benchmarks write), or the copy shipped in an
    installed wheel (``fsm_engine/results``; a benchmark run there writes to
    :func:`results_dir` and leaves the shipped copy alone)."""
    return Path(str(locate("fsm_engine", "results", "results")))
