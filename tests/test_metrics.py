"""Metrics on hand-made cases, and evaluate() on hand-made tasks."""
import numpy as np
import pytest

from fsm_engine import metrics
from fsm_engine.errors import FSMError
from fsm_engine.tasks import CLASSIFICATION, REGRESSION, Task


def make_task(targets, kind, metric, classes=(), mask=None, holdout=None, resets=None,
              extras=None, chance=0.0, n_symbols=2):
    """A Task record built by hand (inputs are irrelevant to the metrics)."""
    targets = np.asarray(targets)
    T = len(targets)
    first = np.zeros(T, dtype=bool)
    first[0] = True
    return Task(name="hand", params={}, alphabet=tuple(str(i) for i in range(n_symbols)),
                inputs=np.zeros(T, dtype=np.int64), targets=targets,
                mask=np.ones(T, bool) if mask is None else np.asarray(mask),
                resets=first if resets is None else np.asarray(resets),
                holdout=np.zeros(T, bool) if holdout is None else np.asarray(holdout),
                kind=kind, classes=classes, chance=chance, metric=metric, description="",
                extras=extras or {})


def logits_for(classes, n_classes):
    """Logits whose argmax is ``classes`` (one-hot times 5)."""
    return 5.0 * np.eye(n_classes)[classes]


def test_accuracy_counts_matching_classes():
    assert metrics.accuracy(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2])) == 0.75


def test_bits_per_symbol_of_uniform_logits_is_log2_of_the_classes():
    logits = np.zeros((5, 8))
    assert metrics.bits_per_symbol(logits, np.array([0, 3, 7, 1, 2])) == pytest.approx(3.0)


def test_bits_per_symbol_uses_the_log_softmax_of_the_logits():
    logits = np.array([[np.log(3.0), 0.0]])          # probabilities 3/4, 1/4
    assert metrics.bits_per_symbol(logits, np.array([1])) == pytest.approx(2.0)
    assert metrics.cross_entropy(logits, np.array([0])) == pytest.approx(np.log(4 / 3))


def test_log_softmax_is_stable_for_huge_logits():
    expected = np.array([[0.0, -1000.0]])
    assert metrics.log_softmax(np.array([[1000.0, 0.0]])) == pytest.approx(expected)


def test_mse_nrmse_and_r2_on_hand_values():
    targets = np.array([1.0, 2.0, 3.0, 4.0])
    predictions = np.array([1.0, 2.0, 3.0, 6.0])
    assert metrics.mse(predictions, targets) == 1.0
    assert metrics.nrmse(predictions, targets) == pytest.approx(np.sqrt(4.0 / 5.0))
    assert metrics.r2_score(predictions, targets) == pytest.approx(1 - 4.0 / 5.0)
    assert metrics.nrmse(np.full(4, 2.5), targets) == pytest.approx(1.0)


def test_squared_correlation_ignores_scale_and_offset_and_scores_constants_zero():
    targets = np.array([[1.0, 1.0], [-1.0, 2.0], [1.0, 3.0], [-1.0, 4.0]])
    predictions = np.stack([3 * targets[:, 0] + 7, np.full(4, 2.0)], axis=1)
    assert metrics.squared_correlation(predictions, targets) == pytest.approx([1.0, 0.0])


def test_memory_capacity_sums_r2_per_delay_over_indicator_columns():
    rng = np.random.default_rng(0)
    targets = rng.standard_normal((200, 6))          # 3 delays x 2 indicator columns
    predictions = targets.copy()
    predictions[:, 3] = rng.standard_normal(200)     # delay 2 loses one of its columns
    predictions[:, 4:] = 0.0                         # delay 3 is forgotten
    delays = np.array([1, 1, 2, 2, 3, 3])
    total, per_delay = metrics.memory_capacity(predictions, targets, delays)
    r2_noise = metrics.squared_correlation(predictions[:, 3], targets[:, 3])[0]
    assert per_delay == pytest.approx([2.0, 1.0 + r2_noise, 0.0])
    assert total == pytest.approx(3.0 + r2_noise)
    with pytest.raises(FSMError, match="delays"):
        metrics.memory_capacity(predictions, targets, np.array([1, 2]))


def test_zero_error_success_needs_every_step_right():
    assert metrics.zero_error_success(np.array([0, 1, 2]), np.array([0, 1, 2])) == 1.0
    assert metrics.zero_error_success(np.array([0, 1, 1]), np.array([0, 1, 2])) == 0.0


def test_reber_top_k_rule():
    next_sets = np.array([[0, 1, 1, 0], [0, 1, 1, 0], [0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0]],
                         dtype=bool)
    logits = np.array([[0.0, 2.0, 1.0, -1.0],   # the two possible ones on top: right
                       [1.5, 2.0, 1.0, -1.0],   # an impossible one beats a possible one: wrong
                       [1.0, 2.0, 1.0, -1.0],   # a tie at the boundary: wrong
                       [3.0, 0.0, 0.0, 0.0],    # one possible symbol, scored highest: right
                       [0.0, 0.0, 0.0, 0.0]])   # nothing possible: trivially right
    correct = metrics.reber_step_correct(logits, next_sets)
    assert correct.tolist() == [True, False, False, True, True]


def test_reber_success_needs_every_string_right_and_reports_the_fraction():
    next_sets = np.eye(3, dtype=bool)[[0, 1, 2, 0, 1, 2]]
    logits = 1.0 * next_sets
    strings = np.array([0, 0, 0, 1, 1, 2])
    assert metrics.reber_success(logits, next_sets, strings) == (1.0, 1.0)
    logits[4] = [1.0, 0.0, 0.0]                      # one wrong step in string 1
    assert metrics.reber_success(logits, next_sets, strings) == (0.0, pytest.approx(2 / 3))


