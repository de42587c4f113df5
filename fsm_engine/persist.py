"""Save a trained readout model (reservoir + readout + task) to one ``.npz`` file, and load it.

The file is a NumPy ``.npz`` archive (``numpy.load(path)`` opens it in a
notebook; nothing in it needs pickle):

=====================  ==========================================================
``format``, ``version``  ``"fsm-explorer-model"`` and :data:`VERSION`
``meta``               JSON text: the registry model name and its parameters, the
                       seed, the learning rate and L2 penalty in use, the updates
                       made, and the task (a library task's name and parameters)
``coef``, ``intercept``  the readout's weights ``[K, F]`` and bias ``[K]``
``bank_*``             a machine bank: ``transitions [X, N, S]``, ``outputs [N, S]``,
                       ``start [N]``, ``n_states [N]`` (the alphabet is in ``meta``)
``esn_*``              an echo state network: ``W`` as CSR (``W_data``,
                       ``W_indices``, ``W_indptr``), ``W_in [N, X]``, ``bias [N]``
``task_*``             an uploaded sequence (a task no seed can rebuild): its
                       ``inputs``, ``targets``, ``mask``, ``resets``, ``holdout``
=====================  ==========================================================

Loading rebuilds the model from its registry name, parameters and seed — the
same code path that built it, with automatic rates whose values it records —
and then checks that the rebuilt reservoir is
exactly the one in the file before it loads the readout's weights, so the
loaded model makes the same predictions as the saved one.  A file whose
reservoir differs (edited, or made by an engine that draws machines
differently) is refused with a message.  Every array's size is read from its
header and checked against ``max_bytes`` before it is unpacked.
"""
from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import models, tasks
from .bank import MachineBank
from .errors import FSMError
from .sequences import SEQUENCE_TASK
from .tasks import Task

FORMAT = "fsm-explorer-model"
#: the file layout's version; files of a later version are refused with a message
VERSION = 1
#: default cap on the bytes the arrays of a loaded file unpack to
MAX_BYTES = 200_000_000
_TASK_ARRAYS = ("inputs", "targets", "mask", "resets", "holdout")


class ModelFileError(FSMError):
    """A model file that cannot be loaded (the message says why)."""


@dataclass
class LoadedModel:
    """What :func:`loads` returns: the rebuilt learner and what it was built from."""

    model: str          # registry name
    params: dict        # the model's parameters (checked values)
    seed: int
    task: Task
    learner: object     # a ReadoutLearner with the saved weights and rates
    updates: int        # updates made before it was saved
    auto_lr: float      # what an automatic learning rate is for this model (its safe step)
    auto_l2: float      # what an automatic L2 penalty is for this model


def dumps(learner, model: str, params: dict, seed: int, updates: int = 0) -> bytes:
    """The ``.npz`` bytes of a trained readout model.

    Parameters
    ----------
    learner : a :class:`~fsm_engine.readout_learner.ReadoutLearner` built by
        ``models.build(model, learner.task, seed, **params)``.
    model, params, seed : how it was built (``params`` may omit defaults).
    updates : updates made so far (recorded, shown when it is loaded).
    """
    values = models.check_params(model, params)
    task = learner.task
    if task.name == SEQUENCE_TASK:
        task_meta = {"name": task.name, "params": task.params, "alphabet": list(task.alphabet),
                     "classes": list(task.classes), "kind": task.kind, "chance": task.chance,
                     "metric": task.metric, "description": task.description}
    else:
        task_meta = {"name": task.name, "params": task.params}
    meta = {"model": model, "params": values, "seed": int(seed), "lr": float(learner.lr),
            "l2": float(learner.l2), "updates": int(updates), "task": task_meta,
            "label": models.label(model, values)}
    arrays = {"format": np.array(FORMAT), "version": np.array(VERSION)}
    state = learner.state_dict()
    arrays.update(coef=state["coef"], intercept=state["intercept"])
    source_arrays, alphabet = reservoir_arrays(learner.source)
    arrays.update(source_arrays)
    if alphabet is not None:
        meta["alphabet"] = list(alphabet)
    if task.name == SEQUENCE_TASK:
        arrays.update({f"task_{name}": getattr(task, name) for name in _TASK_ARRAYS})
    arrays["meta"] = np.array(json.dumps(meta))
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **arrays)   # as the loader reads it
    return buffer.getvalue()


