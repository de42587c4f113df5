"""Bring your own sequence (fsm_engine/sequences.py): CSV and text uploads become tasks, and
every bad file gets a message naming the row and column (or the byte, or the cap)."""
from __future__ import annotations

import numpy as np
import pytest

from fsm_engine import metrics, models
from fsm_engine.errors import TaskError
from fsm_engine.sequences import SEQUENCE_TASK, load_sequence, parse_csv
from fsm_engine.tasks import CLASSIFICATION, REGRESSION
from fsm_engine.training import Trainer


def csv_bytes(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def test_a_csv_with_class_targets_is_a_classification_task():
    task = load_sequence(csv_bytes(["symbol,target"] + ["b,no", "a,yes", "b,no", "a,yes"] * 5),
                         "s.csv", test_fraction=0.2)
    assert task.name == SEQUENCE_TASK and task.kind == CLASSIFICATION
    assert task.alphabet == ("a", "b") and task.classes == ("no", "yes")
    assert task.inputs[:4].tolist() == [1, 0, 1, 0]
    assert task.targets[:4].tolist() == [0, 1, 0, 1]
    assert task.metric == "accuracy" and task.T == 20
    assert task.holdout.sum() == 4 and task.holdout[-4:].all()
    assert task.params == {"file": "s.csv", "format": "csv", "test_fraction": 0.2}


def test_numbers_with_a_fraction_make_a_regression_and_empty_cells_are_not_scored():
    task = load_sequence(csv_bytes(["x,0.5", "y,", "x,1", "y,-2.25"] * 5), "r.csv")
    assert task.kind == REGRESSION and task.metric == "nrmse" and task.chance == 1.0
    assert task.targets[:4].tolist() == [0.5, 0.0, 1.0, -2.25]
    assert task.mask[:4].tolist() == [True, False, True, True]


def test_whole_number_targets_are_classes_sorted_by_value():
    task = load_sequence(csv_bytes(["a,10", "b,2", "a,1"] * 4), "c.csv")
    assert task.kind == CLASSIFICATION and task.classes == ("1", "2", "10")


def test_without_a_target_column_the_task_is_the_next_symbol():
    task = load_sequence(csv_bytes(["up", "down", "up", "up", "down"] * 4), "n.csv", 0.0)
    assert task.alphabet == ("down", "up") and task.classes == task.alphabet
    assert task.targets[:-1].tolist() == task.inputs[1:].tolist()
    assert not task.mask[-1] and task.mask[:-1].all()
    assert not task.holdout.any() and task.eval_mask.sum() == task.T - 1


def test_a_text_file_is_next_character_prediction_with_bits_per_character():
    text = "the quick brown fox jumps over the lazy dog. " * 10
    task = load_sequence(text.encode(), "fox.txt", 0.1)
    assert task.name == SEQUENCE_TASK and task.metric == "bits_per_symbol"
    assert task.T == len(text) and "fox.txt" in task.description
    assert task.params["format"] == "text"


def test_quoted_cells_and_blank_lines_are_read_as_csv():
    rows = parse_csv('"a, b",1\n\n c ,2\n', "q.csv")
    assert rows.symbols == ["a, b", "c"] and rows.targets == ["1", "2"]
    assert rows.lines == [1, 3]


@pytest.mark.parametrize("data, name, words", [
    (csv_bytes(["a,1", "b,2,3"]), "three.csv", ["row 2", "3 columns"]),
    (csv_bytes(["a,1", ",2"]), "empty.csv", ["row 2, column 1", "empty"]),
    (csv_bytes(["a,0.5", "b,1", "c,abc"]), "mixed.csv", ["row 3, column 2", "'abc'",
                                                          "not a finite number", "row 1"]),
    (csv_bytes(["a,0.5", "b,nan"]), "nan.csv", ["row 2, column 2", "'nan'"]),
    (csv_bytes(["a"]), "short.csv", ["1 row", "at least 2"]),
    (csv_bytes(["a,", "b,"]), "blank.csv", ["every target cell", "empty"]),
    (b"a,1\n\xff\n", "bytes.csv", ["byte 4", "row 2", "UTF-8"]),
    (csv_bytes(["a,1"] * 30), "big.csv", ["over the cap of 100 bytes"]),
])
def test_bad_files_are_refused_naming_the_place(data, name, words):
    with pytest.raises(TaskError) as caught:
        load_sequence(data, name, max_bytes=100 if name == "big.csv" else 10_000)
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))


def test_caps_on_rows_symbols_and_classes_name_the_cap():
    with pytest.raises(TaskError, match="more than 5 rows, over the cap of 5 steps"):
        load_sequence(csv_bytes(["a"] * 6), "long.csv", max_steps=5)
    with pytest.raises(TaskError, match=r"row 4, column 1 brings 'd', one more than the cap of 3"):
        load_sequence(csv_bytes(["a", "b", "c", "d"]), "wide.csv", max_symbols=3)
    with pytest.raises(TaskError, match=r"row 3, column 2 brings 'z'.*cap of 2 different targets"):
        load_sequence(csv_bytes(["a,x", "a,y", "a,z"]), "classes.csv", max_symbols=2)


def test_a_split_that_leaves_nothing_to_train_on_is_refused():
    with pytest.raises(TaskError, match="no scored step is left for training"):
        load_sequence(csv_bytes(["a,", "b,", "a,1", "b,0"]), "late.csv", test_fraction=0.5)


def test_an_uploaded_sequence_trains_like_any_task():
    """Targets equal to the previous symbol: one-hot states of a 1-step delay line learn them."""
    rng = np.random.default_rng(0)
    symbols = rng.choice(["a", "b", "c"], 400)
    rows = [f"{s},{p}" for s, p in zip(symbols, np.r_[["a"], symbols[:-1]], strict=True)]
    task = load_sequence(csv_bytes(rows), "delay.csv", 0.25)
    learner = models.build("fsm", task, 0, n_machines=5, family="delay_line", k=2,
                           features="state", solver="ridge")
    Trainer(learner).advance(1)
    assert metrics.evaluate(task, learner.outputs())["accuracy"] == 1.0
