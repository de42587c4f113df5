"""Every user setting of the explorer, declared once (TensorFlow Playground's ``state.ts``).

Each :class:`Setting` in :data:`SETTINGS` names its key, label, default, widget
kind, range or options and help text.  The key is also the widget key and the
URL query parameter: :func:`render` draws the widget with
``bind="query-params"``, so the address bar always holds the settings that
differ from their defaults and a shared link reproduces the setup.

Adding a setting is one entry in :data:`SETTINGS`::

    _slider("net_horizon", "Horizon", 50, 1, LIMITS.max_steps, help="...")

then ``settings.render("net_horizon")`` where the page wants the widget, and
``settings.value("net_horizon")`` anywhere else.  Rules that keep links working:

* keys are prefixed by page (``m_`` Machine, ``net_`` Network) so two pages
  never share a URL parameter, and no code assigns a session-state name that
  equals a setting key except through a widget callback;
* an integer slider's default, minimum and maximum are on its step grid
  (``min + k * step``) so every shared value round-trips exactly;
* caps come from :data:`explorer.limits.LIMITS`, so the widget range enforces
  them; a URL value outside the range (or not an option) is dropped by
  Streamlit and :func:`render` shows a message naming the setting, the value
  and the allowed range instead.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from fsm_engine import presets, tasks
from fsm_engine.analysis import SORT_ORDERS
from fsm_engine.families import FAMILIES

from .limits import LIMITS

#: session-state name of the ``{setting key: message}`` notes about rejected URL values
URL_NOTES = "settings_url_notes"
#: the largest seed a number box accepts (NumPy seeds are unbounded; links stay short)
MAX_SEED = 2**31 - 1
#: the Network page's "input" option that reads the typed text instead of a task
TYPED_TEXT = "typed text"


@dataclass(frozen=True)
class Setting:
    """One user setting: its widget, its default and its URL key.

    Attributes
    ----------
    key : widget key and URL query parameter name.
    label : the widget's label.
    default : value when the URL does not say otherwise (never written to the URL).
    kind : ``"slider"``, ``"number"`` (integer box), ``"select"``, ``"radio"`` or ``"text"``.
    help : tooltip text.
    minimum, maximum, step : numeric range (slider, number).
    options : allowed values (select, radio), URL-safe strings.
    max_chars : longest text (text).
    """

    key: str
    label: str
    default: Any
    kind: str
    help: str
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    options: tuple = field(default=())
    max_chars: int | None = None

    def url_problem(self, raw: str) -> str | None:
        """Why the URL value ``raw`` cannot be used for this setting, or None if it can."""
        if self.kind in ("select", "radio"):
            if raw in self.options:
                return None
            return f"{raw!r} is not one of {', '.join(map(str, self.options))}"
        if self.kind == "text":
            if len(raw) <= self.max_chars:
                return None
            return f"it has {len(raw):,} characters, over the cap of {self.max_chars:,}"
        try:
            number = float(raw)
        except ValueError:
            return f"{raw!r} is not a number"
        if not math.isfinite(number) or not self.minimum <= number <= self.maximum:
            return f"{raw} is outside {self.minimum:g}..{self.maximum:g}"
        if isinstance(self.default, int) and not number.is_integer():
            return f"{raw} is not a whole number"
        offset = (number - self.minimum) / self.step
        if abs(offset - round(offset)) > 1e-6:
            return f"{raw} is not on the grid {self.minimum:g}, {self.minimum + self.step:g}, ..."
        return None


def _slider(key, label, default, minimum, maximum, step=1, *, help) -> Setting:
    return Setting(key, label, default, "slider", help, minimum, maximum, step)


def _number(key, label, default, minimum, maximum, *, help) -> Setting:
    return Setting(key, label, default, "number", help, minimum, maximum, 1)


def _choice(key, label, options, default=None, *, kind="select", help) -> Setting:
    options = tuple(options)
    return Setting(key, label, options[0] if default is None else default, kind, help,
                   options=options)


def _text(key, label, default, max_chars, *, help) -> Setting:
    return Setting(key, label, default, "text", help, max_chars=max_chars)


_FAMILY_NAMES = tuple(FAMILIES)
#: Network page raster orders (the Network page defines what each one sorts by)
RASTER_ORDERS = SORT_ORDERS

SETTINGS: dict[str, Setting] = {s.key: s for s in [
    # ---------------------------------------------------------------- Machine page
    _choice("m_start", "Start from", ("preset", "random"), kind="radio",
            help="A hand-made example machine, or one drawn at random from a family."),
    _choice("m_preset", "Example machine", presets.names(),
            help="Hand-made machines that each show one idea."),
    _choice("m_family", "Family", _FAMILY_NAMES,
            help="; ".join(f"{name}: {family.summary}" for name, family in FAMILIES.items())),
    _slider("m_states", "States", 4, 1, LIMITS.max_diagram_states,
            help="How many states (random and permutation families)."),
    _text("m_alphabet", "Alphabet", "ab", 4 * LIMITS.max_symbols,
          help="The input symbols: characters like 'ab', or words separated by spaces "
               "like 'up down'."),
    _number("m_seed", "Seed", 0, 0, MAX_SEED,
            help="The same seed gives the same machine; 'New seed' draws another."),
    _slider("m_stay", "Stay probability", 0.0, 0.0, 0.99, 0.01,
            help="Random family: the chance that a transition stays in its state. "
                 "Higher means slower, longer memory."),
    _slider("m_k", "Remembered symbols k", 2, 1, 5,
            help="Delay line: it remembers exactly the last k symbols "
                 "(alphabet size ** k states)."),
    _slider("m_modulus", "Count modulo", 3, 2, LIMITS.max_diagram_states,
            help="Counter: counts one symbol modulo this number."),
    _choice("m_tape_source", "Input", ("random", "typed"), kind="radio",
            help="Step through a random input, or type your own."),
    _slider("m_tape_length", "Length", 20, 1, LIMITS.max_tape,
            help=f"Symbols in the random input (at most {LIMITS.max_tape:,})."),
    _number("m_tape_seed", "Input seed", 0, 0, MAX_SEED,
            help="The same seed gives the same random input."),
    _text("m_tape", "Typed input", "", 8 * LIMITS.max_tape,
          help=f"Symbols of the alphabet, e.g. 'abba' (words separated by spaces); "
               f"at most {LIMITS.max_tape:,} symbols are used."),
    _slider("m_speed", "Speed (steps per second)", 2.0, 0.5, 8.0, 0.5,
            help="How fast Play advances through the input."),
    # ---------------------------------------------------------------- Network page
    _slider("net_machines", "Machines N", 1000, 100, LIMITS.max_machines, 100,
            help=f"How many machines read the same input (at most {LIMITS.max_machines:,})."),
    *[_slider(f"net_mix_{name}", f"{name.replace('_', ' ')}", 1.0 if name == "random" else 0.0,
              0.0, 1.0, 0.05, help=f"Share of {name} machines in the network: {family.summary}.")
      for name, family in FAMILIES.items()],
    _slider("net_states", "States per machine", 8, 2, LIMITS.max_states,
            help="States of each random or permutation machine."),
    _slider("net_stay", "Stay probability", 0.0, 0.0, 0.99, 0.01,
            help="Random machines: the chance a transition stays put (longer memory)."),
    _slider("net_k", "Delay k", 2, 1, 4,
            help="Delay lines remember exactly the last k symbols."),
    _slider("net_modulus", "Count modulo", 3, 2, 16,
            help="Counters count one symbol modulo this number."),
    _number("net_seed", "Seed", 0, 0, MAX_SEED,
            help="The same seed gives the same machines and the same input."),
    _choice("net_input", "Input", tasks.NAMES + (TYPED_TEXT,),
            help="The input stream: a task's inputs, or text you type."),
    _text("net_text", "Typed text", "the quick brown fox jumps over the lazy dog", LIMITS.max_steps,
          help=f"Used when the input is '{TYPED_TEXT}': one character per step."),
    _slider("net_steps", "Steps T", 200, 10, LIMITS.max_steps, 10,
            help=f"How many input steps to run (at most {LIMITS.max_steps:,})."),
    _choice("net_sort", "Order machines by", RASTER_ORDERS, kind="radio",
            help="Raster rows: machine number, family, how often the state changes (activity), "
                 "or how evenly a machine spreads its time over its states (entropy)."),
]}


def value(key: str) -> Any:
    """The current value of setting ``key`` (its default before its widget first renders)."""
    return st.session_state.get(key, SETTINGS[key].default)


def render(key: str, container=None, *, on_change: Callable[[], None] | None = None,
           disabled: bool = False) -> Any:
    """Draw the widget of setting ``key``, bound to the URL, and return its value.

    Parameters
    ----------
    key : a key of :data:`SETTINGS`.
    container : where to draw (``st.sidebar``, a column, ...); default the current one.
    on_change : called (as a widget callback) when the user changes the value.
    disabled : draw the widget greyed out.

    Returns
    -------
    The widget's value.  If the page's URL carried a value the setting cannot
    take, the widget shows its default and a warning under it says why, until
    the user changes the setting.
    """
    setting = SETTINGS[key]
    where = st if container is None else container
    notes = st.session_state.setdefault(URL_NOTES, {})
    raw = st.query_params.get(key)
    if raw is not None:
        problem = setting.url_problem(raw)
        if problem:
            notes[key] = (f"The link set **{setting.label}** (`{key}`) but {problem}; "
                          f"using {setting.default!r} instead.")

    def changed() -> None:
        st.session_state[URL_NOTES].pop(key, None)
        if on_change is not None:
            on_change()

    common = dict(key=key, help=setting.help, on_change=changed, disabled=disabled,
                  bind="query-params")
    if setting.kind == "slider":
        result = where.slider(setting.label, setting.minimum, setting.maximum, setting.default,
                              setting.step, **common)
    elif setting.kind == "number":
        result = where.number_input(setting.label, setting.minimum, setting.maximum,
                                    setting.default, setting.step, **common)
    elif setting.kind == "select":
        result = where.selectbox(setting.label, setting.options,
                                 setting.options.index(setting.default), **common)
    elif setting.kind == "radio":
        result = where.radio(setting.label, setting.options, setting.options.index(setting.default),
                             horizontal=True, **common)
    else:
        result = where.text_input(setting.label, setting.default, setting.max_chars, **common)
    if key in notes:
        where.warning(notes[key], icon=":material/link_off:")
    return result
