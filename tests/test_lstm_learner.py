"""Tests of the LSTM's training harness (fsm_engine.lstm_learner): what every batch
holds (whole episodes, aligned lanes, fresh data, nothing held out), what it
learns, and that its state round-trips exactly."""
import numpy as np
import pytest

from fsm_engine import tasks
from fsm_engine.errors import TaskError
from fsm_engine.lstm import LSTMError
from fsm_engine.lstm_learner import LSTMLearner
from fsm_engine.training import Trainer


def accuracy(task, outputs, mask):
    return float(np.mean(outputs.argmax(axis=1)[mask] == task.targets[mask]))


def lane_runs(batch):
    """The steps of the source task every lane of a learner's batch runs (padding dropped)."""
    steps = batch["steps"]                                       # [L, B], -1 = padding
    return [steps[steps[:, b] >= 0, b] for b in range(steps.shape[1])]


def episode_inputs(task, held_out=False):
    """The input symbols of every training (or held-out) episode, as tuples."""
    starts = np.flatnonzero(task.resets).tolist()
    return [tuple(task.inputs[a:b].tolist())
            for a, b in zip(starts, starts[1:] + [task.T], strict=True)
            if task.holdout[a] == held_out]


# ---------------------------------------------------------------------------- batches
@pytest.mark.parametrize("name,params", [
    ("five_bit_memory", dict(T0=20, n_test=8)),
    ("embedded_reber", dict(n_strings=60)),
    ("temporal_order", dict(q=2, n_sequences=50)),
    ("adding", dict(T=12, n_sequences=40)),
])
@pytest.mark.parametrize("fresh", [False, True])
def test_every_lane_is_one_whole_training_episode_from_its_first_step(name, params, fresh):
    task = tasks.make(name, seed=3, **params)
    learner = LSTMLearner(task, n_hidden=4, batch_size=8, fresh=fresh)
    assert learner.episodic
    for _ in range(4):
        learner.update()
        batch = learner.last_batch
        source = batch["task"]
        assert (source is not task) == (fresh and tasks.can_generate(task))
        assert batch["resets"][0].all()                           # every lane starts an episode
        assert batch["window"] == batch["steps"].shape[0]         # full BPTT by default
        for lane, run in enumerate(lane_runs(batch)):
            assert (batch["steps"][:len(run), lane] >= 0).all()      # padding only at the end
            np.testing.assert_array_equal(run, np.arange(run[0], run[0] + len(run)))
            assert source.resets[run[0]] and not source.resets[run[1:]].any()  # one episode
            assert not source.holdout[run].any()
            after = np.append(source.resets[run[-1] + 1:], True)   # the lane ends at the
            rest = slice(run[-1] + 1, run[-1] + 1 + int(np.argmax(after)))   # episode's last
            assert source.train_mask[run[-1]] and not source.train_mask[rest].any()  # training step
        padding = batch["steps"] < 0
        assert not batch["mask"][padding].any() and not batch["resets"][padding].any()


def test_five_bit_message_and_recall_are_in_one_backpropagation_window():
    """At T0 = 200 an episode is 210 steps: the old 100-step windows split every message
    from its recall, so the LSTM could not learn it by construction."""
    task = tasks.make("five_bit_memory", T0=200, seed=0)
    learner = LSTMLearner(task, n_hidden=4)
    learner.update()
    batch = learner.last_batch
    assert batch["steps"].shape == (210, 32)
    assert batch["window"] == 210
    message = np.isin(batch["inputs"][:5], [0, 1]).all()           # a1/a2 at steps 1-5
    recall = (batch["targets"][205:] > 0).all() and batch["mask"][205:].all()
    assert message and recall


def test_a_given_window_truncates_inside_episodes():
    task = tasks.make("five_bit_memory", T0=20, seed=0)
    learner = LSTMLearner(task, n_hidden=4, window=10)
    learner.update()
    assert learner.last_batch["window"] == 10
    assert learner.last_batch["steps"].shape == (30, 32)           # still whole episodes


def test_each_epoch_draws_every_training_episode_once_in_a_new_order():
    task = tasks.make("temporal_order", q=2, n_sequences=50, seed=1)   # 40 train, 10 held out
    learner = LSTMLearner(task, n_hidden=4, batch_size=16, fresh=False)
    train_starts = set(np.flatnonzero(task.resets & ~task.holdout).tolist())
    assert learner.updates_per_epoch == 3                               # 16 + 16 + 8
    epochs = []
    for _ in range(2):
        order = []
        for _ in range(learner.updates_per_epoch):
            learner.update()
            order += [int(run[0]) for run in lane_runs(learner.last_batch)]
        assert sorted(order) == sorted(train_starts)
        epochs.append(order)
    assert epochs[0] != epochs[1]
    assert learner.last_batch["steps"].shape[1] == 8                   # the epoch's last batch


