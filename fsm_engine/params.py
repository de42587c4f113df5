"""One parameter-table type for tasks, families, readouts and models.

Every tunable thing in the engine declares its keyword parameters once, as a
tuple of :class:`Param` — its name, type, default, range or options and help.
The same table checks the values a notebook passes, parses the strings the
command line and the URL carry, and generates the explorer's widgets, so a new
parameter is one line in one place (TensorFlow Playground's ``state.ts`` habit).

>>> p = Param("n_units", "int", 500, "reservoir units", 1, 20_000)
>>> p.check("esn", 200)
200
>>> p.parse("esn", "300")
300
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from .errors import FSMError

TYPES = ("int", "float", "choice", "text", "bool")
#: strings that mean None for an optional parameter ("automatic")
AUTO_WORDS = ("auto", "none", "")
_TRUE_WORDS, _FALSE_WORDS = ("true", "yes", "1", "on"), ("false", "no", "0", "off")
#: the exception class a check raises (an alias: inside Param, ``type`` names the field)
ErrorClass = type[FSMError]


@dataclass(frozen=True)
class Param:
    """One keyword parameter: its type, default, allowed values and help.

    Attributes
    ----------
    name : the keyword (also the CLI's ``NAME=VALUE`` name and, prefixed, the URL key).
    type : ``"int"``, ``"float"`` (both within ``min`` .. ``max`` inclusive),
        ``"choice"`` (one of ``choices``), ``"text"`` (a str) or ``"bool"``.
    default : the value used when none is given.
    help : one sentence a student understands.
    min, max : the numeric range (int, float).
    choices : the allowed values (choice).
    label : a short widget label (default: the name with spaces).
    step : the widget grid of a number (None: integers step 1, floats are free).
    log : a float spanning decades (learning rates): widgets use a logarithmic grid.
    optional : None is allowed and means "automatic" (the help says what that is).
    advanced : hidden in the explorer's classroom mode.
    """

    name: str
    type: str
    default: object
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple = ()
    label: str = ""
    step: float | None = None
    log: bool = False
    optional: bool = False
    advanced: bool = False

    def __post_init__(self):
        if self.type not in TYPES:
            raise ValueError(f"Param {self.name!r}: type must be one of {TYPES}")

    @property
    def title(self) -> str:
        """The widget label."""
        return self.label or self.name.replace("_", " ")

    def as_dict(self) -> dict:
        """The row a front end builds its widget from."""
        row = {"type": self.type, "default": self.default, "min": self.min, "max": self.max,
               "help": self.help}
        if self.type == "choice":
            row["choices"] = list(self.choices)
        return row

    def describe_range(self) -> str:
        """The allowed values in words, for messages and help text."""
        if self.type == "choice":
            return "one of " + ", ".join(map(repr, self.choices))
        if self.type in ("int", "float"):
            return f"{self.min} to {self.max}"
        return "true or false" if self.type == "bool" else "text"

    def check(self, owner: str, value, error: ErrorClass = FSMError):
        """Return ``value`` as this parameter's Python type, or raise ``error``.

        ``owner`` (a task or model name) starts the message, e.g.
        ``"esn: n_units=0 is out of range; allowed range is 1 to 20000"``.
        """
        if value is None and self.optional:
            return None
        if self.type == "choice":
            if not _hashable(value) or value not in self.choices:
                raise error(f"{owner}: {self.name}={value!r} is not allowed; "
                            f"choose {self.describe_range()}")
            return value
        if self.type == "text":
            if not isinstance(value, str):
                raise error(f"{owner}: {self.name} must be text, got {type(value).__name__}")
            return value
        if self.type == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise error(f"{owner}: {self.name} must be true or false, got {value!r}")
            return bool(value)
        if isinstance(value, (bool, np.bool_)):
            raise error(f"{owner}: {self.name} must be a number, got {value!r}")
        if self.type == "int":
            if isinstance(value, (float, np.floating)) and math.isfinite(value) \
                    and float(value).is_integer():
                value = int(value)
            if not isinstance(value, (int, np.integer)):
                raise error(f"{owner}: {self.name} must be a whole number, got {value!r}")
            value = int(value)
        else:
            if not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(value):
                raise error(f"{owner}: {self.name} must be a finite number, got {value!r}")
            value = float(value)
        if not self.min <= value <= self.max:
            raise error(f"{owner}: {self.name}={value!r} is out of range; "
                        f"allowed range is {self.describe_range()}")
        return value

    def parse(self, owner: str, raw: str, error: ErrorClass = FSMError):
        """The value of the string ``raw`` (from the command line or a URL), checked."""
        text = raw.strip()
        if self.optional and text.lower() in AUTO_WORDS:
            return None
        if self.type == "bool":
            if text.lower() in _TRUE_WORDS:
                return True
            if text.lower() in _FALSE_WORDS:
                return False
            raise error(f"{owner}: {self.name}={raw!r} is not true or false")
        if self.type in ("int", "float"):
            try:
                number = float(text.replace("_", ""))
            except ValueError:
                raise error(f"{owner}: {self.name}={raw!r} is not a number") from None
            return self.check(owner, number, error)
        if self.type == "choice":
            for choice in self.choices:      # choices may be numbers: compare as text
                if str(choice) == text:
                    return choice
        return self.check(owner, text, error)


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def check_values(owner: str, table: Iterable[Param], values: Mapping,
                 error: type[FSMError] = FSMError) -> dict:
    """Every parameter of ``table`` with its checked value (defaults where not given).

    Raises ``error`` naming an unknown key and the allowed ones, or a bad value.
    """
    params = {p.name: p for p in table}
    for key in values:
        if key not in params:
            raise error(f"{owner}: unknown parameter {key!r}; allowed parameters are "
                        f"{', '.join(params)}")
    return {name: p.check(owner, values[name], error) if name in values else p.default
            for name, p in params.items()}


def parse_values(owner: str, table: Iterable[Param], raw: Mapping[str, str],
                 error: type[FSMError] = FSMError) -> dict:
    """Parse ``{name: "text"}`` (command line, URL) with ``table``: only the given names."""
    params = {p.name: p for p in table}
    parsed = {}
    for key, text in raw.items():
        if key not in params:
            raise error(f"{owner}: unknown parameter {key!r}; allowed parameters are "
                        f"{', '.join(params)}")
        parsed[key] = params[key].parse(owner, text, error)
    return parsed


def split_pairs(pairs: Iterable[str], what: str = "parameter") -> dict[str, str]:
    """``["k=3", "corpus=fsm"]`` -> ``{"k": "3", "corpus": "fsm"}`` (values stay text)."""
    result: dict[str, str] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep or not name.strip():
            raise FSMError(f"{what} {pair!r} is not of the form name=value")
        result[name.strip()] = raw
    return result
