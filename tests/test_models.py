"""The models registry: every model builds on every task and trains; a new model is one entry."""
import numpy as np
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

from fsm_engine import models, tasks
from fsm_engine.errors import CapacityError, FSMError
from fsm_engine.esn import EchoStateNetwork
from fsm_engine.families import make_bank
from fsm_engine.params import Param
from fsm_engine.readout import safe_learning_rate
from fsm_engine.readout_learner import ReadoutLearner
from fsm_engine.training import Trainer

#: every task, small enough that 3 models x 12 tasks build and train in seconds
SMALL_TASKS = {
    "delayed_recall": dict(k=2, m=3, T=400),
    "memory_capacity": dict(K=4, T=400),
    "temporal_parity": dict(n=2, T=400),
    "temporal_density": dict(n=3, T=400),
    "five_bit_memory": dict(T0=5),
    "twenty_bit_memory": dict(T0=5, n_train=20, n_test=5),
    "embedded_reber": dict(n_strings=20),
    "temporal_order": dict(n_sequences=20),
    "adding": dict(T=10, n_sequences=20),
    "text": dict(corpus="fsm", T=500),
    "series": dict(T=400),
    "tomita": dict(n_strings=40, max_length=8),
}
SMALL_MODELS = {"fsm": dict(n_machines=20), "esn": dict(n_units=20),
                "lstm": dict(n_hidden=4, batch_size=4)}


def test_small_tasks_cover_every_task():
    assert set(SMALL_TASKS) == set(tasks.NAMES)


@pytest.mark.parametrize("task_name", sorted(SMALL_TASKS))
@pytest.mark.parametrize("model", ["fsm", "esn", "lstm"])
def test_every_model_builds_on_every_task_and_trains(model, task_name):
    task = tasks.make(task_name, seed=1, **SMALL_TASKS[task_name])
    learner = models.build(model, task, seed=1, **SMALL_MODELS[model])
    trainer = Trainer(learner)
    progress = trainer.advance(2)
    assert progress.updates >= 1 and np.isfinite(progress.metrics["metric"])
    assert learner.outputs().shape == (task.T, task.n_outputs)
    assert learner.seen > 0 and learner.seen_unit in ("sequences", "steps")
    assert learner.n_parameters > 0 and learner.weights_view().ndim == 2


def test_every_model_declares_its_parameters_in_one_table_with_valid_defaults():
    for name in models.names():
        model = models.get(name)
        assert model.label and model.summary
        assert models.check_params(name) == {p.name: p.default for p in model.params}
        assert models.label(name)


def test_the_fsm_model_takes_every_family_parameter_from_the_families_table():
    from fsm_engine import families

    names = {p.name for p in models.get("fsm").params}
    assert {p.name for p in families.PARAMS} <= names


def test_unknown_models_and_parameters_are_refused_naming_them():
    task = tasks.make("delayed_recall", **SMALL_TASKS["delayed_recall"])
    with pytest.raises(FSMError, match="unknown model 'gru'; known models are fsm, esn, lstm"):
        models.build("gru", task)
    with pytest.raises(FSMError, match="esn: unknown parameter 'n_machines'"):
        models.build("esn", task, n_machines=3)
    with pytest.raises(FSMError, match="esn: spectral_radius=-1"):
        models.build("esn", task, spectral_radius=-1)


def test_an_oversized_model_is_refused_before_allocating():
    task = tasks.make("delayed_recall", k=2, m=3, T=400)
    with pytest.raises(CapacityError):
        models.build("fsm", task, n_machines=1_000_000, n_states=4096)


def test_same_seed_same_model_and_different_seed_different_model():
    task = tasks.make("delayed_recall", **SMALL_TASKS["delayed_recall"])
    a = models.build("esn", task, seed=3, n_units=30, solver="adam").state_dict()
    b = models.build("esn", task, seed=3, n_units=30, solver="adam").state_dict()
    c = models.build("esn", task, seed=4, n_units=30, solver="adam").state_dict()
    assert np.array_equal(a["coef"], b["coef"]) and not np.array_equal(a["coef"], c["coef"])


class ConstantLearner:
    """A third-party model: always predicts the training class frequencies."""

    def __init__(self, task, bias):
        self.task, self.bias = task, bias
        self.updates_per_epoch, self.finished, self.n_parameters = 1, False, 1
        self.seen, self.seen_unit = 0.0, "steps"

    def update(self):
        self.seen += 1
        return 1.0

    def outputs(self):
        return np.full((self.task.T, self.task.n_outputs), self.bias)

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass

    def weights_view(self):
        return np.zeros((1, 1))