def test_fresh_batches_differ_from_update_to_update_and_hold_no_held_out_episode():
    task = tasks.make("temporal_order", q=2, n_sequences=100, seed=2)
    held_out = set(episode_inputs(task, held_out=True))
    assert len(held_out) == 20
    learner = LSTMLearner(task, n_hidden=4, batch_size=8)
    assert learner.fresh
    batches = []
    for _ in range(3):
        learner.update()
        source = learner.last_batch["task"]
        assert not source.holdout.any() and int(source.resets.sum()) == 8
        assert not held_out & set(episode_inputs(source))
        batches.append(learner.last_batch["inputs"])
    assert not np.array_equal(batches[0], batches[1])
    assert not np.array_equal(batches[1], batches[2])


def test_fresh_twenty_bit_messages_are_never_held_out_messages():
    task = tasks.make("twenty_bit_memory", T0=2, n_train=30, n_test=20, seed=4)
    held_out = {tuple(m) for m in task.extras["messages"][-20:].tolist()}
    learner = LSTMLearner(task, n_hidden=4, batch_size=16)
    for _ in range(3):
        learner.update()
        fresh = {tuple(m) for m in learner.last_batch["task"].extras["messages"].tolist()}
        assert len(fresh) > 1 and not fresh & held_out


def test_same_seed_same_batches_and_losses():
    task = tasks.make("embedded_reber", n_strings=40, seed=0)
    runs = [LSTMLearner(task, n_hidden=4, batch_size=8, random_state=5) for _ in range(2)]
    assert [runs[0].update() for _ in range(3)] == [runs[1].update() for _ in range(3)]
    np.testing.assert_array_equal(runs[0].last_batch["inputs"], runs[1].last_batch["inputs"])


def test_tasks_that_cannot_generate_train_on_their_own_episodes():
    task = tasks.make("five_bit_memory", T0=3, seed=0)
    learner = LSTMLearner(task, n_hidden=4, fresh=True)
    assert not learner.fresh
    learner.update()
    assert learner.last_batch["task"] is task


# ---------------------------------------------------------------------------- seen
def test_seen_counts_training_sequences_of_an_episodic_task():
    task = tasks.make("five_bit_memory", T0=3, n_test=8, seed=0)    # 24 training episodes
    learner = LSTMLearner(task, n_hidden=4, batch_size=10)
    assert learner.seen_unit == "sequences" and learner.seen == 0
    for expected in (10, 20, 24, 34):                               # the epoch ends with 4
        learner.update()
        assert learner.seen == expected


def test_seen_counts_fresh_sequences():
    task = tasks.make("adding", T=10, n_sequences=20, seed=0)
    learner = LSTMLearner(task, n_hidden=4, batch_size=7)
    for _ in range(3):
        learner.update()
    assert (learner.seen_unit, learner.seen) == ("sequences", 21)


def test_seen_counts_each_training_step_of_a_stream_once_per_epoch():
    task = tasks.make("delayed_recall", k=2, m=3, T=1000, seed=0)
    learner = LSTMLearner(task, n_hidden=4, batch_size=7, window=30)   # 7 lanes need padding
    assert not learner.episodic and learner.seen_unit == "steps"
    for _ in range(learner.updates_per_epoch):
        learner.update()
    assert learner.seen == task.train_mask.sum()


# ---------------------------------------------------------------------------- settings
def test_forget_bias_sets_the_total_initial_forget_gate_bias():
    task = tasks.make("five_bit_memory", T0=3, seed=0)
    learner = LSTMLearner(task, n_hidden=6, n_layers=2, forget_bias=5.0)
    for layer in range(2):
        total = learner.net.params[f"bias_ih_l{layer}"] + learner.net.params[f"bias_hh_l{layer}"]
        np.testing.assert_array_equal(total[6:12], 5.0)


def test_set_rates_changes_adam_and_keeps_everything_else():
    task = tasks.make("five_bit_memory", T0=3, seed=0)
    learner = LSTMLearner(task, n_hidden=4, lr=0.01)
    learner.update()
    before = learner.state_dict()
    learner.set_rates(lr=0.5, l2=0.1)
    assert (learner.lr, learner.l2) == (0.5, 0.1)
    assert (learner.optimiser.lr, learner.optimiser.l2) == (0.5, 0.1)
    after = learner.state_dict()
    assert all(np.array_equal(after[name], value) for name, value in before.items())
    learner.set_rates(l2=0.0)
    assert (learner.lr, learner.l2) == (0.5, 0.0)


