"""Trainer and ReadoutLearner: the one training loop, divergence, determinism, memory capacity."""
import dataclasses
import time

import numpy as np
import pytest

from fsm_engine import tasks
from fsm_engine.bank import MachineBank
from fsm_engine.errors import FSMError, TaskError, TrainingDiverged
from fsm_engine.families import make_bank
from fsm_engine.readout import Readout
from fsm_engine.readout_learner import ReadoutLearner
from fsm_engine.training import Trainer


def shift_register_bank(lengths, output_features=True):
    """Binary shift registers built as arrays: machine i keeps the last ``lengths[i]`` bits.

    State bit d is the input d steps before the current one; the output is the
    oldest kept bit as ±1, so a machine of length d+1 outputs ``x[t-d]``.
    """
    lengths = np.asarray(lengths)
    n_states = 2 ** lengths
    transitions = np.zeros((2, len(lengths), n_states.max()), dtype=np.int64)  # [X, N, S]
    outputs = np.zeros((len(lengths), n_states.max()), dtype=np.float32)       # [N, S]
    for i, (length, size) in enumerate(zip(lengths, n_states, strict=True)):
        state = np.arange(size)
        for bit in (0, 1):
            transitions[bit, i, :size] = ((state << 1) | bit) & (size - 1)
        outputs[i, :size] = 2.0 * ((state >> (length - 1)) & 1) - 1.0
    return MachineBank(("0", "1"), transitions, outputs, np.zeros(len(lengths), np.int64), n_states)


@pytest.mark.parametrize("features,lengths", [("output", [2, 3, 4, 5, 6]), ("state", [6])])
def test_a_delay_line_bank_has_memory_capacity_equal_to_its_delays(features, lengths):
    # output features: one register per delay 1..5; state features: one 6-bit register,
    # whose one-hot state holds x[t] .. x[t-5], i.e. delays 1..5 beside the current input
    task = tasks.make("memory_capacity", K=8, m=2, T=2000, seed=0)
    learner = ReadoutLearner(task, shift_register_bank(lengths), features, solver="ridge", l2=1e-8)
    progress = Trainer(learner).advance(1)
    assert progress.finished
    assert progress.metrics["memory_capacity"] == pytest.approx(5.0, abs=0.1)
    assert [progress.metrics[f"r2_delay_{k}"] for k in range(1, 6)] == pytest.approx([1.0] * 5)


class StepLearner:
    """A fake learner: a single weight that grows by one per update, and a script of losses.

    Its outputs predict every target right once the weight reaches ``solved_at``.
    """

    def __init__(self, task, losses, solved_at=3):
        self.task, self.losses, self.solved_at = task, list(losses), solved_at
        self.updates_per_epoch, self.n_parameters = 4, 1
        self.weight = np.zeros(1)
        self.calls = 0
        self.seen, self.seen_unit = 0.0, "steps"

    @property
    def finished(self):
        return self.calls >= len(self.losses)

    def update(self):
        loss = self.losses[self.calls]
        self.calls += 1
        self.seen += 10
        self.weight = self.weight + 1.0
        return loss

    def outputs(self):
        if self.weight[0] >= self.solved_at:
            return 5.0 * np.eye(self.task.n_outputs)[self.task.targets]
        return np.zeros((self.task.T, self.task.n_outputs))

    def state_dict(self):
        return {"weight": self.weight.copy()}

    def load_state_dict(self, state):
        self.weight = state["weight"].copy()

    def weights_view(self):
        return self.weight[None, :]


@pytest.fixture(scope="module")
def recall_task():
    return tasks.make("delayed_recall", k=1, m=3, T=300, seed=0)


def test_trainer_advances_a_protocol_learner_and_keeps_its_history(recall_task):
    trainer = Trainer(StepLearner(recall_task, [4.0, 3.0, 2.0, 1.0, 0.5]), eval_every=1)
    first = trainer.advance(3)
    assert (first.updates, first.epochs, first.train_loss) == (3, 0.75, 3.0)
    assert first.metrics["metric"] == first.metrics["accuracy"] == 1.0
    assert first.weights.tolist() == [[3.0]] and not first.finished
    last = trainer.advance(10)                     # only two updates are left
    assert (last.updates, last.train_loss, last.finished) == (5, 0.75, True)
    assert trainer.losses == [4.0, 3.0, 2.0, 1.0, 0.5]
    assert [p.updates for p in trainer.history] == [3, 5]
    assert all(p.weights is None for p in trainer.history)
    assert trainer.curves()["train_loss"].tolist() == [3.0, 0.75]
    assert last.elapsed >= first.elapsed > 0