def test_evaluate_five_bit_success_with_wrong_steps_and_baseline():
    targets = np.array([0, 0, 0, 1, 2, 0, 0, 0, 2, 2])
    task = make_task(targets, CLASSIFICATION, "five_bit_success", classes=("wait", "a1", "a2"),
                     resets=np.arange(10) % 5 == 0)
    perfect = metrics.evaluate(task, logits_for(targets, 3))
    assert perfect["metric"] == perfect["five_bit_success"] == 1.0
    assert perfect["wrong_steps"] == 0.0 and perfect["accuracy"] == 1.0
    assert perfect["chance"] == 0.0
    assert perfect["baseline"] == 0.0                # always "wait" gets steps wrong
    one_wrong = logits_for(np.where(np.arange(10) == 4, 1, targets), 3)
    result = metrics.evaluate(task, one_wrong)
    assert result["metric"] == 0.0 and result["wrong_steps"] == 1.0
    assert result["accuracy"] == pytest.approx(0.9)


def test_evaluate_scores_the_eval_mask_by_default_and_any_mask_when_given():
    targets = np.array([0, 1, 0, 1])
    task = make_task(targets, CLASSIFICATION, "twenty_bit_success", classes=("a", "b"),
                     holdout=np.array([False, False, True, True]))
    outputs = logits_for([1, 1, 0, 1], 2)             # wrong on a training step only
    assert metrics.evaluate(task, outputs)["metric"] == 1.0
    assert metrics.evaluate(task, outputs, mask=np.ones(4, bool))["metric"] == 0.0


def test_evaluate_accuracy_task_reports_chance_majority_baseline_and_bits():
    targets = np.array([0, 0, 0, 1, 2, 0])
    task = make_task(targets, CLASSIFICATION, "accuracy", classes=("x", "y", "z"), chance=1 / 3)
    result = metrics.evaluate(task, np.zeros((6, 3)))
    assert result["chance"] == pytest.approx(1 / 3)
    assert result["baseline"] == pytest.approx(4 / 6)   # most frequent class
    assert result["bits_per_symbol"] == pytest.approx(np.log2(3))
    assert result["loss"] == pytest.approx(np.log(3))


def test_evaluate_bits_per_symbol_baseline_is_the_unigram_code_length():
    targets = np.array([0, 0, 0, 1] * 25)
    task = make_task(targets, CLASSIFICATION, "bits_per_symbol", classes=("x", "y"))
    result = metrics.evaluate(task, np.zeros((100, 2)))
    p = np.array([76, 26]) / 102                     # add-one smoothed training frequencies
    assert result["baseline"] == pytest.approx(-(0.75 * np.log2(p[0]) + 0.25 * np.log2(p[1])))
    assert result["metric"] == pytest.approx(1.0)


def test_evaluate_regression_reports_mse_nrmse_and_the_mean_baseline():
    targets = np.array([0.0, 1.0, 2.0, 3.0])
    task = make_task(targets, REGRESSION, "mse", chance=1.25)
    result = metrics.evaluate(task, (targets + 1.0)[:, None])
    assert result["metric"] == result["mse"] == result["loss"] == 1.0
    assert result["nrmse"] == pytest.approx(np.sqrt(4 / 5))
    assert result["baseline"] == pytest.approx(1.25)     # predicting the mean: the variance


def test_evaluate_memory_capacity_per_delay():
    rng = np.random.default_rng(1)
    targets = np.sign(rng.standard_normal((300, 3)))
    outputs = targets * [1.0, 1.0, 0.0]
    task = make_task(targets, REGRESSION, "memory_capacity",
                     extras={"delays": np.array([1, 2, 3])})
    result = metrics.evaluate(task, outputs)
    assert result["metric"] == pytest.approx(2.0)
    assert [result[f"r2_delay_{k}"] for k in (1, 2, 3)] == pytest.approx([1.0, 1.0, 0.0])
    assert result["baseline"] == pytest.approx(0.0, abs=1e-12)


def test_evaluate_reber_success_and_strings_correct():
    next_sets = np.eye(3, dtype=bool)[[0, 1, 2, 0, 1, 2]]
    resets = np.array([True, False, False, True, False, False])
    task = make_task(np.array([0, 1, 2, 0, 1, 2]), CLASSIFICATION, "reber_success",
                     classes=("x", "y", "z"), resets=resets, extras={"next_sets": next_sets})
    outputs = 1.0 * next_sets
    outputs[5] = [0.0, 1.0, 0.0]
    result = metrics.evaluate(task, outputs)
    assert result["metric"] == 0.0 and result["strings_correct"] == 0.5


def test_loss_is_mean_cross_entropy_or_mean_squared_error_on_the_train_mask():
    task = make_task(np.array([0, 1, 1]), CLASSIFICATION, "accuracy", classes=("x", "y"),
                     holdout=np.array([False, False, True]))
    logits = np.array([[np.log(3.0), 0.0], [0.0, 0.0], [9.0, 0.0]])
    assert metrics.loss(task, logits) == pytest.approx((np.log(4 / 3) + np.log(2)) / 2)
    regression = make_task(np.array([[0.0, 1.0], [2.0, 3.0]]), REGRESSION, "mse")
    assert metrics.loss(regression, np.array([[1.0, 1.0], [2.0, 1.0]])) == pytest.approx(5 / 4)


def test_evaluate_refuses_outputs_of_the_wrong_shape():
    task = make_task(np.array([0, 1]), CLASSIFICATION, "accuracy", classes=("x", "y"))
    with pytest.raises(FSMError, match="outputs must be"):
        metrics.evaluate(task, np.zeros((2, 3)))
    with pytest.raises(FSMError, match="mask"):
        metrics.evaluate(task, np.zeros((2, 2)), mask=np.ones(3, bool))
