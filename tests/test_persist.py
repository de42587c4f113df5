"""Model files (fsm_engine/persist.py): a trained FSM network or echo state network with its
readout is saved to .npz and loaded back with the same predictions; bad files are refused
with a message, before anything large is unpacked."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest

from fsm_engine import models, persist, tasks
from fsm_engine.errors import CapacityError, FSMError
from fsm_engine.persist import ModelFileError
from fsm_engine.sequences import load_sequence
from fsm_engine.training import Trainer


def trained(model: str, task=None, seed: int = 3, updates: int = 5, **params):
    task = task or tasks.make("temporal_parity", T=400)
    learner = models.build(model, task, seed, **params)
    Trainer(learner).advance(updates)
    return learner


FSM = dict(n_machines=120, features="output", loss="mse", solver="gd")
ESN = dict(n_units=60, solver="adam", lr=0.05)


@pytest.mark.parametrize("model, params", [("fsm", FSM), ("esn", ESN),
                                           ("fsm", dict(n_machines=40, features="state",
                                                        family="random:1,counter:0.5"))])
def test_a_saved_model_loads_back_with_the_same_predictions(model, params):
    learner = trained(model, **params)
    loaded = persist.loads(persist.dumps(learner, model, params, 3, updates=5))
    assert loaded.model == model and loaded.seed == 3 and loaded.updates == 5
    assert loaded.params == models.check_params(model, params)
    assert np.array_equal(loaded.learner.outputs(), learner.outputs())
    assert loaded.learner.lr == learner.lr and loaded.learner.l2 == learner.l2


def test_a_loaded_model_keeps_training_like_the_original():
    learner = trained("fsm", **FSM)
    loaded = persist.loads(persist.dumps(learner, "fsm", FSM, 3)).learner
    Trainer(learner).advance(3)
    Trainer(loaded).advance(3)
    assert np.allclose(loaded.outputs(), learner.outputs())


def test_an_uploaded_sequence_travels_inside_the_file():
    task = load_sequence(b"a,0\nb,1\nb,0\na,1\n" * 30, "mine.csv")
    learner = trained("fsm", task, n_machines=30)
    loaded = persist.loads(persist.dumps(learner, "fsm", {"n_machines": 30}, 3))
    assert loaded.task.params["file"] == "mine.csv"
    assert np.array_equal(loaded.task.inputs, task.inputs)
    assert np.array_equal(loaded.learner.outputs(), learner.outputs())


def test_the_file_is_a_plain_npz_with_a_version_and_the_reservoir():
    learner = trained("fsm", **FSM)
    with np.load(io.BytesIO(persist.dumps(learner, "fsm", FSM, 3)), allow_pickle=False) as npz:
        assert str(npz["format"]) == persist.FORMAT and int(npz["version"]) == persist.VERSION
        assert np.array_equal(npz["bank_transitions"], learner.source.transitions)
        assert np.array_equal(npz["coef"], learner.readout.coef_)
        meta = json.loads(str(npz["meta"]))
    assert meta["model"] == "fsm" and meta["task"]["name"] == "temporal_parity"
    assert meta["alphabet"] == ["0", "1"]


def rewritten(data: bytes, **changes) -> bytes:
    """The model file ``data`` with some entries replaced (None deletes one)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    for name, value in changes.items():
        if value is None:
            arrays.pop(name)
        else:
            arrays[name] = value
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def saved() -> bytes:
    return persist.dumps(trained("fsm", **FSM), "fsm", FSM, 3)


@pytest.mark.parametrize("change, words", [
    (dict(version=np.array(persist.VERSION + 1)), "newer than this program reads"),
    (dict(format=np.array("something else")), "not a model file"),
    (dict(version=None), "no version number"),
    (dict(meta=None), "no 'meta' entry"),
    (dict(meta=np.array("{not json")), "not valid JSON"),
    (dict(coef=None), "no 'coef' entry"),
    (dict(coef=np.zeros((2, 7))), "must have shape"),
    (dict(coef=np.full((2, 120), np.nan)), "not finite"),
    (dict(bank_outputs=np.zeros((120, 8), np.float32)), "differs from the one its settings build"),
    (dict(bank_transitions=None), "no 'bank_transitions' entry"),
    (dict(obj=np.array([{"a": 1}], dtype=object)), "Python objects"),
])
def test_bad_model_files_are_refused_with_a_message(saved, change, words):
    with pytest.raises(FSMError, match=words):
        persist.loads(rewritten(saved, **change))


def test_a_file_that_is_not_a_zip_is_refused():
    with pytest.raises(ModelFileError, match="not a readable .npz"):
        persist.loads(b"hello, I am a text file")


def test_sizes_are_checked_from_the_headers_before_unpacking(saved):
    bomb = rewritten(saved, padding=np.zeros(5_000_000, dtype=np.uint8))   # compresses to little
    assert len(bomb) < 100_000
    with pytest.raises(ModelFileError, match="over the cap of 1,000,000 bytes"):
        persist.loads(bomb, max_bytes=1_000_000)


def test_the_callers_check_runs_before_the_model_is_built(saved):
    seen = []

    def refuse(model, params, task):
        seen.append((model, params["n_machines"], task.name))
        raise CapacityError("120 machines is over the cap of 100 machines")

    with pytest.raises(CapacityError, match="over the cap of 100 machines"):
        persist.loads(saved, check=refuse)
    assert seen == [("fsm", 120, "temporal_parity")]


def test_a_loaded_model_records_what_automatic_rates_are():
    automatic = trained("fsm", **FSM).lr
    explicit = dict(FSM, lr=automatic / 10)
    loaded = persist.loads(persist.dumps(trained("fsm", **explicit), "fsm", explicit, 3))
    assert loaded.auto_lr == automatic and loaded.learner.lr == pytest.approx(automatic / 10)
    assert loaded.auto_l2 == 0.0 and loaded.params["lr"] == pytest.approx(automatic / 10)
