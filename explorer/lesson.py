"""The Learn page's lesson: its steps as data, their text built from the committed results.

A guided lesson from the forum question to the measured answer, one step per screen of a
projector: one machine, a network, the readout (the question's model), where it works,
where it fails, the echo state network, the LSTM, the machine inside a trained LSTM, and
the answer.  Each :class:`Step` has a title, a short text (Markdown), the picture the
page draws beside it (:attr:`Step.picture` names it, :attr:`Step.data` holds what it
needs) and a :class:`Link` that opens the page the step is about, configured (the
pages' own URL setting keys).

Every measured number in the text comes from the committed results files
(``results/compare.json``, ``tasks.json``, ``extract.json``, ``scaling.json``), read by
:func:`read_results`, which never raises: a missing file, a damaged one, or a missing
entry is said in the text ("not measured yet"), never replaced by a number typed here.
The files' shapes: ``bench compare`` writes ``summary`` rows (``key``, ``role``,
``metric``, ``mean``, ``sd``, ``successes``, ``seeds`` ...) beside ``tasks`` (each key's
task and parameters), ``baselines`` and ``sequences``; an older file has ``rows`` (the
model named by its label) instead.  ``bench tasks`` writes ``summary`` rows with a
``network`` label (older: ``rows`` with ``config``); ``bench extract`` writes ``rows``
per grammar and method; ``bench scaling`` writes ``summary`` rows per model, features
and N.

Plain Python (no Streamlit): the page draws, this module says what.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fsm_engine import presets
from fsm_engine.metrics import GREATER_IS_BETTER
from fsm_engine.paths import committed_results

from . import compare_results

#: the results files the lesson reads, by name
FILES = ("compare.json", "tasks.json", "extract.json", "scaling.json")
#: the command that writes each file (said when one is missing)
COMMANDS = {"compare.json": "fsm-explorer bench compare", "tasks.json": "fsm-explorer bench tasks",
            "extract.json": "fsm-explorer bench extract",
            "scaling.json": "fsm-explorer bench scaling"}
#: the largest results file read (they are tens or hundreds of kilobytes)
MAX_BYTES = 50_000_000
#: the comparison's roles in table order, and how the lesson names them
ROLES = {"fsm": "FSM network (random machines)", "fsm_designed": "FSM network (designed)",
         "esn": "echo state network", "lstm": "LSTM"}
SHORT_ROLES = {"fsm": "FSM random", "fsm_designed": "FSM designed", "esn": "ESN",
               "lstm": "LSTM"}
#: metrics whose result is "solved on k of n seeds" (every step of every test episode right)
SUCCESS_METRICS = ("five_bit_success", "twenty_bit_success", "reber_success")
#: how the lesson names each task of the results
TASK_NAMES = {
    "delayed_recall": "delayed recall", "memory_capacity": "memory capacity",
    "temporal_parity": "temporal parity", "temporal_density": "temporal density",
    "five_bit_memory": "five-bit memory", "five_bit_memory_held_out":
    "five-bit memory, held-out messages", "twenty_bit_memory": "twenty-bit memory",
    "embedded_reber": "embedded Reber grammar", "temporal_order": "temporal order",
    "adding": "adding", "narma10": "NARMA-10", "mackey_glass": "Mackey–Glass",
    "text": "text (Shakespeare)", "series": "time series", "tomita": "Tomita grammar"}
#: the preset the "one machine" step shows, the input it reads and the step it stops at
MACHINE_PRESET, MACHINE_TAPE, MACHINE_STEP = "ends_in_ab", "abbab", 2
#: the live readout of the "readout" step: the Train page's defaults (the question's model
#: on temporal parity), so its link opens the same model with nothing in the URL
READOUT_TASK = {"n": 3, "tau": 0, "T": 2000}
READOUT_MODEL = {"n_machines": 1000, "features": "output", "loss": "mse", "solver": "gd"}
#: weight updates per click on the live readout's Train button
UPDATES_PER_CLICK = 10


# ---------------------------------------------------------------------- results files
@dataclass(frozen=True)
class Score:
    """One model's result on one task: the mean over seeds of the task's metric.

    Attributes
    ----------
    source : the file it came from (``"compare.json"``).
    key : the results' name of the task entry (``"five_bit_memory_held_out"``).
    task, params : the task's name and parameters, as the file records them.
    role : who it is: ``fsm``, ``fsm_designed``, ``esn``, ``lstm`` in the comparison;
        ``random``, ``original``, ``ablation``, ``designed`` (or ``other``) in the task suite.
    label : the model as the file names it.
    metric : the metric's name; mean, sd: over seeds (None when every seed failed);
    chance : the metric of guessing; successes, seeds: seeds that solved it (None where
        the task has no success level) and seeds run.
    """

    source: str
    key: str
    task: str
    params: dict
    role: str
    label: str
    metric: str
    mean: float | None
    sd: float | None = None
    chance: float | None = None
    successes: int | None = None
    seeds: int | None = None


@dataclass(frozen=True)
class Results:
    """What the lesson could read of the committed results (:func:`read_results`).

    ``scores``: every :class:`Score` of compare.json and tasks.json; ``extract``: the rows
    of extract.json; ``scaling``: the summary rows of scaling.json; ``sequences`` and
    ``baselines``: compare.json's; ``curves``: compare.json's learning curves (as
    :mod:`explorer.compare_results` reads them); ``missing``: ``{file: why}`` of the files
    that could not be used."""

    scores: tuple = ()
    extract: tuple = ()
    scaling: tuple = ()
    sequences: dict = field(default_factory=dict)
    baselines: dict = field(default_factory=dict)
    curves: tuple = ()
    missing: dict = field(default_factory=dict)

    def score(self, source: str, key: str, role: str) -> Score | None:
        """The first score of ``role`` on ``key`` in ``source`` (None when there is none)."""
        return next((s for s in self.scores
                     if (s.source, s.key, s.role) == (source, key, role)), None)

    def has(self, source: str) -> bool:
        return source not in self.missing


def read_results(directory: str | Path | None = None) -> Results:
    """The lesson's view of the results files in ``directory`` (default ``results/``);
    never raises: a file that cannot be used is named in ``missing`` with the reason."""
    directory = Path(committed_results() if directory is None else directory)
    loaded, missing = {}, {}
    for name in FILES:
        data, why = _load(directory / name)
        if why:
            missing[name] = why
        else:
            loaded[name] = data
    scores: list[Score] = []
    sequences, baselines, curves = {}, {}, ()
    for name, parse in (("compare.json", parse_compare), ("tasks.json", parse_tasks)):
        if name in loaded:
            found = parse(loaded[name])
            if found:
                scores += found
            else:
                missing[name] = "it holds no result rows the lesson can read"
    if "compare.json" in loaded:
        data = loaded["compare.json"]
        sequences = data.get("sequences") if isinstance(data.get("sequences"), dict) else {}
        baselines = data.get("baselines") if isinstance(data.get("baselines"), dict) else {}
        curves = compare_results.parse(data).runs
    extract = parse_extract(loaded["extract.json"]) if "extract.json" in loaded else ()
    if "extract.json" in loaded and not extract:
        missing["extract.json"] = "it holds no extraction rows the lesson can read"
    scaling = parse_scaling(loaded["scaling.json"]) if "scaling.json" in loaded else ()
    if "scaling.json" in loaded and not scaling:
        missing["scaling.json"] = "it holds no summary rows the lesson can read"
    return Results(scores=tuple(scores), extract=tuple(extract), scaling=tuple(scaling),
                   sequences=sequences, baselines=baselines, curves=tuple(curves),
                   missing=missing)


def _load(path: Path) -> tuple[Any, str]:
    """``(decoded JSON, "")``, or ``(None, why it cannot be used)``."""
    try:
        size = path.stat().st_size
    except OSError:
        return None, "the file is not there yet"
    if size > MAX_BYTES:
        return None, f"the file is larger than the {MAX_BYTES:,} bytes the lesson reads"
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None, "the file could not be read as JSON"
    if not isinstance(data, dict):
        return None, "the file does not hold a JSON object"
    return data, ""


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _count(value) -> int | None:
    if isinstance(value, bool):
        return int(value)
    number = _number(value)
    return int(number) if number is not None else None


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _old_key(task: str, params: dict) -> str:
    """The key an older file's row stands for: the task's name (a series by its name)."""
    return str(params.get("name", task)) if task == "series" else task


def compare_role(label: str) -> str:
    """The role of a model an older compare.json names only by its label."""
    lowered = label.lower()
    if lowered.startswith("lstm"):
        return "lstm"
    if lowered.startswith(("esn", "echo")):
        return "esn"
    if "designed" in lowered or "stay=" in lowered:     # slow random machines: designed
        return "fsm_designed"
    return "fsm" if lowered.startswith("fsm") else "other"


def tasks_role(label: str) -> str:
    """The role of a network of the task suite, from its label."""
    for role in ("original", "ablation", "designed"):
        if label.startswith(role):
            return role
    if label.startswith("random N=") and "ridge" in label and "stay" not in label:
        return "random"
    return "other"


def parse_compare(data: dict) -> list[Score]:
    """The scores of a decoded compare.json (either shape); rows it cannot read are left out."""
    info = _dict(data.get("tasks"))
    scores = []
    for row in _list(data.get("summary")):
        row = _dict(row)
        key, role = row.get("key"), row.get("role")
        if not isinstance(key, str) or not isinstance(role, str):
            continue
        entry = _dict(info.get(key))
        scores.append(_score("compare.json", key, str(entry.get("task", key)),
                             _dict(entry.get("params")), role, row))
    if scores:
        return scores
    for row in _list(data.get("rows")):          # an older file: one row per model label
        row = _dict(row)
        task, label = row.get("task"), row.get("model")
        if not isinstance(task, str) or not isinstance(label, str):
            continue
        params = _dict(row.get("params"))
        scores.append(_score("compare.json", _old_key(task, params), task, params,
                             compare_role(label), row))
    return scores


def parse_tasks(data: dict) -> list[Score]:
    """The scores of a decoded tasks.json (either shape)."""
    scores = []
    for row in _list(data.get("summary")):
        row = _dict(row)
        key, label = row.get("key"), row.get("network")
        if not isinstance(key, str) or not isinstance(label, str):
            continue
        scores.append(_score("tasks.json", key, str(row.get("task", key)),
                             _dict(row.get("task_params")), tasks_role(label), row, label))
    if scores:
        return scores
    for row in _list(data.get("rows")):
        row = _dict(row)
        task, label = row.get("task"), row.get("config")
        if not isinstance(task, str) or not isinstance(label, str):
            continue
        params = _dict(row.get("params"))
        scores.append(_score("tasks.json", _old_key(task, params), task, params,
                             tasks_role(label), row, label))
    return scores


def _score(source, key, task, params, role, row, label=None) -> Score:
    successes = row.get("successes", row.get("solved"))
    metric = row.get("metric") if isinstance(row.get("metric"), str) else row.get("metric_name")
    return Score(source=source, key=key, task=task,
                 params={k: v for k, v in params.items() if k not in ("seed", "test_fraction")},
                 role=role, label=str(label or row.get("label") or row.get("model") or role),
                 metric=str(metric or ""), mean=_number(row.get("mean")),
                 sd=_number(row.get("sd")), chance=_number(row.get("chance")),
                 successes=_count(successes), seeds=_count(row.get("seeds")))


def parse_extract(data: dict) -> list[dict]:
    """extract.json's rows with a grammar, a method and the states found per seed."""
    rows = []
    for row in _list(data.get("rows")):
        row = _dict(row)
        grammar, method = _count(row.get("grammar")), row.get("method")
        states = [s for s in (_count(v) for v in _list(row.get("states"))) if s is not None]
        if grammar is None or not isinstance(method, str) or not states:
            continue
        rows.append({"grammar": grammar, "method": method, "states": states,
                     "minimal": _count(row.get("minimal_states")),
                     "exact": _count(row.get("exact")), "seeds": _count(row.get("seeds")),
                     "fidelity": _number(row.get("fidelity")),
                     "seconds": _number(row.get("seconds"))})
    return rows


