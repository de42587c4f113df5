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

* keys are prefixed by page (``m_`` Machine, ``net_`` Network, ``tr_`` Train, ``cmp_``
  Compare, ``learn_`` Learn) so two pages never share a URL parameter (the one
  parameter of every page is ``classroom``, see :func:`render_classroom`), and no code
  assigns a session-state name that equals a setting key except through a widget
  callback;
* an integer slider's default, minimum and maximum are on its step grid
  (``min + k * step``) so every shared value round-trips exactly;
* caps come from :data:`explorer.limits.LIMITS`, so the widget range enforces
  them; a URL value the widget does not take as it is (outside the range, not
  an option, not a whole number) is replaced by Streamlit, and :func:`render`
  shows a message naming the setting, the value, why, and the value the page
  really uses (read back from the widget, so the two always agree).  A value
  inside a slider's range but off its step grid (which the slider could not show)
  is moved to the nearest step, and the message says so.

Engine parameters (tasks, models) are not typed in here one by one:
:func:`from_param` turns a :class:`~fsm_engine.params.Param` of the engine's
parameter tables into a setting, and :func:`param_value` reads it back as the
engine's value, so a new task or model parameter appears on the Train page with
no page edit.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import streamlit as st

from fsm_engine import models, presets, tasks
from fsm_engine.analysis import SORT_ORDERS
from fsm_engine.errors import FSMError
from fsm_engine.families import FAMILIES, PARAM_TABLE
from fsm_engine.params import AUTO_WORDS, Param
from fsm_engine.readout_learner import READOUT_PARAMS

from . import compare_results, lesson, theme
from .limits import LIMITS

#: session-state name of the ``{setting key: message}`` notes about rejected URL values
URL_NOTES = "settings_url_notes"
#: the largest seed a number box accepts (NumPy seeds are unbounded; links stay short)
MAX_SEED = 2**31 - 1
#: the Network page's "input" option that reads the typed text instead of a task
TYPED_TEXT = "typed text"
#: the option of an optional choice that means None ("automatic")
AUTO = "auto"
#: longest text a text parameter's box takes (it travels in the URL)
PARAM_TEXT_CHARS = 1000
#: an integer parameter spanning at most this many values gets a slider, wider ones a box
SLIDER_SPAN = 200

# classroom mode (``?classroom=1`` on any page): see :func:`render_classroom`
#: the URL parameter, the same on every page
CLASSROOM = "classroom"
#: the key of its toggle, drawn in the shared sidebar (so it survives page changes)
CLASSROOM_WIDGET = "w_classroom"
#: URL values that switch it on (the app itself writes ``1``)
CLASSROOM_ON = ("1", "true", "yes", "on")
#: what classroom mode hides: engine parameters (besides those their table marks advanced)
#: and page settings a class does not need
CLASSROOM_HIDDEN_PARAMS = frozenset({"seed", "test_fraction"})
CLASSROOM_HIDDEN = frozenset({"m_tape_seed", "net_seed", "tr_seed", "cmp_seed"})
#: key prefix of the containers classroom mode hides (``theme.CLASSROOM_STYLE`` hides them)
HIDDEN_PREFIX = "classroom_hidden"
#: how much taller diagram boxes are in classroom mode
CLASSROOM_DIAGRAM_SCALE = 1.3