@pytest.mark.parametrize("rates", [dict(lr=0.0), dict(lr=-1e-3), dict(lr=float("nan")),
                                   dict(lr=float("inf")), dict(l2=-0.1), dict(l2=float("nan")),
                                   dict(lr=0.1, l2=-1.0)])
def test_set_rates_refuses_bad_values_and_changes_nothing(rates):
    task = tasks.make("five_bit_memory", T0=3, seed=0)
    learner = LSTMLearner(task, n_hidden=4, lr=0.01, l2=0.0)
    with pytest.raises(LSTMError, match="lr|l2"):
        learner.set_rates(**rates)
    assert (learner.optimiser.lr, learner.optimiser.l2) == (0.01, 0.0)


@pytest.mark.parametrize("setting,value", [
    ("n_hidden", 0), ("n_hidden", 2.5), ("n_layers", 0), ("batch_size", 0),
    ("batch_size", True), ("window", 0), ("window", 3.0), ("forget_bias", float("nan")),
    ("forget_bias", "5"), ("lr", 0.0), ("lr", float("inf")), ("clip", 0.0), ("clip", -1.0),
    ("l2", -1e-3), ("fresh", 1), ("random_state", -1),
])
def test_bad_settings_raise_naming_the_setting(setting, value):
    task = tasks.make("five_bit_memory", T0=3, seed=0)
    with pytest.raises(LSTMError, match=setting):
        LSTMLearner(task, **{setting: value})


def test_a_task_without_training_steps_is_refused():
    task = tasks.make("delayed_recall", k=2, m=2, T=600, seed=3)
    empty = tasks.Task(**{**task.__dict__, "mask": np.zeros(task.T, bool)})
    with pytest.raises(TaskError, match="no training step"):
        LSTMLearner(empty)


def test_full_bptt_over_very_long_episodes_is_refused_with_a_way_out():
    task = tasks.make("twenty_bit_memory", T0=10_000, n_train=60, n_test=10, seed=0)
    with pytest.raises(LSTMError, match="window"):
        LSTMLearner(task, n_hidden=256, batch_size=64)
    LSTMLearner(task, n_hidden=256, batch_size=64, window=500)       # fits


# ---------------------------------------------------------------------------- state
@pytest.mark.parametrize("name,params,settings", [
    ("temporal_order", dict(q=2, n_sequences=30), dict(fresh=False, batch_size=10)),
    ("temporal_order", dict(q=2, n_sequences=30), dict(fresh=True, batch_size=10)),
    ("delayed_recall", dict(k=2, m=2, T=600), dict(batch_size=4, window=40)),
])
def test_state_dict_round_trip_continues_bit_exactly(name, params, settings):
    task = tasks.make(name, seed=3, **params)
    learner = LSTMLearner(task, n_hidden=8, **settings)
    for _ in range(2):
        learner.update()
    saved = learner.state_dict()
    continued = [learner.update() for _ in range(4)]      # crosses an epoch boundary
    restored = LSTMLearner(task, n_hidden=8, random_state=7, **settings)
    restored.load_state_dict(saved)
    assert restored.seen == saved["seen"]
    assert [restored.update() for _ in range(4)] == continued
    assert restored.seen == learner.seen
    for name, value in learner.state_dict().items():
        np.testing.assert_array_equal(restored.state_dict()[name], value)


@pytest.mark.parametrize("change,message", [
    (lambda s: s.pop("walk.epoch"), "walk.epoch"),
    (lambda s: s.update({"walk.cursor": np.array(99)}), "walk.cursor"),
    (lambda s: s.update({"walk.epoch": np.array(-1)}), "walk.epoch"),
    (lambda s: s.update({"seen": np.array(np.nan)}), "seen"),
    (lambda s: s.update({"adam.m.head.bias": np.zeros(7)}), "adam.m.head.bias"),
    (lambda s: s.update({"surprise": np.zeros(1)}), "surprise"),
    (lambda s: s.pop("head.weight"), "head.weight"),
])
def test_a_bad_state_dict_is_refused_and_changes_nothing(change, message):
    task = tasks.make("temporal_order", q=2, n_sequences=30, seed=3)
    learner = LSTMLearner(task, n_hidden=8, batch_size=10, fresh=False)
    learner.update()
    state = learner.state_dict()
    change(state)
    before = learner.state_dict()
    with pytest.raises(LSTMError, match=message):
        learner.load_state_dict(state)
    for name, value in learner.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_a_state_dict_of_another_size_is_refused():
    task = tasks.make("delayed_recall", k=2, m=2, T=600, seed=3)
    learner = LSTMLearner(task, n_hidden=8)
    with pytest.raises(LSTMError):
        learner.load_state_dict(LSTMLearner(task, n_hidden=6).state_dict())