def parse_scaling(data: dict) -> list[dict]:
    """scaling.json's summary rows with a key, a model, N and a mean (and the task's
    parameters, from its ``tasks``)."""
    tasks = _dict(data.get("tasks"))
    rows = []
    for row in _list(data.get("summary")):
        row = _dict(row)
        n, mean = _count(row.get("n")), _number(row.get("mean"))
        if not isinstance(row.get("key"), str) or not isinstance(row.get("model"), str) \
                or n is None or mean is None:
            continue
        rows.append({"key": row["key"], "model": row["model"],
                     "params": _dict(_dict(tasks.get(row["key"])).get("params")),
                     "features": str(row.get("features", "")), "n": n,
                     "n_features": _count(row.get("n_features")),
                     "metric": str(row.get("metric_name") or ""), "mean": mean,
                     "success_rate": _number(row.get("success_rate")),
                     "seeds": _count(row.get("seeds"))})
    return rows


# ---------------------------------------------------------------------- numbers as words
def task_name(key: str) -> str:
    return TASK_NAMES.get(key, key.replace("_", " "))


def params_text(params: dict) -> str:
    """``n=5, τ=2`` (the task's parameters as the file records them; corpus and name aside)."""
    shown = {k: v for k, v in params.items() if k not in ("corpus", "name")}
    return ", ".join(f"{'τ' if k == 'tau' else k}={v}" for k, v in shown.items())