def test_trainer_evaluates_only_every_eval_every_updates(recall_task):
    trainer = Trainer(StepLearner(recall_task, [1.0] * 10), eval_every=4)
    assert trainer.advance(0).metrics["accuracy"] < 1.0   # the first advance always evaluates
    assert trainer.advance(3).metrics["accuracy"] < 1.0   # solved now, but not re-evaluated
    assert trainer.advance(1).metrics["accuracy"] == 1.0  # 4 updates since: evaluated


def test_run_stops_at_the_target_or_the_budget(recall_task):
    trainer = Trainer(StepLearner(recall_task, [1.0] * 50))
    seen = []
    assert trainer.run(max_updates=40, target=1.0, progress=seen.append).updates == 3
    assert [p.updates for p in seen] == [1, 2, 3]
    assert trainer.run(max_updates=5).updates == 8
    with pytest.raises(FSMError, match="budget"):
        trainer.run(target=1.0)


def test_a_non_finite_loss_restores_the_last_weights_with_a_finite_loss(recall_task):
    trainer = Trainer(StepLearner(recall_task, [3.0, 2.0, np.nan, 1.0]))
    with pytest.raises(TrainingDiverged, match="update 3") as caught:
        trainer.advance(4)
    assert "learning rate" in str(caught.value)
    # update 2's loss was computed on the weights after update 1: the last ones vouched for
    assert trainer.learner.weight.tolist() == [1.0]
    assert trainer.updates == 1


def test_gd_with_a_huge_learning_rate_diverges_and_gets_its_last_good_weights_back():
    task = tasks.make("memory_capacity", K=3, m=2, T=300, seed=0)
    bank = make_bank("random", 30, task.alphabet, seed=0)
    trainer = Trainer(ReadoutLearner(task, bank, "output", solver="gd", lr=1.0))
    weights = [trainer.learner.state_dict()]            # weights[u] = after u updates
    with pytest.raises(TrainingDiverged) as caught:
        for _ in range(200):
            trainer.advance(1)
            weights.append(trainer.learner.state_dict())
    failed = len(weights)                               # the update that failed, 1-based
    assert f"update {failed}" in str(caught.value)
    assert "learning rate" in str(caught.value)
    restored, good = trainer.learner.state_dict(), trainer.updates
    assert good < failed - 1 and f"after update {good}" in str(caught.value)
    assert np.array_equal(restored["coef"], weights[good]["coef"])
    assert np.array_equal(restored["intercept"], weights[good]["intercept"])
    assert trainer.losses == trainer.losses[:good] and len(trainer.losses) == good
    assert np.isfinite(trainer.learner.outputs()).all()


def test_a_finite_loss_that_explodes_stops_training(recall_task):
    trainer = Trainer(StepLearner(recall_task, [1.0, 0.5, 0.6, 5e3, 0.1]))
    with pytest.raises(TrainingDiverged, match="update 4: its training loss 5000 exploded"):
        trainer.advance(5)
    # restored: the last snapshot vouched for (snapshots of a tiny learner are spaced out)
    assert trainer.updates <= 3 and trainer.learner.weight.tolist() == [trainer.updates]


def test_a_loss_rising_for_many_updates_in_a_row_stops_training(recall_task):
    from fsm_engine.training import RISING_UPDATES

    losses = 1.0 + 0.001 * np.arange(RISING_UPDATES + 5)     # slowly, never 1000x
    trainer = Trainer(StepLearner(recall_task, losses))
    with pytest.raises(TrainingDiverged, match=f"rose for {RISING_UPDATES} updates in a row"):
        trainer.advance(len(losses))


class SlowSnapshotLearner(StepLearner):
    """A StepLearner whose state_dict is slow, like a large model's weights copied."""

    snapshots = 0

    def state_dict(self):
        self.snapshots += 1
        time.sleep(0.01)
        return super().state_dict()


def test_snapshots_are_taken_rarely_when_they_cost_more_than_updates(recall_task):
    learner = SlowSnapshotLearner(recall_task, [1.0] * 300)
    trainer = Trainer(learner, eval_every=1000)
    trainer.advance(300)
    assert trainer.updates == 300
    assert learner.snapshots < 30 and trainer.snapshot_every > 10


def test_trainer_records_sequences_seen_in_its_curves(recall_task):
    trainer = Trainer(StepLearner(recall_task, [1.0] * 6), eval_every=2)
    trainer.run(max_updates=6)
    assert trainer.curves()["seen"].tolist() == [20.0, 40.0, 60.0]


def run_adam(random_state):
    task = tasks.make("delayed_recall", k=2, m=4, T=600, seed=1)
    bank = make_bank("random", 40, task.alphabet, seed=2)
    learner = ReadoutLearner(task, bank, "state", solver="adam", lr=0.05, batch_size=64,
                             random_state=random_state)
    trainer = Trainer(learner, eval_every=10)
    progress = trainer.run(max_updates=30)
    return trainer.losses, learner.state_dict()["coef"], progress.metrics