@dataclass(frozen=True)
class Setting:
    """One user setting: its widget, its default and its URL key.

    Attributes
    ----------
    key : widget key and URL query parameter name.
    label : the widget's label.
    default : value when the URL does not say otherwise (never written to the URL).
    kind : ``"slider"``, ``"number"`` (integer box), ``"float"`` (a box for any real
        number, e.g. a learning rate), ``"select"``, ``"radio"``, ``"text"`` or
        ``"checkbox"``.
    help : tooltip text.
    minimum, maximum, step : numeric range (slider, number, float).
    options : allowed values (select, radio), URL-safe strings.
    max_chars : longest text (text).
    param : the engine parameter this setting edits (:func:`from_param`), or None.
    counter : show the text box's "n/max_chars" counter (off where characters are not
        what the cap counts, e.g. an input of words).
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
    param: Param | None = None
    counter: bool = True

    @property
    def advanced(self) -> bool:
        """A control a class does not need: hidden in classroom mode (:func:`classroom`).

        An engine parameter its table marks advanced, a task's seed or held-out share, or
        a page setting listed in :data:`CLASSROOM_HIDDEN`."""
        if self.param is not None:
            return self.param.advanced or self.param.name in CLASSROOM_HIDDEN_PARAMS
        return self.key in CLASSROOM_HIDDEN

    @property
    def optional(self) -> bool:
        """Empty means "automatic" (an optional engine parameter left to the engine)."""
        return self.param is not None and self.param.optional

    def url_problem(self, raw: str) -> str | None:
        """Why the URL value ``raw`` cannot be used for this setting, or None if it can."""
        if self.optional and raw.strip().lower() in AUTO_WORDS:
            return None
        if self.kind == "checkbox":
            if raw.lower() in ("true", "false"):
                return None
            return f"{raw!r} is not true or false"
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
        if (self.kind == "number" or isinstance(self.default, int)) and not number.is_integer():
            return f"{raw} is not a whole number"
        if self.step is None:
            return None
        offset = (number - self.minimum) / self.step
        if abs(offset - round(offset)) > 1e-6:
            return f"{raw} is not on the grid {self.minimum:g}, {self.minimum + self.step:g}, ..."
        return None


    def takes(self, raw: str, used) -> bool:
        """Whether the widget value ``used`` is the URL value ``raw`` (not a replacement)."""
        if self.optional and raw.strip().lower() in AUTO_WORDS:
            return used is None or used in (AUTO, "")
        if self.kind == "checkbox":
            return raw.lower() == str(bool(used)).lower()
        if self.kind in ("select", "radio", "text"):
            return raw == str(used)
        try:
            return used is not None and math.isclose(float(raw), float(used), rel_tol=1e-9,
                                                     abs_tol=1e-12)
        except ValueError:
            return False


    def parse(self, raw: str):
        """The widget value of a URL value ``raw`` that :meth:`url_problem` accepts."""
        if self.optional and raw.strip().lower() in AUTO_WORDS:
            return AUTO if self.kind == "select" else None
        if self.kind == "checkbox":
            return raw.lower() == "true"
        if self.kind in ("select", "radio", "text"):
            return raw
        number = float(raw)
        return int(number) if self.kind == "number" or isinstance(self.default, int) else number

    def off_grid(self, number) -> bool:
        """Whether a slider value lies between the slider's steps."""
        if self.kind != "slider" or number is None:
            return False
        offset = (float(number) - self.minimum) / self.step
        return abs(offset - round(offset)) > 1e-6

    def snap(self, number):
        """The step of this slider nearest to ``number`` (inside its range)."""
        steps = math.floor((float(number) - self.minimum) / self.step + 0.5)
        value = min(self.maximum, max(self.minimum, self.minimum + steps * self.step))
        return int(round(value)) if isinstance(self.default, int) else round(value, 10)