def percent(value: float) -> str:
    text = f"{100 * value:.1f}"
    return f"{text[:-2] if text.endswith('.0') else text} %"


def result_text(score: Score | None, *, missing: str = "not measured yet") -> str:
    """A score as a class reads it: ``85.6 % right``, ``solved on 3 of 5 seeds``,
    ``3.68 bits per character`` ... (``missing`` when there is no score)."""
    if score is None:
        return missing
    if score.mean is None:
        return "failed on every seed"
    if score.metric in SUCCESS_METRICS and score.successes is not None and score.seeds:
        return f"solved on {score.successes} of {score.seeds} seed{'s' * (score.seeds != 1)}"
    if score.metric == "accuracy":
        return f"{percent(score.mean)} right"
    if score.metric == "bits_per_symbol":
        return f"{score.mean:.2f} bits per character"
    if score.metric == "memory_capacity":
        return f"memory capacity {score.mean:.1f}"
    if score.metric == "nrmse":
        return f"NRMSE {score.mean:.2f}"
    if score.metric == "mse":
        return f"squared error {score.mean:.3f}"
    return f"{score.metric.replace('_', ' ')} {score.mean:.3g}"


def chance_text(score: Score | None) -> str:
    """What guessing scores, as a class reads it ("" when unknown or not meaningful)."""
    if score is None or score.chance is None or score.metric in SUCCESS_METRICS:
        return ""
    if score.metric == "accuracy":
        return f"chance {percent(score.chance)}"
    if score.metric == "bits_per_symbol":
        return f"guessing by letter frequency {score.chance:.2f}"
    return f"guessing {score.chance:.3g}"