def test_a_non_finite_loss_is_returned_not_raised():
    task = tasks.make("delayed_recall", k=2, m=2, T=600, seed=3)
    learner = LSTMLearner(task, n_hidden=8)
    learner.net.params["head.weight"][:] = np.inf
    assert not np.isfinite(learner.update())


# ---------------------------------------------------------------------------- outputs
def test_outputs_equal_one_pass_over_the_stream():
    task = tasks.make("embedded_reber", n_strings=40, seed=1)
    learner = LSTMLearner(task, n_hidden=8, batch_size=4)
    learner.update()
    x = np.eye(task.n_symbols)[task.inputs][:, None, :]             # [T, 1, X]
    expected = learner.net.predict(x, resets=task.resets[:, None])[:, 0]
    assert learner.outputs().shape == (task.T, task.n_outputs)
    np.testing.assert_allclose(learner.outputs(), expected, rtol=1e-5, atol=1e-6)


def test_regression_uses_mse_and_outputs_one_column():
    base = tasks.make("delayed_recall", k=1, m=2, T=400, seed=0)
    task = tasks.Task(
        name="echo", params={}, alphabet=base.alphabet, inputs=base.inputs,
        targets=base.targets.astype(float), mask=base.mask, resets=base.resets,
        holdout=base.holdout, kind=tasks.REGRESSION, classes=(), chance=0.25, metric="mse",
        description="target is the previous input as a number")
    learner = LSTMLearner(task, n_hidden=8, batch_size=4, window=25)
    losses = [learner.update() for _ in range(60)]
    assert learner.loss == "mse"
    assert learner.outputs().shape == (task.T, 1)
    assert np.mean(losses[-8:]) < 0.5 * np.mean(losses[:8])


# ---------------------------------------------------------------------------- learning
def solved_within(learner, max_updates):
    """The update at which the task's success metric first reaches 1 (checked every 50)."""
    trainer = Trainer(learner, eval_every=50)
    progress = trainer.run(max_updates=max_updates, target=1.0)
    return progress.updates if progress.metrics["metric"] == 1.0 else None


def test_full_bptt_solves_five_bit_memory_and_a_window_inside_the_episode_cannot():
    """Episode 15 steps; with 8-step windows no gradient links the message to its recall."""
    task = tasks.make("five_bit_memory", T0=5, seed=0)
    assert solved_within(LSTMLearner(task, n_hidden=32), 1500) is not None
    assert solved_within(LSTMLearner(task, n_hidden=32, window=8), 1500) is None


def test_learns_delayed_recall_from_one_long_stream():
    task = tasks.make("delayed_recall", k=3, m=4, T=3000, seed=0)
    learner = LSTMLearner(task, n_hidden=16, lr=2e-2, batch_size=16, window=50)
    for _ in range(150):
        learner.update()
    assert accuracy(task, learner.outputs(), task.eval_mask) > 0.97   # chance is 0.25


def test_learns_the_long_range_choice_of_embedded_reber():
    """The T/P before the final E must repeat the one after the first B."""
    task = tasks.make("embedded_reber", n_strings=256, seed=0)
    learner = LSTMLearner(task, n_hidden=16, lr=2e-2, batch_size=16)
    for _ in range(400):
        learner.update()
    outputs = learner.outputs()
    before_last = np.roll(task.resets, -3)     # the step whose target is the final T/P
    assert accuracy(task, outputs, before_last & task.eval_mask) > 0.95
    legal = np.take_along_axis(task.extras["next_sets"], outputs.argmax(axis=1)[:, None], 1)
    assert legal[task.eval_mask].mean() > 0.99   # the top symbol is allowed by the grammar


def test_one_long_stream_is_cut_into_lanes_walked_in_windows():
    task = tasks.make("text", corpus="fsm", T=1000, seed=0)        # one episode, 900 to train
    learner = LSTMLearner(task, n_hidden=4, batch_size=3)
    assert not learner.episodic and learner.window == 100
    rows = []
    for _ in range(learner.updates_per_epoch):
        learner.update()
        batch = learner.last_batch
        assert batch["window"] == batch["steps"].shape[0] <= 100
        rows.append(batch["steps"])
    lanes = np.concatenate(rows)                                    # [L, 3]
    np.testing.assert_array_equal(lanes[0], [0, 300, 600])          # equal lanes, in order
    np.testing.assert_array_equal(np.diff(lanes, axis=0), 1)
    assert lanes[-1, -1] == np.flatnonzero(task.train_mask)[-1]     # nothing after training