def test_same_seed_same_training_run():
    losses, coef, measured = run_adam(random_state=0)
    again_losses, again_coef, again_measured = run_adam(random_state=0)
    assert losses == again_losses
    assert np.array_equal(coef, again_coef)
    assert measured == again_measured
    other_losses, other_coef, _ = run_adam(random_state=1)
    assert not np.array_equal(coef, other_coef)


def test_readout_learner_trains_on_the_train_mask_and_scores_every_step(recall_task):
    bank = make_bank("random", 20, recall_task.alphabet, seed=3)
    learner = ReadoutLearner(recall_task, bank, "output", solver="ridge", l2=1e-3)
    Trainer(learner).advance(1)
    features = bank.output_features(recall_task.inputs, recall_task.resets)
    train = recall_task.train_mask
    reference = Readout(loss="softmax", solver="ridge", l2=1e-3).fit(
        features[train], recall_task.targets[train], n_classes=3)
    assert learner.outputs() == pytest.approx(reference.decision_function(features), abs=1e-5)
    assert learner.n_parameters == 3 * 20 + 3


def test_no_recurrence_features_depend_only_on_the_current_input(recall_task):
    bank = make_bank("random", 20, recall_task.alphabet, seed=4)
    for recurrence, expected in ((False, 1), (True, None)):
        learner = ReadoutLearner(recall_task, bank, "state", solver="ridge", l2=1e-3,
                                 recurrence=recurrence)
        Trainer(learner).advance(1)
        outputs = learner.outputs()
        distinct = max(len(np.unique(outputs[recall_task.inputs == x], axis=0)) for x in range(3))
        assert distinct == expected if expected else distinct > 1


def test_weights_view_of_output_and_state_features(recall_task):
    bank = make_bank({"random": 0.5, "parity": 0.5}, 6, recall_task.alphabet, seed=5, n_states=4)
    output = ReadoutLearner(recall_task, bank, "output")
    assert output.weights_view().shape == (3, 6)
    state = ReadoutLearner(recall_task, bank, "state")
    view = state.weights_view()                       # [N, S]: parity machines have 2 states
    assert view.shape == (6, 4)
    assert np.isnan(view[3:, 2:]).all() and np.isfinite(view[:3]).all()
    assert view[0] == pytest.approx(state.readout.coef_[:, :4].std(axis=0))
    regression = tasks.make("memory_capacity", K=1, m=2, T=100, seed=0)   # one output
    single = ReadoutLearner(regression, make_bank("random", 6, 2, seed=5, n_states=4), "state")
    assert single.weights_view() == pytest.approx(single.readout.coef_[0].reshape(6, 4))


def test_readout_learner_refuses_mismatched_settings(recall_task):
    with pytest.raises(FSMError, match="symbols"):
        ReadoutLearner(recall_task, make_bank("random", 5, 2, seed=0))
    bank = make_bank("random", 5, recall_task.alphabet, seed=0)
    with pytest.raises(FSMError, match="features"):
        ReadoutLearner(recall_task, bank, "hidden")
    all_held_out = dataclasses.replace(recall_task, holdout=np.ones(recall_task.T, bool))
    with pytest.raises(TaskError, match="no training step"):
        ReadoutLearner(all_held_out, bank)
    regression = tasks.make("memory_capacity", K=2, m=3, T=100, seed=0)
    with pytest.raises(FSMError, match="softmax"):
        ReadoutLearner(regression, make_bank("random", 5, 3, seed=0), loss="softmax")


def test_mse_loss_on_class_targets_regresses_one_hot_codes():
    """The original question's squared error on a symbol task: one-hot targets, class scores out."""
    from fsm_engine import families, tasks

    task = tasks.make("temporal_parity", n=1, tau=0, T=400, seed=0)
    bank = families.make_bank("delay_line", 1, task.alphabet, k=1)
    learner = ReadoutLearner(task, bank, features="state", loss="mse", solver="ridge", l2=1e-6)
    learner.update()
    outputs = learner.outputs()
    assert outputs.shape == (task.T, 2)
    rows = task.eval_mask
    assert np.array_equal(outputs[rows].argmax(axis=1), task.targets[rows])


def test_an_advance_with_no_time_left_still_makes_one_update(recall_task):
    trainer = Trainer(StepLearner(recall_task, [1.0] * 10))
    assert trainer.advance(5, max_seconds=0.0).updates == 1
    assert trainer.run(max_seconds=0.0).updates == 2