def value(score: Score | None) -> float | None:
    """The number a chart draws for ``score``: the share of seeds solved for a task with a
    success level, the mean otherwise (None without a score)."""
    if score is None or score.mean is None:
        return None
    if score.metric in SUCCESS_METRICS and score.successes is not None and score.seeds:
        return score.successes / score.seeds
    return score.mean


def better(a: Score, b: Score) -> int:
    """1 when ``a`` did clearly better than ``b``, -1 when worse, 0 when they are level
    (the same seeds solved; means within 1 % of the scale, or within both sds)."""
    va, vb = value(a), value(b)
    if va is None or vb is None:
        return 0 if va is vb else (1 if vb is None else -1)
    if a.metric in SUCCESS_METRICS:
        return (va > vb) - (va < vb)
    sign = 1 if GREATER_IS_BETTER.get(a.metric, True) else -1
    margin = max(0.01 * max(abs(va), abs(vb), 1e-12), (a.sd or 0) + (b.sd or 0))
    if abs(va - vb) <= margin:
        return 0
    return sign * ((va > vb) - (va < vb))


def _file_note(results: Results, name: str) -> str:
    why = results.missing.get(name)
    if why is None:
        return ""
    return (f"*(results/{name} cannot be used here: {why}; `{COMMANDS[name]}` writes it. "
            "Its numbers are left out rather than guessed.)*")


def _scores_line(results: Results, key: str, roles=tuple(ROLES)) -> str:
    """``FSM random 85.6 % right · LSTM 99.3 % right`` on ``key`` (models without a score
    left out; "not measured yet" when none has one)."""
    found = [(role, results.score("compare.json", key, role)) for role in roles]
    parts = [f"{SHORT_ROLES[role]} **{result_text(score)}**" for role, score in found if score]
    return " · ".join(parts) if parts else "not measured yet"


def _line_or_suite(results: Results, key: str) -> str:
    """:func:`_scores_line` on ``key``, or, when the comparison has nothing there yet, the
    random network's result in the task suite (results/tasks.json)."""
    line = _scores_line(results, key)
    alone = results.score("tasks.json", key, "random")
    if line != "not measured yet" or alone is None:
        return line
    return (f"the random network alone (“{alone.label}”, results/tasks.json) "
            f"**{result_text(alone)}**; the other models not measured yet")


def _task_title(results: Results, key: str) -> str:
    """``five-bit memory, held-out messages (T0=200, n_test=8)`` from the file's params."""
    score = next((s for s in results.scores if s.key == key and s.source == "compare.json"),
                 None)
    params = params_text(score.params) if score else ""
    return f"{task_name(key)}" + (f" ({params})" if params else "")


# ---------------------------------------------------------------------- the lesson
@dataclass(frozen=True)
class Link:
    """A page opened configured: its file stem in ``explorer/pages`` and URL settings.

    ``params`` are the page's own setting keys (``settings.SETTINGS``) and the Machine
    page's ``m_step``, as strings, exactly as they appear in the page's address."""

    page: str
    label: str
    params: dict = field(default_factory=dict)

    def query(self, **extra: str) -> str:
        return urlencode({**self.params, **extra})


@dataclass(frozen=True)
class Step:
    """One screen of the lesson.

    ``picture`` names what the page draws beside the text: ``schematic``, ``machine``,
    ``raster``, ``live_readout``, ``bars``, ``esn``, ``curves``, ``extract`` or
    ``answer``; ``data`` is what that picture needs (rows, keys); ``caption`` says how
    to read it."""

    key: str
    title: str
    text: str
    picture: str
    link: Link
    data: Any = None
    caption: str = ""


#: the steps, in lesson order (their keys are the Learn page's ``learn_step`` values)
STEP_KEYS = ("question", "machine", "network", "readout", "works", "fails", "esn", "lstm",
             "extraction", "answer")
#: the tasks each comparison picture shows
WORKS_KEYS = ("delayed_recall", "temporal_order")
FAILS_KEYS = ("five_bit_memory_held_out", "twenty_bit_memory", "embedded_reber", "text")
ESN_KEYS = ("memory_capacity", "five_bit_memory_held_out", "narma10")
LSTM_CURVE_TASK = "embedded_reber"


