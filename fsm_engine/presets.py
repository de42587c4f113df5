"""The shipped example machines in ``assets/machines/*.json``.

Each file is a machine in :meth:`Machine.to_dict` form plus a ``"title"`` and a
one-paragraph ``"description"`` for students (what the machine does and what it
remembers).  Family examples also carry ``"generated"``: the
:func:`~fsm_engine.families.make_machine` call they came from (outputs rounded
to 3 decimals, states renamed to say what they mean).  The files are the source
of truth; nothing is generated at run time.  Hand-written classics come first
in :func:`names`, then one example per family.
"""
from __future__ import annotations

import json

from .errors import FSMError
from .machine import Machine
from .paths import ASSETS, MissingDataError, require

#: where the preset files live: ``machines/`` in the shipped data (see :mod:`.paths`)
PRESET_DIR = ASSETS / "machines"
#: what the preset files are called in error messages
WHAT = "the preset machines (assets/machines/*.json)"


def names() -> list[str]:
    """The preset names (file stems): hand-written classics first, then family examples,
    each group in alphabetical order.

    Raises
    ------
    MissingDataError
        When the preset folder is missing or holds no preset (never an empty list).
    """
    stems = sorted(entry.name.removesuffix(".json") for entry in require(PRESET_DIR, WHAT).iterdir()
                   if entry.name.endswith(".json") and entry.is_file())
    if not stems:
        raise MissingDataError(f"{WHAT} are missing: the folder {PRESET_DIR} holds no .json file")
    return sorted(stems, key=lambda stem: "generated" in _read(stem))


def load(name: str) -> Machine:
    """The preset machine ``name``.

    Raises
    ------
    FSMError
        When there is no preset of that name (the message lists the names).
    """
    return Machine.from_dict(_read(_check_name(name)))


def info(name: str) -> dict:
    """``{"name", "title", "description", "family"}`` of a preset (``family`` is None for classics).

    Raises
    ------
    FSMError
        When there is no preset of that name (the message lists the names).
    """
    record = _read(_check_name(name))
    return {"name": name, "title": record["title"], "description": record["description"],
            "family": record.get("generated", {}).get("family")}


def _check_name(name: str) -> str:
    known = names()
    if name not in known:
        raise FSMError(f"there is no preset machine {name!r}; presets are {', '.join(known)}")
    return name


def _read(stem: str) -> dict:
    return json.loads(PRESET_DIR.joinpath(f"{stem}.json").read_text(encoding="utf-8"))
