"""The models registry: every model the explorer compares, declared once.

Each :class:`Model` has a name (``"fsm"``, ``"esn"``, ``"lstm"``), a label, a
parameter table (:class:`~fsm_engine.params.Param`, the same type tasks use) and
a builder that returns a Learner for the one :class:`~fsm_engine.training.Trainer`.
The command line, the experiments, the benchmarks, sweeps and the explorer's
pages get models — and their widgets — only from here, so a new model is one
module plus one :func:`register` call.

>>> from fsm_engine import models, tasks
>>> task = tasks.make("delayed_recall", k=2, m=3, T=2000)
>>> learner = models.build("esn", task, seed=0, n_units=100)
>>> models.label("fsm", {"n_machines": 500})
'FSM network N=500 random, state features, ridge'
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import families
from .errors import FSMError
from .params import Param, check_values, parse_values
from .readout_learner import READOUT_PARAMS, ReadoutLearner
from .tasks import Task

#: most machines / units / hidden units a model may be built with (the caps of the bank and
#: the ESN still apply to what they allocate)
MAX_MACHINES = 1_000_000
MAX_UNITS = 20_000
MAX_HIDDEN = 1024


@dataclass(frozen=True)
class Model:
    """One registered model.

    Attributes
    ----------
    name : registry key (``--models fsm,esn,lstm``; ``-P fsm.n_machines=500``).
    label : what the model is called in tables and legends.
    summary : one sentence for help texts and the Learn page.
    params : the parameter table.
    builder : ``builder(task, values, seed)`` -> a Learner; ``values`` is complete
        and checked (see :func:`check_params`).
    describe : ``describe(values)`` -> a short label of one configuration.
    """

    name: str
    label: str
    summary: str
    params: tuple[Param, ...]
    builder: Callable[[Task, dict, int], object]
    describe: Callable[[dict], str]

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise FSMError(f"{self.name}: unknown parameter {name!r}; allowed parameters are "
                       f"{', '.join(p.name for p in self.params)}")


MODELS: dict[str, Model] = {}


def register(model: Model) -> Model:
    """Add ``model`` to the registry (its name must be new)."""
    if model.name in MODELS:
        raise ValueError(f"model {model.name!r} is registered already")
    MODELS[model.name] = model
    return model


def get(name: str) -> Model:
    """The registered model ``name``; FSMError naming the known ones otherwise."""
    if name not in MODELS:
        raise FSMError(f"unknown model {name!r}; known models are {', '.join(MODELS)}")
    return MODELS[name]


def names() -> tuple[str, ...]:
    return tuple(MODELS)


def check_params(name: str, values: Mapping | None = None) -> dict:
    """Every parameter of model ``name`` with its checked value (defaults where not given)."""
    return check_values(name, get(name).params, values or {})


def parse_params(name: str, raw: Mapping[str, str]) -> dict:
    """Parse ``{param: "text"}`` (command line, URL, config files) for model ``name``."""
    return parse_values(name, get(name).params, raw)


def build(name: str, task: Task, seed: int = 0, **values):
    """A Learner of model ``name`` on ``task``, with the given parameters (others default).

    Raises FSMError (or a subclass: CapacityError, TaskError) for an unknown model or
    parameter, a value out of range, a size over a cap, or a task the model cannot
    train on; nothing large is allocated before the caps are checked.
    """
    model = get(name)
    return model.builder(task, check_values(name, model.params, values), int(seed))


def label(name: str, values: Mapping | None = None) -> str:
    """A short label of model ``name`` with these parameters (others default)."""
    return get(name).describe(check_params(name, values))


def _readout_values(values: dict) -> dict:
    return {p.name: values[p.name] for p in READOUT_PARAMS}


def _readout_label(values: dict) -> str:
    solver = values["solver"]
    if values["loss"] == "mse" and solver == "gd":
        solver = "squared error, plain GD"
    elif values["loss"] is not None:
        solver = f"{values['loss']}, {solver}"
    return solver + (f", L2={values['l2']:g}" if values["l2"] is not None else "")


# ---------------------------------------------------------------------- fsm
def _build_fsm(task: Task, values: dict, seed: int) -> ReadoutLearner:
    family_values = {p.name: values[p.name] for p in families.PARAMS}
    bank = families.make_bank(values["family"], values["n_machines"], task.alphabet, seed=seed,
                              **family_values)
    return ReadoutLearner(task, bank, features=values["features"],
                          recurrence=values["recurrence"], random_state=seed,
                          **_readout_values(values))


def _describe_fsm(values: dict) -> str:
    mix = families.parse_mix(values["family"])
    used = [p for name in mix for p in families.FAMILIES[name].params]
    details = "".join(f" {p}={values[p]:g}" for p in dict.fromkeys(used)
                      if values[p] != families.PARAM_TABLE[p].default)
    text = (f"FSM network N={values['n_machines']} {values['family']}{details}, "
            f"{values['features']} features, {_readout_label(values)}")
    return text + ("" if values["recurrence"] else ", no recurrence")


register(Model(
    name="fsm", label="FSM network",
    summary="N finite-state machines read the input; a linear readout of their outputs or "
            "one-hot states is trained (the question's model).",
    params=(
        Param("n_machines", "int", 500, "number of machines N", 1, MAX_MACHINES,
              label="machines N"),
        Param("family", "text", "random", "the family mix, e.g. 'random' or "
              "'random:0.7,delay_line:0.3' (families: " + ", ".join(families.FAMILIES) + ")",
              label="family mix"),
        *families.PARAMS,
        Param("features", "choice", "state", "what the readout sees: each machine's output "
              "(the question's model, N numbers) or the one-hot code of its state (N×S "
              "numbers, so the readout learns every output table)", choices=("output", "state"),
              label="features"),
        *READOUT_PARAMS,
        Param("recurrence", "bool", True, "False is the ablation where every machine is reset "
              "at every step, so it only sees the current symbol", advanced=True),
    ),
    builder=_build_fsm, describe=_describe_fsm))


# ---------------------------------------------------------------------- esn
def _build_esn(task: Task, values: dict, seed: int) -> ReadoutLearner:
    from .esn import EchoStateNetwork

    reservoir = EchoStateNetwork(task.n_symbols, values["n_units"],
                                 spectral_radius=values["spectral_radius"], leak=values["leak"],
                                 input_scaling=values["input_scaling"],
                                 density=values["density"], bias_scaling=values["bias_scaling"],
                                 random_state=seed)
    return ReadoutLearner(task, reservoir, features="state", random_state=seed,
                          **_readout_values(values))


def _describe_esn(values: dict) -> str:
    return (f"ESN N={values['n_units']} ρ={values['spectral_radius']:g} "
            f"leak={values['leak']:g}, {_readout_label(values)}")


register(Model(
    name="esn", label="Echo state network",
    summary="N continuous tanh units with fixed random recurrent weights read the input; a "
            "linear readout of their states is trained (reservoir computing).",
    params=(
        Param("n_units", "int", 500, "number of reservoir units N", 1, MAX_UNITS,
              label="units N"),
        Param("spectral_radius", "float", 0.9, "largest |eigenvalue| of the recurrent weights: "
              "near 1 remembers longer, above 1 may turn chaotic", 0.0, 2.0, step=0.05,
              label="spectral radius ρ"),
        Param("leak", "float", 1.0, "leak rate a: 1 replaces the state each step, smaller "
              "values make slower units", 0.01, 1.0, step=0.01, label="leak rate"),
        Param("input_scaling", "float", 1.0, "input weights are uniform in ±this", 0.0, 10.0,
              step=0.05, label="input scaling", advanced=True),
        Param("density", "float", 0.1, "fraction of nonzero recurrent weights: each unit reads "
              "round(density × N) others (0 of them, no recurrence at all, when density × N < "
              "0.5)", 0.001, 1.0, log=True, label="density", advanced=True),
        Param("bias_scaling", "float", 0.0, "biases are uniform in ±this", 0.0, 10.0,
              step=0.05, label="bias scaling", advanced=True),
        *READOUT_PARAMS,
    ),
    builder=_build_esn, describe=_describe_esn))


# ---------------------------------------------------------------------- lstm
def _build_lstm(task: Task, values: dict, seed: int):
    from .lstm_learner import LSTMLearner

    return LSTMLearner(task, random_state=seed, **values)


def _describe_lstm(values: dict) -> str:
    layers = f" x{values['n_layers']}" if values["n_layers"] > 1 else ""
    return f"LSTM H={values['n_hidden']}{layers}"


register(Model(
    name="lstm", label="LSTM",
    summary="A long short-term memory network (NumPy, trained by backpropagation through "
            "time with Adam): it learns what to remember.",
    params=(
        Param("n_hidden", "int", 64, "hidden units H per layer", 1, MAX_HIDDEN,
              label="hidden units H"),
        Param("n_layers", "int", 1, "stacked LSTM layers", 1, 4, label="layers",
              advanced=True),
        Param("lr", "float", 0.01, "Adam learning rate", 1e-6, 1.0, log=True,
              label="learning rate"),
        Param("batch_size", "int", 32, "sequences (episodic tasks) or parallel lanes (one "
              "long stream) per update", 1, 1024, label="batch size"),
        Param("window", "int", None, "steps back-propagated through per update; automatic: "
              "whole episodes (full BPTT) for episodic tasks, 100 for one long stream",
              1, 100_000, optional=True, label="BPTT window", advanced=True),
        Param("forget_bias", "float", 1.0, "initial forget-gate bias: larger starts with a "
              "longer memory", -5.0, 10.0, step=0.5, label="forget-gate bias", advanced=True),
        Param("clip", "float", 1.0, "gradient-norm clipping bound (none: no clipping)",
              1e-3, 1e3, log=True, optional=True, label="gradient clip", advanced=True),
        Param("l2", "float", 0.0, "L2 penalty on the weights", 0.0, 1.0, label="L2 penalty",
              advanced=True),
        Param("fresh", "bool", True, "train on freshly generated sequences every batch where "
              "the task can generate them (temporal order, Reber, adding, twenty-bit memory, "
              "Tomita)",
              label="fresh sequences", advanced=True),
    ),
    builder=_build_lstm, describe=_describe_lstm))