def steps(results: Results) -> list[Step]:
    """The lesson's steps, their text filled in from ``results``."""
    built = [_question(), _machine(), _network(), _readout(results), _works(results),
             _fails(results), _esn(results), _lstm(results), _extraction(results),
             _answer(results)]
    assert tuple(step.key for step in built) == STEP_KEYS
    return built


def _question() -> Step:
    return Step(
        "question", "The question",
        "*Can a large network of finite-state machines, each machine's output multiplied by "
        "a trained weight, do the job of an LSTM?*\n\n"
        "Every machine reads the same input, one symbol at a time, and shows an output "
        "number. Each output is multiplied by a weight and the products are added up: "
        "**y = w₁·o₁ + w₂·o₂ + …**. Only the weights learn; the machines never change.\n\n"
        "This lesson builds that model piece by piece, then measures it against two models "
        "that learn their memory: an echo state network and an LSTM.",
        "schematic",
        Link("compare", "Open the comparison"),
        caption="The question's model: one input, many fixed machines, one trained weight "
                "per machine, one sum.")


def _machine() -> Step:
    info = presets.info(MACHINE_PRESET)
    machine = presets.load(MACHINE_PRESET)
    states = machine.n_states
    return Step(
        "machine", "One machine: what a state remembers",
        f"A machine is a few states and a rule: *in this state, on this symbol, go there*. "
        f"Each state shows an output number.\n\n"
        f"This one answers **{info['title'].rstrip('?').lower()}?** {info['description']}\n\n"
        f"A state is a summary of the past. With {states} states a machine tells at most "
        f"{states} pasts apart — about {math.log2(states):.1f} bits. Everything else it has "
        "read is forgotten.",
        "machine",
        Link("machine", "Step it on the Machine page",
             {"m_preset": MACHINE_PRESET, "m_tape_source": "typed", "m_tape": MACHINE_TAPE,
              "m_step": str(MACHINE_STEP)}),
        data={"preset": MACHINE_PRESET, "tape": MACHINE_TAPE, "position": MACHINE_STEP},
        caption=f"After reading “{MACHINE_TAPE[:MACHINE_STEP]}”: the filled state is where the "
                "machine is, the bold arrow the transition it just took.")


def _network() -> Step:
    return Step(
        "network", "A network: many machines, one input",
        "Now take many machines — half of them random, half *delay lines* that remember "
        "the last few symbols exactly — and feed them **the same input**. Each keeps its "
        "own state.\n\n"
        "In the picture each row is a machine and each column an input; the colour is the "
        "machine's state. Columns where many rows change: machines reacting to the same "
        "symbol. Long flat runs: memory.\n\n"
        "At every step, the machines' outputs together are the **features** the readout "
        "weighs.",
        "raster",
        Link("network", "Open the Network page",
             {"net_mix_random": "0.5", "net_mix_delay_line": "0.5", "net_sort": "family"}),
        data={"mix": {"random": 0.5, "delay_line": 0.5}, "machines": 40, "steps": 60},
        caption="States over time: one row per machine (random machines above, delay lines "
                "below), one column per input.")


def _readout(results: Results) -> Step:
    original = results.score("tasks.json", "temporal_parity", "original")
    best = results.score("tasks.json", "temporal_parity", "random")
    if original is None:
        measured = ("The committed task suite has no result of this model on temporal parity "
                    "yet. " + _file_note(results, "tasks.json"))
    else:
        chance = chance_text(original)
        measured = (f"Measured (results/tasks.json), on temporal parity "
                    f"({params_text(original.params)}): this exact model, "
                    f"“{original.label}”, gets **{result_text(original)}**"
                    + (f" ({chance})" if chance else "") + "; the same kind of network read "
                    "through one-hot states with the best readout, a ridge solve, gets "
                    f"**{result_text(best)}**. Plain gradient descent on outputs is the "
                    "weakest way to read these machines, not their limit.")
    return Step(
        "readout", "The readout: the question's model, trained",
        "This is the question's model exactly: each machine's output times a weight, "
        "summed; the weights start small and random and move by **gradient descent** on the "
        "squared error Σ(y − target)².\n\n"
        "The task: *temporal parity* — is the number of 1s among the last "
        f"{READOUT_TASK['n']} input bits odd? Press **Train** and watch the error fall and "
        "the accuracy rise.\n\n" + measured,
        "live_readout",
        Link("train", "Open it on the Train page"),
        data={"task": "temporal_parity", "task_params": dict(READOUT_TASK),
              "model": "fsm", "model_params": dict(READOUT_MODEL)},
        caption=f"Live: the question's model learning (each click is {UPDATES_PER_CLICK} "
                "updates of the weights).")