def reservoir_arrays(source) -> tuple[dict[str, np.ndarray], tuple | None]:
    """The arrays that define a feature source, by file name, and its alphabet (a bank's)."""
    if isinstance(source, MachineBank):
        return ({"bank_transitions": source.transitions, "bank_outputs": source.outputs,
                 "bank_start": source.start, "bank_n_states": source.n_states},
                source.alphabet)
    from .esn import EchoStateNetwork

    if isinstance(source, EchoStateNetwork):
        return ({"esn_W_data": source.W.data, "esn_W_indices": source.W.indices,
                 "esn_W_indptr": source.W.indptr, "esn_W_in": source.W_in,
                 "esn_bias": source.bias}, None)
    return {}, None


def loads(data: bytes, *, max_bytes: int = MAX_BYTES,
          check: Callable[[str, dict, Task], None] | None = None) -> LoadedModel:
    """Rebuild the model saved by :func:`dumps`.

    Parameters
    ----------
    data : the file's bytes.
    max_bytes : cap on what its arrays unpack to (checked from their headers first).
    check : called as ``check(model, params, task)`` before the model is built, to
        refuse sizes over a caller's caps (it raises FSMError).

    Raises
    ------
    ModelFileError saying what is wrong (not a model file, a later version, a
    missing or malformed entry, a reservoir that differs from the one its settings
    build, weights of the wrong shape); FSMError / TaskError / CapacityError from
    rebuilding the task or the model.
    """
    arrays = _read_npz(data, max_bytes)
    if str(arrays.get("format", "")) != FORMAT:
        raise ModelFileError("this is not a model file of FSM Network Explorer (no "
                             f"format={FORMAT!r} entry)")
    version = arrays.get("version")
    if version is None or version.shape != () or version.dtype.kind not in "iu":
        raise ModelFileError("the model file has no version number")
    if int(version) > VERSION:
        raise ModelFileError(f"the model file is version {int(version)}, newer than this "
                             f"program reads (version {VERSION}); update FSM Network Explorer")
    meta = _meta(arrays)
    try:
        model, seed = str(meta["model"]), int(meta["seed"])
        params = models.check_params(model, meta["params"])
        task = _task(meta["task"], arrays)
    except (KeyError, TypeError, ValueError) as err:
        if isinstance(err, FSMError):
            raise
        raise ModelFileError(f"the model file's description is incomplete or malformed "
                             f"({err!r})") from None
    if check is not None:
        check(model, params, task)
    # built with automatic rates (recorded), then given the rates that were in use
    automatic = {name: None for name in ("lr", "l2")
                 if name in params and models.get(model).param(name).optional}
    learner = models.build(model, task, seed, **dict(params, **automatic))
    auto_lr, auto_l2 = learner.lr, learner.l2
    expected, alphabet = reservoir_arrays(learner.source)
    for name, array in expected.items():
        if name not in arrays:
            raise ModelFileError(f"the model file has no {name!r} entry for its reservoir")
        if arrays[name].shape != array.shape or not np.array_equal(arrays[name], array):
            raise ModelFileError(
                f"the reservoir in the file ({name}) differs from the one its settings build "
                "here, so its weights would not fit; save the model again with this version")
    if alphabet is not None and tuple(meta.get("alphabet", ())) != tuple(alphabet):
        raise ModelFileError("the machines' alphabet in the file differs from the task's")
    missing = [name for name in ("coef", "intercept") if name not in arrays]
    if missing:
        raise ModelFileError(f"the model file has no {missing[0]!r} entry (the readout)")
    learner.load_state_dict({"coef": arrays["coef"], "intercept": arrays["intercept"]})
    try:
        learner.set_rates(lr=float(meta["lr"]), l2=float(meta["l2"]))
    except (KeyError, TypeError, ValueError) as err:
        if isinstance(err, FSMError):
            raise
        raise ModelFileError("the model file's learning rate or L2 penalty is missing") \
            from None
    return LoadedModel(model, params, seed, task, learner, int(meta.get("updates", 0)),
                       auto_lr, auto_l2)