def show_value(value) -> str:
    """A setting's value as a message shows it (``1,000``, ``0.33``, ``delayed_recall``)."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _slider(key, label, default, minimum, maximum, step=1, *, help) -> Setting:
    return Setting(key, label, default, "slider", help, minimum, maximum, step)


def _number(key, label, default, minimum, maximum, *, help) -> Setting:
    return Setting(key, label, default, "number", help, minimum, maximum, 1)


def _choice(key, label, options, default=None, *, kind="select", help) -> Setting:
    options = tuple(options)
    return Setting(key, label, options[0] if default is None else default, kind, help,
                   options=options)


def _text(key, label, default, max_chars, *, help, counter=True) -> Setting:
    return Setting(key, label, default, "text", help, max_chars=max_chars, counter=counter)


_UNSET = object()


def from_param(key: str, param: Param, *, default=_UNSET, maximum: float | None = None,
               label: str | None = None, help: str | None = None) -> Setting:
    """The setting that edits engine parameter ``param`` under the URL key ``key``.

    Parameters
    ----------
    key : the widget key and URL parameter (page-prefixed, e.g. ``"tr_fsm.n_machines"``).
    param : a row of an engine parameter table (task, family, model, readout).
    default : the page's default when it differs from the engine's (e.g. the
        question's model on the Train page); a value of the parameter's type.
    maximum : a lower cap than the parameter's own (a :data:`LIMITS` entry); a default
        above it is lowered to it.
    label, help : the page's own wording, where the parameter's would not fit the page
        (the range, type and validation stay the parameter's).

    Returns
    -------
    Setting whose widget is: a select box for a choice (with ``"auto"`` first when
    the parameter is optional), a checkbox for a bool, a text box for text, a
    slider for an integer spanning at most ``SLIDER_SPAN`` values or a float with a
    step, and a number box otherwise (empty = automatic for an optional number).
    """
    default = param.default if default is _UNSET else param.check(key, default)
    label, help_text = label or param.title, help or param.help
    if param.type == "choice":
        options = ((AUTO,) if param.optional else ()) + tuple(str(c) for c in param.choices)
        return Setting(key, label, AUTO if default is None else str(default), "select",
                       help_text, options=options, param=param)
    if param.type == "bool":
        return Setting(key, label, bool(default), "checkbox", help_text, param=param)
    if param.type == "text":
        return Setting(key, label, "" if default is None else default, "text", help_text,
                       max_chars=PARAM_TEXT_CHARS, param=param)
    low, high = param.min, param.max if maximum is None else min(param.max, maximum)
    if default is not None and default > high:
        default = type(default)(high)
    if param.type == "int":
        step = int(param.step or 1)
        high = low + (high - low) // step * step           # the top of the step grid
        slider = (high - low) / step <= SLIDER_SPAN and not param.optional
        return Setting(key, label, default, "slider" if slider else "number", help_text,
                       int(low), int(high), step, param=param)
    step = param.step or _nice_step(low, high)
    if not param.log and not param.optional and step is not None:
        high = low + math.floor(round((high - low) / step, 9)) * step
        return Setting(key, label, default, "slider", help_text, low, high, step, param=param)
    return Setting(key, label, default, "float", help_text, low, high, None, param=param)


def _nice_step(low: float, high: float) -> float | None:
    """A round slider step giving 50 to 500 positions over ``low .. high`` when that range
    is at most 1 wide; None for a wider range (it gets a number box)."""
    span = high - low
    if not 0 < span <= 1:
        return None
    return 10.0 ** math.floor(math.log10(span / 50))


def param_value(key: str):
    """The engine value of the :func:`from_param` setting ``key`` (None for "automatic")."""
    setting = SETTINGS[key]
    raw = value(key)
    if setting.optional and (raw is None or raw == AUTO or raw == ""):
        return None
    if setting.param.type == "choice":
        return setting.param.parse(key, str(raw))   # choices may be numbers: parse the text
    return raw


_FAMILY_NAMES = tuple(FAMILIES)
#: the family parameters' page sliders (their ranges, types and checks are the engine's
#: ``families.PARAM_TABLE``; the pages cap them lower where a diagram or a network of
#: delay lines would not fit): a stay of 1 never moves, so the pages stop just short
MAX_STAY = 0.99
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
    from_param("m_states", PARAM_TABLE["n_states"], default=4,
               maximum=LIMITS.max_diagram_states, label="States",
               help="How many states (random and permutation families)."),
    _text("m_alphabet", "Alphabet", "ab", 4 * LIMITS.max_symbols,
          help="The input symbols: characters like 'ab', or words separated by spaces "
               "like 'up down'."),
    _number("m_seed", "Seed", 0, 0, MAX_SEED,
            help="The same seed gives the same machine; 'New seed' draws another."),
    from_param("m_stay", PARAM_TABLE["stay"], maximum=MAX_STAY, label="Stay probability",
               help="Random family: the chance that a transition stays in its state. "
                    "Higher means slower, longer memory."),
    from_param("m_k", PARAM_TABLE["k"], maximum=5, label="Remembered symbols k",
               help="Delay line: it remembers exactly the last k symbols "
                    "(alphabet size ** k states)."),
    from_param("m_modulus", PARAM_TABLE["modulus"], maximum=LIMITS.max_diagram_states,
               label="Count modulo", help="Counter: counts one symbol modulo this number."),
    _choice("m_tape_source", "Input", ("random", "typed"), kind="radio",
            help="Step through a random input, or type your own."),
    _slider("m_tape_length", "Length", 20, 1, LIMITS.max_tape,
            help=f"Symbols in the random input (at most {LIMITS.max_tape:,})."),
    _number("m_tape_seed", "Input seed", 0, 0, MAX_SEED,
            help="The same seed gives the same random input."),
    _text("m_tape", "Typed input", "", 8 * LIMITS.max_tape, counter=False,
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
    from_param("net_states", PARAM_TABLE["n_states"], maximum=LIMITS.max_states,
               label="States per machine",
               help="States of each random or permutation machine."),
    from_param("net_stay", PARAM_TABLE["stay"], maximum=MAX_STAY, label="Stay probability",
               help="Random machines: the chance a transition stays put (longer memory)."),
    from_param("net_k", PARAM_TABLE["k"], maximum=4, label="Delay k",
               help="Delay lines remember exactly the last k symbols."),
    from_param("net_modulus", PARAM_TABLE["modulus"], maximum=16, label="Count modulo",
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
            help="The order of the rows of the two pictures: machine number; family; "
                 "activity = how often a machine's state changes (calmest first); "
                 "spread = how evenly a machine spreads its time over its states, measured "
                 "as the entropy of its state visits (fewest states used first)."),
    _number("net_pick", "Machine number", 0, 0, LIMITS.max_machines - 1,
            help="Any machine of the network (numbers start at 0)."),
    _slider("net_time", "Inputs read", 10, 0, LIMITS.max_steps,
            help="Move through time: the diagram lights the state the machine is in after "
                 "this many inputs, and the transition it just took."),
]}


# -------------------------------------------------------------------- Train page
#: the Train page's task option that trains on an uploaded sequence
UPLOAD = "your sequence"
#: models the Train page offers: every registry model that is a trained readout on a
#: fixed reservoir (its table includes the readout's), so a new reservoir appears by itself
TRAIN_MODELS = tuple(name for name in models.names()
                     if set(READOUT_PARAMS) <= set(models.get(name).params))
#: the Train page's defaults where they differ from the engine's: the question's model
#: (each machine's output, squared error, plain gradient descent) on 1000 machines
TRAIN_DEFAULTS = {"n_machines": 1000, "features": "output", "loss": "mse", "solver": "gd"}
#: the Train page's caps on engine parameters, by parameter name
TRAIN_CAPS = {"n_machines": LIMITS.max_machines, "n_units": LIMITS.max_units,
              "n_states": LIMITS.max_states, "modulus": LIMITS.max_states,
              "T": LIMITS.max_train_steps, "max_symbols": LIMITS.max_symbols}
#: the task the Train page opens on: the XOR of the last three bits (memory and a
#: nonlinearity), which the question's model visibly learns within a minute
TRAIN_TASK = "temporal_parity"


def task_key(task: str, param: str) -> str:
    """URL key of a task parameter on the Train page, e.g. ``tr_delayed_recall.k``."""
    return f"tr_{task}.{param}"


#: the readout's parameters: one table shared by every reservoir, so one key each
_READOUT_NAMES = frozenset(p.name for p in READOUT_PARAMS)


def model_key(model: str, param: str) -> str:
    """URL key of a model parameter on the Train page: ``tr_lr`` for the readout's
    parameters (shared by every reservoir, so switching keeps them), ``tr_fsm.n_machines``
    for the others."""
    return f"tr_{param}" if param in _READOUT_NAMES else f"tr_{model}.{param}"


def _train_settings() -> list[Setting]:
    rows = [
        _choice("tr_task", "Task", tasks.NAMES + (UPLOAD,), TRAIN_TASK,
                help="What the network must learn: a task from the library, or your own "
                     "sequence (upload a CSV or a text file)."),
        _choice("tr_model", "Reservoir", TRAIN_MODELS,
                help="The fixed dynamical system whose features the readout weighs: a network "
                     "of finite-state machines (the question's model) or an echo state network "
                     "(continuous units)."),
        _number("tr_seed", "Seed", 0, 0, MAX_SEED,
                help="Seed of the reservoir and of the readout's initial weights."),
        _slider("tr_upload.test_fraction", "Held-out share", 0.2, 0.0, 0.5, 0.05,
                help="Your sequence: the share at its end kept for testing (0 = test on the "
                     "training part)."),
    ]
    for task in tasks.NAMES:
        rows += [from_param(task_key(task, p.name), p, maximum=TRAIN_CAPS.get(p.name))
                 for p in tasks.params(task)]
    for name in TRAIN_MODELS:
        rows += [from_param(model_key(name, p.name), p,
                            default=TRAIN_DEFAULTS.get(p.name, _UNSET),
                            maximum=TRAIN_CAPS.get(p.name))
                 for p in models.get(name).params]
    return rows


SETTINGS.update({s.key: s for s in _train_settings()})


# -------------------------------------------------------------------- Compare page
# (keys prefixed ``cmp_``)
#: the committed comparison (results/compare.json): its validated settings are the Compare
#: page's defaults, its learning curves are drawn beside the live ones
COMMITTED = compare_results.read()
#: the models the Compare page trains side by side: every registry model
COMPARE_MODELS = models.names()
#: the task the Compare page opens on: recalling the symbol seen k steps ago, where the three
#: models differ visibly within a minute
COMPARE_TASK = "delayed_recall"
#: the Compare page's caps on engine parameters, by parameter name
COMPARE_CAPS = {**TRAIN_CAPS, "n_hidden": LIMITS.max_hidden}


def compare_task_key(task: str, param: str) -> str:
    """URL key of a task parameter on the Compare page, e.g. ``cmp_delayed_recall.k``."""
    return f"cmp_{task}.{param}"


def compare_model_key(task: str, model: str, param: str) -> str:
    """URL key of a model parameter on the Compare page, per task (each task has its own
    validated settings), e.g. ``cmp_delayed_recall.lstm.n_hidden``."""
    return f"cmp_{task}.{model}.{param}"


def _compare_model_setting(task: str, model: str, param: Param) -> Setting:
    """The setting of ``model.param`` on ``task``: the committed validated value as its
    default when there is one that fits the widget, else the registry's default."""
    key, cap = compare_model_key(task, model, param.name), COMPARE_CAPS.get(param.name)
    chosen = COMMITTED.chosen_for(task, model)
    if param.name in chosen:
        try:
            setting = from_param(key, param, default=chosen[param.name], maximum=cap)
        except FSMError:
            setting = None
        numeric = setting is not None and setting.kind in ("slider", "number", "float")
        if setting is not None and (not numeric or setting.default is None
                                    or setting.minimum <= setting.default <= setting.maximum):
            return setting
    return from_param(key, param, maximum=cap)


def _compare_settings() -> list[Setting]:
    rows = [
        _choice("cmp_task", "Task", tasks.NAMES, COMPARE_TASK,
                help="What the three models must learn, all on the same task instance."),
        _number("cmp_seed", "Seed", 0, 0, MAX_SEED,
                help="Seed of the task and of every model's random start."),
        Setting("cmp_committed", "Show the committed full-budget curves", False, "checkbox",
                "Draw the learning curves measured with the full time budget (results/"
                "compare.json) beside the live ones: dotted, one per seed, in each model's "
                "colour."),
    ]
    for task in tasks.NAMES:
        rows += [from_param(compare_task_key(task, p.name), p,
                            maximum=COMPARE_CAPS.get(p.name))
                 for p in tasks.params(task) if p.name != "seed"]
        for model in COMPARE_MODELS:
            rows += [_compare_model_setting(task, model, p) for p in models.get(model).params]
    return rows


SETTINGS.update({s.key: s for s in _compare_settings()})


# -------------------------------------------------------------------- Learn page
SETTINGS.update({s.key: s for s in [
    _choice("learn_step", "Step", lesson.STEP_KEYS,
            help="The lesson's steps, in order: Back and Next walk through them."),
]})


# -------------------------------------------------------------------- classroom mode
def classroom() -> bool:
    """Whether classroom mode is on: advanced controls hidden, text and diagrams larger."""
    return bool(st.session_state.get(CLASSROOM_WIDGET, False))


def render_classroom(container=None) -> bool:
    """Draw the classroom-mode toggle (the shared sidebar draws it on every page) and keep
    ``classroom=1`` in the address bar while it is on; return whether it is on.

    The URL decides on a session's first run (``?classroom=1`` on any page); from then on
    the toggle does, on every page: it is drawn by the app's entry point, so its value
    survives page changes, and it writes ``classroom=1`` back into each page's URL, so a
    link copied anywhere keeps the mode.  (It is not a URL-bound widget: a bound toggle
    would write ``classroom=true`` and refuse ``classroom=1``.)
    """
    where = st if container is None else container
    if CLASSROOM_WIDGET not in st.session_state:
        raw = st.query_params.get(CLASSROOM)
        st.session_state[CLASSROOM_WIDGET] = raw is not None and raw.lower() in CLASSROOM_ON
    on = where.toggle("Classroom mode", key=CLASSROOM_WIDGET,
                      help="For a projector: hides controls a class does not need (seeds, "
                           "advanced settings, files) and draws text and diagrams larger. "
                           "Links copied while it is on open in classroom mode.")
    wanted = "1" if on else None
    if st.query_params.get(CLASSROOM) != wanted:
        if wanted is None:
            del st.query_params[CLASSROOM]
        else:
            st.query_params[CLASSROOM] = wanted
    return on


def classroom_size(pixels: int, most: int | None = None) -> int:
    """A diagram box of ``pixels``, drawn larger in classroom mode (state labels grow with
    the box), but not past ``most`` pixels (e.g. what still fits on one screen beside the
    controls), nor smaller than ``pixels``."""
    if not classroom():
        return int(pixels)
    larger = int(pixels * CLASSROOM_DIAGRAM_SCALE)
    return max(int(pixels), min(larger, most)) if most is not None else larger


def classroom_figure(figure):
    """``figure`` as a page draws it: in classroom mode a copy with every font larger
    (:data:`theme.CLASSROOM_CHART_SCALE`), so axes and titles read from the back of a room;
    otherwise ``figure`` itself."""
    if not classroom():
        return figure
    return theme.scale_fonts(figure, theme.CLASSROOM_CHART_SCALE)


def hidden_in_classroom(name: str, container=None):
    """A container for controls a class does not need (expanders of advanced settings,
    file uploads and downloads): in classroom mode it is hidden from view but still drawn,
    so the settings inside keep their values and their place in the URL (a link made in
    classroom mode shows what the teacher sees); otherwise an ordinary container.

    ``name`` makes the container's key unique on the page."""
    where = st if container is None else container
    if classroom():
        return where.container(key=f"{HIDDEN_PREFIX}_{name}")
    return where.container()


def value(key: str) -> Any:
    """The current value of setting ``key``: its widget's; before the widget first renders,
    the page URL's value when the widget will take it as it is (so a page can decide what
    to draw from a link's settings before drawing them), else the value kept from an
    earlier visit, else the default."""
    if key in st.session_state:
        return st.session_state[key]
    setting = SETTINGS[key]
    raw = st.query_params.get(key)
    if raw is not None and setting.url_problem(raw) is None:
        return setting.parse(raw)
    return st.session_state.get(_kept(key), setting.default)


def forget(prefix: str) -> None:
    """Forget what this session holds of the settings whose keys start with ``prefix`` (a
    page's: ``"tr_"``): their widgets' values, the values kept for a return visit and the
    link values already judged.  The page then opens exactly as its URL says, as it would
    in a new browser (the Learn page's links, followed inside the session)."""
    for key in [k for k in SETTINGS if k.startswith(prefix)]:
        for name in (key, _kept(key), _judged(key), _snapped(key)):
            st.session_state.pop(name, None)
        st.session_state.get(URL_NOTES, {}).pop(key, None)


def _judged(key: str) -> str:
    """Session-state name of the last URL value of ``key`` :func:`render` looked at (a URL
    value is judged once; the widget's own changes then keep the URL and the page agreed)."""
    return f"{key}__judged"


def _snapped(key: str) -> str:
    """Session-state name of the step a link's off-grid slider value is moved to."""
    return f"{key}__snapped"


def _kept(key: str) -> str:
    """Session-state name of the last value of a widget :func:`render` keeps in the URL
    itself (``labels``), which outlives the widget when the user visits another page."""
    return f"{key}__kept"


def render(key: str, container=None, *, on_change: Callable[[], None] | None = None,
           disabled: bool = False, placeholder: str | None = None,
           format_func: Callable[[Any], str] | None = None,
           labels: Callable[[Any], str] | None = None,
           maximum: float | None = None) -> Any:
    """Draw the widget of setting ``key``, bound to the URL, and return its value.

    Parameters
    ----------
    key : a key of :data:`SETTINGS`.
    container : where to draw (``st.sidebar``, a column, ...); default the current one.
    on_change : called (as a widget callback) when the user changes the value.
    disabled : draw the widget greyed out.
    placeholder : what an empty number box shows (e.g. what "automatic" is now).
    format_func : how a select box or radio shows each option (Streamlit then writes the
        shown text into the URL).
    labels : how a select box or radio shows each option while the URL keeps the option
        itself (``m_preset=delay_line``, shown as the preset's title).  Streamlit cannot
        do that for a bound widget, so this widget is kept in the URL by :func:`render`:
        read from it when the widget is first drawn, written back on every run, and its
        value kept across page changes.
    maximum : a lower top of the range than the setting's own, for a range that follows
        what is on the page (e.g. the machines of the network shown).

    In classroom mode an :attr:`Setting.advanced` setting is drawn hidden
    (:func:`hidden_in_classroom`): the page still reads its value, from the link too.

    Returns
    -------
    The widget's value.  If the page's URL carried a value the widget did not take
    as it is, a warning under the widget names the setting, the value, why, and the
    value used instead (the widget's own), until the user changes the setting.
    """
    setting = SETTINGS[key]
    if maximum is not None:
        setting = replace(setting, maximum=min(setting.maximum, maximum))
    where = st if container is None else container
    note_place = where                 # where a note about the link's value goes
    if setting.advanced and classroom():
        where = hidden_in_classroom(key, where)
    notes = st.session_state.setdefault(URL_NOTES, {})
    raw = st.query_params.get(key)
    if _snapped(key) in st.session_state:         # a link's off-grid value, moved to a step
        st.session_state[key] = st.session_state.pop(_snapped(key))

    def changed() -> None:
        st.session_state[URL_NOTES].pop(key, None)
        if on_change is not None:
            on_change()

    manual = labels is not None and setting.kind in ("select", "radio")
    initial = setting.default
    if manual:
        format_func = labels
        kept = st.session_state.get(_kept(key))
        if key in st.session_state:
            pass                            # the widget's own value wins
        elif raw is not None and raw in setting.options:
            initial = raw
        elif raw is None and kept in setting.options:
            initial = kept                  # back from another page, whose URL dropped it
    common = dict(key=key, help=setting.help, on_change=changed, disabled=disabled,
                  bind=None if manual else "query-params")
    if setting.kind == "slider":
        result = where.slider(setting.label, setting.minimum, setting.maximum, setting.default,
                              setting.step, **common)
    elif setting.kind == "number":
        result = where.number_input(setting.label, setting.minimum, setting.maximum,
                                    setting.default, setting.step, placeholder=placeholder,
                                    **common)
    elif setting.kind == "float":
        result = where.number_input(setting.label, setting.minimum, setting.maximum,
                                    setting.default, format="%g", placeholder=placeholder,
                                    **common)
    elif setting.kind == "select":
        result = where.selectbox(setting.label, setting.options,
                                 setting.options.index(initial),
                                 format_func=format_func or str, **common)
    elif setting.kind == "radio":
        result = where.radio(setting.label, setting.options, setting.options.index(initial),
                             format_func=format_func or str, horizontal=True, **common)
    elif setting.kind == "checkbox":
        result = where.checkbox(setting.label, setting.default, **common)
    else:
        result = where.text_input(setting.label, setting.default,
                                  setting.max_chars if setting.counter else None, **common)
    if raw is None or raw == st.session_state.get(_judged(key)):
        raw = None                          # judged on an earlier run: its note, if any, stays
    else:
        st.session_state[_judged(key)] = raw
    if manual:
        st.session_state[_kept(key)] = result
        if result == setting.default and key in st.query_params:
            del st.query_params[key]
        elif result != setting.default and st.query_params.get(key) != result:
            st.query_params[key] = result
            # the page's own value, not a link's: the next run must not judge it as one
            st.session_state[_judged(key)] = result
    if raw is not None and setting.takes(raw, result) and setting.off_grid(result):
        snapped = setting.snap(result)
        notes[key] = (f"The link set **{setting.label}** (`{key}`) to `{raw[:60]}`, which is "
                      f"between the slider's steps ({setting.minimum:g}, "
                      f"{setting.minimum + setting.step:g}, ...); the page uses "
                      f"**{show_value(snapped)}**, the nearest step.")
        st.session_state[_snapped(key)] = snapped
        st.rerun()                 # the widget takes the step before anything else is drawn
    if raw is not None and not setting.takes(raw, result):
        problem = setting.url_problem(raw) or "the page cannot take it here"
        shown = format_func(result) if format_func and setting.kind in ("select", "radio") \
            else show_value(result)
        notes[key] = (f"The link set **{setting.label}** (`{key}`) to `{raw[:60]}`, but "
                      f"{problem}; the page uses **{shown}** instead.")
    if key in notes:
        note_place.warning(notes[key], icon=":material/link_off:")
    return result