def _works(results: Results) -> Step:
    text = (
        "**A designed delay line.** A machine whose state *is* the last few symbols turns "
        "“say the symbol you saw k steps ago” into a lookup. On "
        f"{_task_title(results, 'delayed_recall')}: "
        f"{_scores_line(results, 'delayed_recall')}.\n\n"
        "**Slow random machines** (a transition stays put with probability *stay*) hold a "
        "rare event for about 1/(1 − stay) steps. On "
        f"{_task_title(results, 'temporal_order')} — which of two marked symbols came first? "
        f"— {_scores_line(results, 'temporal_order')}.\n\n"
        "The honest intuition: a delay-line bank with a one-hot readout *is* an n-gram "
        "model; a random bank is a set of random history features. When the feature a task "
        "needs is among them, the readout finds it.")
    return Step(
        "works", "Where it works", text + _maybe_note(results, "compare.json"), "bars",
        Link("train", "Train a delay line on delayed recall",
             {"tr_task": "delayed_recall", "tr_delayed_recall.k": "3",
              "tr_fsm.family": "delay_line", "tr_fsm.k": "4", "tr_fsm.n_machines": "1",
              "tr_fsm.features": "state", "tr_solver": "ridge"}),
        data={"keys": WORKS_KEYS},
        caption="Committed results (results/compare.json), mean over seeds on held-out data; "
                "dashed: chance.")


def _fails(results: Results) -> Step:
    trained = results.score("compare.json", "five_bit_memory", "fsm")
    lines = [
        "Memory the machines cannot see coming.",
        "**Five-bit memory**: remember five bits through a long pause, then replay them. "
        f"Random machines tested on the messages they trained on: **{result_text(trained)}**. "
        "Tested on messages they never saw: "
        f"{_line_or_suite(results, 'five_bit_memory_held_out')}.",
        f"**Twenty-bit memory** (always held out): "
        f"{_line_or_suite(results, 'twenty_bit_memory')}.",
        f"**Embedded Reber grammar** (which letter may come next, remembering the first one "
        f"through a long middle): {_scores_line(results, 'embedded_reber')}.",
        f"**Text** (the next letter of Shakespeare): {_scores_line(results, 'text')}"
        + _text_baseline(results) + ".",
        "Many random history features can fit the training messages — a lookup. A held-out "
        "message needs a rule.",
    ]
    return Step(
        "fails", "Where it fails", "\n\n".join(lines) + _maybe_note(results, "compare.json"),
        "bars",
        Link("compare", "Compare them on held-out five-bit memory",
             {"cmp_task": "five_bit_memory", "cmp_five_bit_memory.n_test": "8"}),
        data={"keys": FAILS_KEYS},
        caption="Committed results: the share of seeds that solved each memory task; bits "
                "per character for text (lower is better).")


def _text_baseline(results: Results) -> str:
    baseline = _dict(results.baselines.get("text"))
    unigram, bigram = _number(baseline.get("unigram")), _number(baseline.get("bigram"))
    if unigram is None or bigram is None:
        return ""
    return (f" (letter frequencies alone: {unigram:.2f}; the letter before: {bigram:.2f} "
            "bits per character)")


def _esn(results: Results) -> Step:
    lines = [f"**{_task_title(results, key)}**: "
             f"{_scores_line(results, key, ('fsm', 'fsm_designed', 'esn'))}"
             for key in ESN_KEYS]
    return Step(
        "esn", "Its continuous cousin: the echo state network",
        "Replace each machine by a unit holding a real number, updated as "
        "x ← tanh(W_in·u + W·x): fixed random dynamics, a trained linear readout. The same "
        "idea as the question's, with continuous states — *reservoir computing*. A unit's "
        "value fades smoothly instead of jumping between a few states.\n\n"
        + "  \n".join(lines) + _maybe_note(results, "compare.json"),
        "esn",
        Link("train", "Train an echo state network", {"tr_model": "esn"}),
        data={"units": 6, "steps": 50},
        caption="Six units of an echo state network reading random bits: continuous states "
                "that echo the input and fade.")


def _lstm(results: Results) -> Step:
    found = _dict(results.sequences.get("embedded_reber"))
    per_seed = [s for s in _list(_dict(found.get("lstm")).get("per_seed"))
                if _number(s) is not None]
    reference = found.get("hochreiter_schmidhuber_1997")
    if per_seed:
        ordered = sorted(per_seed)
        sequences = (f" It solved the embedded Reber grammar after a median of "
                     f"**{ordered[len(ordered) // 2]:,.0f} training strings**"
                     + (f" (Hochreiter & Schmidhuber, 1997: {reference})"
                        if isinstance(reference, str) else "") + ".")
    else:
        sequences = (" How many training strings it needed is not in results/compare.json "
                     "yet.")
    lines = [f"**{_task_title(results, key)}**: {_scores_line(results, key, ('fsm', 'lstm'))}"
             for key in ("embedded_reber", "twenty_bit_memory", "text")]
    return Step(
        "lstm", "The LSTM: memory that is learned",
        "An LSTM's memory cells have **gates** — input, forget, output — that training "
        "opens and shuts. It learns *what* to remember and for how long, instead of "
        "hoping a random machine happens to hold it. The price: gradients through time and "
        "many updates." + sequences + "\n\n" + "  \n".join(lines)
        + _maybe_note(results, "compare.json"),
        "curves",
        Link("compare", "Race them on the Reber grammar", {"cmp_task": "embedded_reber"}),
        data={"task": LSTM_CURVE_TASK},
        caption="Committed learning curves on the embedded Reber grammar: the held-out "
                "metric against seconds of training, one line per seed.")