def _read_npz(data: bytes, max_bytes: int) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` archive, refusing object arrays and oversized ones
    (sizes read from the headers before anything is unpacked)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        total = 0
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                raise ModelFileError(f"the model file holds {info.filename!r}, which is not a "
                                     "NumPy array")
            with archive.open(info) as member:
                major, _ = np.lib.format.read_magic(member)
                read_header = (np.lib.format.read_array_header_1_0 if major == 1
                               else np.lib.format.read_array_header_2_0)
                shape, _, dtype = read_header(member)
            if dtype.hasobject:
                raise ModelFileError(f"{info.filename} holds Python objects; a model file "
                                     "holds numbers and text only")
            total += int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if total > max_bytes:
                raise ModelFileError(f"the model file unpacks to more than {max_bytes:,} bytes, "
                                     f"over the cap of {max_bytes:,} bytes")
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise ModelFileError(f"this is not a readable .npz model file ({err})") from None
    except ValueError as err:
        if isinstance(err, FSMError):
            raise
        raise ModelFileError(f"this is not a readable .npz model file ({err})") from None


def _meta(arrays: dict) -> dict:
    raw = arrays.get("meta")
    if raw is None or raw.shape != () or raw.dtype.kind != "U":
        raise ModelFileError("the model file has no 'meta' entry (its description)")
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError as err:
        raise ModelFileError(f"the model file's description is not valid JSON ({err})") \
            from None
    if not isinstance(meta, dict):
        raise ModelFileError("the model file's description is not a JSON object")
    return meta


def _task(meta: dict, arrays: dict) -> Task:
    """The task of a model file: a library task rebuilt from its name and parameters, or an
    uploaded sequence from its arrays."""
    name = meta["name"]
    if name != SEQUENCE_TASK:
        return tasks.make(name, **meta["params"])
    fields = {}
    for field in _TASK_ARRAYS:
        key = f"task_{field}"
        if key not in arrays:
            raise ModelFileError(f"the model file has no {key!r} entry (its sequence)")
        fields[field] = arrays[key]
    n_steps = fields["inputs"].shape[0]
    if any(array.shape[:1] != (n_steps,) for array in fields.values()):
        raise ModelFileError("the model file's sequence arrays have different lengths")
    for field, array in fields.items():
        array.setflags(write=False)
        if field != "targets" and field != "inputs" and array.dtype != bool:
            raise ModelFileError(f"the model file's task_{field} is not true/false flags")
    alphabet = tuple(str(s) for s in meta["alphabet"])
    if fields["inputs"].dtype.kind not in "iu" or fields["inputs"].min(initial=0) < 0 \
            or fields["inputs"].max(initial=0) >= len(alphabet):
        raise ModelFileError("the model file's task_inputs are not codes of its alphabet")
    classes = tuple(str(c) for c in meta["classes"])
    targets = fields["targets"]
    if meta["kind"] not in (tasks.CLASSIFICATION, tasks.REGRESSION):
        raise ModelFileError(f"the model file's task kind {meta['kind']!r} is unknown")
    if meta["kind"] == tasks.CLASSIFICATION and (
            targets.dtype.kind not in "iu" or targets.min(initial=0) < 0
            or targets.max(initial=0) >= len(classes)):
        raise ModelFileError("the model file's task_targets are not codes of its classes")
    if meta["kind"] == tasks.REGRESSION and (targets.dtype.kind != "f"
                                             or not np.isfinite(targets).all()):
        raise ModelFileError("the model file's task_targets are not finite numbers")
    return Task(name=name, params=dict(meta["params"]), alphabet=alphabet,
                classes=classes, kind=str(meta["kind"]),
                chance=float(meta["chance"]), metric=str(meta["metric"]),
                description=str(meta["description"]), **fields)