def test_a_new_model_is_one_registry_entry():
    entry = models.Model(
        name="constant", label="Constant", summary="predicts the same thing everywhere",
        params=(Param("bias", "float", 0.0, "the output", -1.0, 1.0),),
        builder=lambda task, values, seed: ConstantLearner(task, values["bias"]),
        describe=lambda values: f"Constant {values['bias']:g}")
    models.register(entry)
    try:
        from fsm_engine import experiments

        row = experiments.run("delayed_recall", "constant", {"bias": 0.5}, 0,
                              task_params=SMALL_TASKS["delayed_recall"], max_updates=2)
        assert row["label"] == "Constant 0.5" and row["updates"] == 2
        with pytest.raises(ValueError, match="registered already"):
            models.register(entry)
    finally:
        del models.MODELS["constant"]


# ---------------------------------------------------------------------- the readout on sources
def test_the_esn_is_a_feature_source_for_the_same_readout():
    task = tasks.make("memory_capacity", K=5, T=1500, seed=0)
    reservoir = EchoStateNetwork(task.n_symbols, 50, spectral_radius=0.9, random_state=0)
    learner = ReadoutLearner(task, reservoir, "state", solver="ridge", l2=1e-8)
    progress = Trainer(learner).advance(1)
    assert progress.metrics["memory_capacity"] > 3.5     # 50 units remember 5 delays well
    assert learner.weights_view().shape == (5, 50)
    with pytest.raises(FSMError, match="features must be one of"):
        ReadoutLearner(task, reservoir, "output")


@settings(max_examples=25)
@given(st.integers(1, 40), st.integers(2, 30), st.integers(0, 10_000),
       st.sampled_from(["mse", "softmax"]), st.sampled_from([0.0, 1e-3, 10.0]))
def test_the_safe_step_size_never_diverges_on_random_features(rows, columns, seed, loss, l2):
    from fsm_engine.readout import Readout

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows * 10, columns)) * rng.uniform(0.1, 100) + rng.uniform(-5, 5)
    y = rng.integers(0, 3, len(X)) if loss == "softmax" else rng.standard_normal(len(X))
    readout = Readout(loss=loss, solver="gd", lr=safe_learning_rate(X, loss, l2), l2=l2)
    readout.partial_fit(X, y, n_updates=0, n_classes=3 if loss == "softmax" else None)
    losses = []
    for _ in range(60):
        readout.partial_fit(X, y, n_updates=1, n_classes=3 if loss == "softmax" else None)
        losses.append(readout.loss_)
    assert np.all(np.isfinite(losses))
    assert np.all(np.diff(losses) <= 1e-9 * max(abs(losses[0]), 1.0))   # monotone descent


def test_the_safe_step_size_handles_one_hot_and_sparse_features():
    task = tasks.make("delayed_recall", k=1, m=3, T=600, seed=0)
    bank = make_bank("random", 30, task.alphabet, seed=0)
    learner = ReadoutLearner(task, bank, "state", loss="mse", solver="gd")
    dense = learner.train_features.toarray()
    sparse = scipy.sparse.csr_matrix(dense)
    assert safe_learning_rate(learner.train_features) == pytest.approx(safe_learning_rate(dense))
    assert safe_learning_rate(sparse) == pytest.approx(safe_learning_rate(dense))
    trainer = Trainer(learner)
    trainer.advance(50)
    assert trainer.losses[-1] < trainer.losses[0]


def test_learning_rate_and_l2_change_without_a_reset():
    task = tasks.make("delayed_recall", k=1, m=3, T=600, seed=0)
    learner = models.build("fsm", task, n_machines=30, solver="adam", lr=0.01)
    Trainer(learner).advance(5)
    before = learner.state_dict()["coef"]
    learner.set_rates(lr=0.001, l2=0.5)
    assert (learner.lr, learner.l2) == (0.001, 0.5)
    assert np.array_equal(learner.state_dict()["coef"], before)
    assert learner.readout._optimizer.lr == 0.001
    with pytest.raises(FSMError, match="learning rate"):
        learner.set_rates(lr=-1)


def test_a_saved_readout_state_with_nan_is_refused_and_nothing_changes():
    task = tasks.make("delayed_recall", k=1, m=3, T=600, seed=0)
    learner = models.build("fsm", task, n_machines=10, solver="adam")
    state = learner.state_dict()
    bad = {**state, "coef": np.full_like(state["coef"], np.nan)}
    with pytest.raises(FSMError, match="not finite"):
        learner.load_state_dict(bad)
    with pytest.raises(FSMError, match="no 'intercept' entry"):
        learner.load_state_dict({"coef": state["coef"]})
    assert np.array_equal(learner.state_dict()["coef"], state["coef"])