def _extraction(results: Results) -> Step:
    rows = list(results.extract)
    if not rows:
        measured = ("The extraction results are not here yet. "
                    + _file_note(results, "extract.json"))
    else:
        parts = []
        for method, name in (("quantise", "clustering its hidden states"),
                             ("lstar", "Angluin's L* with the LSTM as the oracle")):
            group = [r for r in rows if r["method"] == method]
            runs = sum(r["seeds"] or len(r["states"]) for r in group)
            exact = sum(r["exact"] or 0 for r in group)
            fidelities = [r["fidelity"] for r in group if r["fidelity"] is not None]
            if not group:
                continue
            agreement = ""
            if fidelities and min(fidelities) >= 1.0:
                agreement = ", agreeing with the LSTM on every held-out string"
            elif fidelities:
                agreement = (f", agreeing with the LSTM on at least {percent(min(fidelities))} "
                             "of held-out strings")
            parts.append(f"{name}: the smallest possible machine in **{exact} of {runs}** "
                         f"runs over {len(group)} grammars{agreement}")
        measured = "Measured (results/extract.json) — " + "; ".join(parts) + "."
    return Step(
        "extraction", "The machine inside a trained LSTM",
        "Run the question backwards. Train an LSTM on a *Tomita grammar* (a regular "
        "language of 0s and 1s), then read a finite-state machine off it.\n\n" + measured
        + "\n\nOn these tasks a trained LSTM *is* a small finite-state machine — one found "
        "by gradient descent instead of drawn at random.",
        "extract",
        Link("compare", "Extract a machine on the Compare page",
             {"cmp_task": "tomita", "cmp_tomita.grammar": "3"}),
        data={"rows": rows},
        caption="States of the machine read off the LSTM (median over seeds) against the "
                "smallest machine of each grammar.")


def answer_rows(results: Results) -> list[dict]:
    """One row per task of the comparison: ``{"key", "title", "metric", role: Score}``,
    and ``best``: the roles whose score no other role beats."""
    keys = list(dict.fromkeys(s.key for s in results.scores if s.source == "compare.json"))
    rows = []
    for key in keys:
        found = {role: results.score("compare.json", key, role) for role in ROLES}
        present = {role: s for role, s in found.items() if s is not None and s.mean is not None}
        best = [role for role, s in present.items()
                if all(better(other, s) <= 0 for other in present.values())]
        first = next(iter(present.values()), None)
        rows.append({"key": key, "title": _task_title(results, key),
                     "metric": first.metric if first else "", "best": best, **found})
    return rows


def verdict(results: Results) -> tuple[list[str], list[str], list[str]]:
    """``(tasks where an FSM network did at least as well as the LSTM, tasks where the
    LSTM did better, tasks no model solved on any seed)``, by task title, from the
    comparison's scores.  A task with a success level that every model failed on every
    seed is in the third list only: being level at nothing is not doing as well."""
    level, lstm_better, unsolved = [], [], []
    for row in answer_rows(results):
        lstm = row["lstm"]
        networks = [row[r] for r in ("fsm", "fsm_designed") if row[r] is not None]
        if lstm is None or not networks:
            continue
        scores = [row[r] for r in ROLES if row[r] is not None]
        if all(s.metric in SUCCESS_METRICS and s.successes == 0 for s in scores):
            unsolved.append(task_name(row["key"]))
            continue
        best = max(better(n, lstm) for n in networks)
        (level if best >= 0 else lstm_better).append(task_name(row["key"]))
    return level, lstm_better, unsolved


#: the tasks whose growth the answer reports, in order
SCALING_KEYS = ("five_bit_memory", "twenty_bit_memory", "delayed_recall")


def _scaling_text(results: Results) -> str:
    """How far size took the FSM network (its largest measured feature set per task)."""
    rows = [r for r in results.scaling if r["model"] == "fsm"]
    if not rows:
        note = _file_note(results, "scaling.json") or "(results/scaling.json)."
        return f"How far size alone takes the network is not measured here yet {note}"
    parts = []
    for key in SCALING_KEYS:
        group = [r for r in rows if r["key"] == key]
        if not group:
            continue
        largest = max(group, key=lambda r: (r["n_features"] or 0, r["n"]))
        rate, seeds = largest["success_rate"], largest["seeds"]
        score = Score("scaling.json", key, key, {}, "fsm", "", largest["metric"],
                      largest["mean"], successes=None if rate is None or not seeds
                      else round(rate * seeds), seeds=seeds)
        features = (f"{largest['n_features']:,} one-hot state features"
                    if largest["features"] == "state" and largest["n_features"]
                    else "its outputs")
        params = params_text(largest["params"])
        parts.append(f"{task_name(key)}" + (f" ({params})" if params else "")
                     + f": **{result_text(score)}** with {largest['n']:,} machines ({features})")
    if not parts:
        return "How far size alone takes the network on these tasks is not measured yet."
    return ("Growing the network (results/scaling.json, training messages for five-bit "
            "memory, held-out ones for twenty-bit): " + "; ".join(parts) + ".")


def _answer(results: Results) -> Step:
    level, lstm_better, unsolved = verdict(results)
    if level or lstm_better or unsolved:
        # task titles may hold commas ("five-bit memory, held-out messages"): ";" between
        measured = ("**An FSM network did as well as the LSTM** on: "
                    + ("; ".join(level) or "none of the tasks")
                    + ".  \n**The LSTM did better** on: "
                    + ("; ".join(lstm_better) or "none of the tasks") + ".")
        if unsolved:
            measured += ("  \n**No model solved** (on any seed, within its budget): "
                         + "; ".join(unsolved) + ".")
    else:
        measured = ("The comparison's results are not here yet. "
                    + _file_note(results, "compare.json"))
    return Step(
        "answer", "The answer",
        measured + "\n\n"
        "Why: a machine with S states holds at most log₂ S bits about the past; the "
        "network's power is the readout combining many machines, and a readout can only "
        "combine the history features the machines happen to hold. Where the memory a task "
        "needs is short, or designed in, that is enough — and one ridge solve is cheap. "
        "Where it must be long, exact and learned, an LSTM learns it.\n\n"
        + _scaling_text(results),
        "answer",
        Link("compare", "See the committed curves live", {"cmp_committed": "true"}),
        data={"rows": answer_rows(results)},
        caption="Committed results (results/compare.json): mean over seeds on held-out "
                "data; bold: the best on that task (results within their seeds' spread count "
                "as level).")


# ---------------------------------------------------------------------- pictures' data
#: what a bar chart's axis says, by metric
AXES = {"accuracy": "accuracy", "bits_per_symbol": "bits per character (lower is better)",
        "memory_capacity": "memory capacity", "nrmse": "NRMSE (lower is better)",
        "mse": "squared error (lower is better)"}


def short_text(score: Score) -> str:
    """A score in a few characters, for a bar's label: ``3/5``, ``85.6 %``, ``3.68``."""
    if score.mean is None:
        return "failed"
    if score.metric in SUCCESS_METRICS and score.successes is not None and score.seeds:
        return f"{score.successes}/{score.seeds}"
    if score.metric == "accuracy":
        return percent(score.mean)
    return f"{score.mean:.3g}"


def chart_rows(results: Results, keys, roles=tuple(ROLES)) -> list[dict]:
    """The data of a bar chart of the comparison: per task of ``keys`` that has a score,
    ``{"title", "metric", "chance", "axis", "bars": [{"role", "value", "text"}]}``."""
    rows = []
    for key in keys:
        found = [(role, results.score("compare.json", key, role)) for role in roles]
        bars = [{"role": role, "value": value(score), "text": short_text(score)}
                for role, score in found if score is not None]
        if not bars:
            continue
        first = next(score for _, score in found if score is not None)
        success = first.metric in SUCCESS_METRICS
        rows.append({"title": task_name(key), "metric": first.metric,
                     "chance": None if success or first.metric == "memory_capacity"
                     else first.chance,
                     "axis": "share of seeds solved" if success
                     else AXES.get(first.metric, first.metric.replace("_", " ")),
                     "bars": bars})
    return rows


def answer_table(rows: list[dict]) -> str:
    """The answer as a Markdown table: one row per task, one column per model, the best
    on each task in bold ("—" where a model was not run)."""
    if not rows:
        return ""
    lines = ["| task | " + " | ".join(SHORT_ROLES.values()) + " |",
             "|---|" + "---|" * len(SHORT_ROLES)]
    for row in rows:
        cells = []
        for role in SHORT_ROLES:
            score = row.get(role)
            text = short_text(score) if score is not None else "—"
            cells.append(f"**{text}**" if role in row["best"] and score is not None else text)
        lines.append(f"| {task_name(row['key'])} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _maybe_note(results: Results, name: str) -> str:
    note = _file_note(results, name)
    return f"\n\n{note}" if note else ""


def step_index(key: str) -> int:
    """The position of step ``key`` (0 for an unknown key)."""
    return STEP_KEYS.index(key) if key in STEP_KEYS else 0
