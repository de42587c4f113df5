"""The Learn page's lesson (explorer/lesson.py): its numbers come from the results files and
nowhere else, a missing or damaged file is said in words, and every link is a real URL of
its page."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from explorer import lesson, settings

#: a comparison as ``fsm-explorer bench compare`` writes it now (summary rows by key and role),
#: with numbers that appear nowhere else
COMPARE = {
    "tasks": {
        "delayed_recall": {"task": "delayed_recall", "params": {"k": 7, "m": 4, "T": 9000}},
        "temporal_order": {"task": "temporal_order", "params": {"q": 2, "n_sequences": 1000}},
        "five_bit_memory": {"task": "five_bit_memory", "params": {"T0": 200}},
        "five_bit_memory_held_out": {"task": "five_bit_memory",
                                     "params": {"T0": 200, "n_test": 8}},
        "text": {"task": "text", "params": {"corpus": "shakespeare"}},
    },
    "summary": [
        {"key": "delayed_recall", "role": "fsm", "model": "fsm", "label": "FSM random",
         "metric": "accuracy", "chance": 0.25, "mean": 0.8123, "sd": 0.01, "successes": 0,
         "seeds": 5},
        {"key": "delayed_recall", "role": "fsm_designed", "model": "fsm", "label": "delay",
         "metric": "accuracy", "chance": 0.25, "mean": 1.0, "sd": 0.0, "successes": 5,
         "seeds": 5},
        {"key": "delayed_recall", "role": "lstm", "model": "lstm", "label": "LSTM H=64",
         "metric": "accuracy", "chance": 0.25, "mean": 0.9671, "sd": 0.004, "successes": 0,
         "seeds": 5},
        {"key": "temporal_order", "role": "fsm_designed", "model": "fsm", "label": "slow",
         "metric": "accuracy", "chance": 0.25, "mean": 0.9944, "sd": 0.002, "successes": 5,
         "seeds": 5},
        {"key": "temporal_order", "role": "lstm", "model": "lstm", "label": "LSTM H=64",
         "metric": "accuracy", "chance": 0.25, "mean": 0.2866, "sd": 0.03, "successes": 0,
         "seeds": 5},
        {"key": "five_bit_memory", "role": "fsm", "model": "fsm", "label": "FSM random",
         "metric": "five_bit_success", "chance": 0.0, "mean": 0.8, "sd": 0.4, "successes": 4,
         "seeds": 5},
        {"key": "five_bit_memory_held_out", "role": "fsm", "model": "fsm", "label": "FSM",
         "metric": "five_bit_success", "chance": 0.0, "mean": 0.0, "sd": 0.0, "successes": 0,
         "seeds": 5},
        {"key": "five_bit_memory_held_out", "role": "lstm", "model": "lstm", "label": "LSTM",
         "metric": "five_bit_success", "chance": 0.0, "mean": 0.6, "sd": 0.5, "successes": 3,
         "seeds": 5},
        {"key": "text", "role": "lstm", "model": "lstm", "label": "LSTM H=128",
         "metric": "bits_per_symbol", "chance": 4.9412, "mean": 2.4137, "sd": 0.1,
         "successes": None, "seeds": 5},
    ],
    "baselines": {"text": {"unigram": 4.9412, "bigram": 3.3377}},
    "sequences": {"embedded_reber": {"hochreiter_schmidhuber_1997": "8 440–39 740 strings",
                                     "lstm": {"per_seed": [3217, None, 4119]}}},
}
#: the same kind of comparison as an older file has it: rows named by their labels
OLD_COMPARE = {"rows": [
    {"task": "delayed_recall", "params": {"k": 3}, "model": "FSM random N=500",
     "metric_name": "accuracy", "mean": 0.8557, "sd": 0.004, "chance": 0.25, "solved": 0,
     "seeds": 3},
    {"task": "delayed_recall", "params": {"k": 3}, "model": "FSM delay line k=4 (designed)",
     "metric_name": "accuracy", "mean": 1.0, "sd": 0.0, "chance": 0.25, "solved": 3, "seeds": 3},
    {"task": "temporal_order", "params": {"q": 2}, "model": "FSM random N=500, stay=0.7",
     "metric_name": "accuracy", "mean": 1.0, "sd": 0.0, "chance": 0.25, "solved": 3, "seeds": 3},
    {"task": "embedded_reber", "params": {}, "model": "LSTM H=64",
     "metric_name": "reber_success", "mean": 1.0, "sd": 0.0, "chance": 0.0, "solved": 3,
     "seeds": 3},
]}
TASKS = {"summary": [
    {"key": "temporal_parity", "network": "random N=500, state, ridge", "task": "temporal_parity",
     "task_params": {"n": 5, "tau": 2}, "metric": "accuracy", "chance": 0.5, "mean": 0.9187,
     "sd": 0.01, "successes": 0, "seeds": 3},
    {"key": "temporal_parity", "network": "original: outputs, GD on Σ(y−t)², 300 updates",
     "task": "temporal_parity", "task_params": {"n": 5, "tau": 2}, "metric": "accuracy",
     "chance": 0.5, "mean": 0.6802, "sd": 0.01, "successes": 0, "seeds": 3},
]}
EXTRACT = {"rows": [
    {"grammar": 3, "method": "quantise", "minimal_states": 5, "states": [5, 5, 6],
     "exact": 2, "seeds": 3, "fidelity": 0.9871, "min_fidelity": 0.97},
    {"grammar": 3, "method": "lstar", "minimal_states": 5, "states": [5, 5, 5], "exact": 3,
     "seeds": 3, "fidelity": 1.0, "min_fidelity": 1.0},
]}
SCALING = {"tasks": {"five_bit_memory": {"params": {"T0": 200}}},
           "summary": [
               {"key": "five_bit_memory", "model": "fsm", "features": "state", "n": 100,
                "n_features": 800, "metric_name": "five_bit_success", "mean": 0.0,
                "success_rate": 0.0, "seeds": 3},
               {"key": "five_bit_memory", "model": "fsm", "features": "state", "n": 7000,
                "n_features": 56000, "metric_name": "five_bit_success", "mean": 1.0,
                "success_rate": 0.5, "seeds": 2}]}


def write(folder: Path, **files) -> Path:
    for name, data in files.items():
        text = data if isinstance(data, str) else json.dumps(data)
        (folder / f"{name}.json").write_text(text)
    return folder


def texts(results: lesson.Results) -> dict[str, str]:
    return {step.key: step.text for step in lesson.steps(results)}


# ---------------------------------------------------------------------- numbers from files
def test_the_steps_are_the_lesson_in_order():
    steps = lesson.steps(lesson.Results())
    assert [s.key for s in steps] == list(lesson.STEP_KEYS)
    assert all(s.title and s.text and s.link.label for s in steps)


def test_numbers_in_the_text_are_the_files_numbers(tmp_path):
    found = lesson.read_results(write(tmp_path, compare=COMPARE, tasks=TASKS, extract=EXTRACT,
                                      scaling=SCALING))
    assert found.missing == {}
    text = texts(found)
    assert "81.2 % right" in text["works"] and "96.7 % right" in text["works"]
    assert "(k=7, m=4, T=9000)" in text["works"]
    assert "99.4 % right" in text["works"] and "28.7 % right" in text["works"]
    assert "solved on 4 of 5 seeds" in text["fails"]            # training messages
    assert "LSTM **solved on 3 of 5 seeds**" in text["fails"]   # held-out messages
    assert "2.41 bits per character" in text["fails"]
    assert "4.94" in text["fails"] and "3.34" in text["fails"]  # the text baselines
    assert "68 % right" in text["readout"] and "91.9 % right" in text["readout"]
    assert "“original: outputs, GD on Σ(y−t)², 300 updates”" in text["readout"]
    assert "a median of **4,119 training strings**" in text["lstm"]    # of the two that did
    assert "8 440–39 740 strings" in text["lstm"]
    assert "**2 of 3**" in text["extraction"] and "**3 of 3**" in text["extraction"]
    assert "at least 98.7 %" in text["extraction"]
    assert "solved on 1 of 2 seeds** with 7,000 machines (56,000" in text["answer"]


def test_the_answer_names_where_each_model_did_better(tmp_path):
    found = lesson.read_results(write(tmp_path, compare=COMPARE))
    level, lstm_better, unsolved = lesson.verdict(found)
    assert "delayed recall" in level and "temporal order" in level
    assert "five-bit memory, held-out messages" in lstm_better
    assert unsolved == []
    rows = {row["key"]: row for row in lesson.answer_rows(found)}
    assert rows["delayed_recall"]["best"] == ["fsm_designed"]
    assert rows["five_bit_memory_held_out"]["best"] == ["lstm"]
    table = lesson.answer_table(lesson.answer_rows(found))
    assert "| delayed recall | 81.2 % | **100 %** | — | 96.7 % |" in table


def test_a_task_every_model_failed_is_not_one_the_network_did_as_well_on(tmp_path):
    failed = [{"key": "twenty_bit_memory", "role": role, "model": role, "label": role,
               "metric": "twenty_bit_success", "chance": 0.0, "mean": 0.0, "sd": 0.0,
               "successes": 0, "seeds": 5} for role in ("fsm", "esn", "lstm")]
    compare = {**COMPARE, "tasks": {**COMPARE["tasks"], "twenty_bit_memory": {
        "task": "twenty_bit_memory", "params": {"T0": 50}}},
        "summary": COMPARE["summary"] + failed}
    found = lesson.read_results(write(tmp_path, compare=compare))
    level, lstm_better, unsolved = lesson.verdict(found)
    assert unsolved == ["twenty-bit memory"]
    assert "twenty-bit memory" not in level + lstm_better
    answer = texts(found)["answer"]
    assert "**No model solved** (on any seed, within its budget): twenty-bit memory." in answer
    # titles with commas stay readable: the lists are separated by semicolons
    assert "five-bit memory, held-out messages" in answer.split("**The LSTM did better** on: ")[1]


@pytest.mark.parametrize("metric, a, b, sd, expected", [
    ("accuracy", 0.90, 0.80, 0.01, 1), ("accuracy", 0.80, 0.90, 0.01, -1),
    ("accuracy", 0.90, 0.899, 0.0, 0),                 # within 1 %
    ("accuracy", 0.90, 0.85, 0.03, 0),                 # within both seeds' spread
    ("bits_per_symbol", 3.0, 4.0, 0.1, 1),             # smaller is better
])
def test_better_compares_by_the_metric_and_its_spread(metric, a, b, sd, expected):
    def score(mean):
        return lesson.Score("compare.json", "k", "k", {}, "fsm", "", metric, mean, sd)
    assert lesson.better(score(a), score(b)) == expected


def test_success_metrics_compare_by_seeds_solved():
    def score(successes):
        return lesson.Score("compare.json", "k", "k", {}, "fsm", "", "reber_success",
                            successes / 5, 0.5, 0.0, successes, 5)
    assert lesson.better(score(3), score(2)) == 1 and lesson.better(score(2), score(2)) == 0
    assert lesson.result_text(score(1)) == "solved on 1 of 5 seeds"


def test_an_older_compare_file_is_read_by_its_labels(tmp_path):
    found = lesson.read_results(write(tmp_path, compare=OLD_COMPARE))
    assert found.score("compare.json", "delayed_recall", "fsm").mean == 0.8557
    assert found.score("compare.json", "delayed_recall", "fsm_designed").successes == 3
    assert found.score("compare.json", "temporal_order", "fsm_designed") is not None
    assert found.score("compare.json", "embedded_reber", "lstm").successes == 3
    assert "85.6 % right" in texts(found)["works"]


# ---------------------------------------------------------------------- missing, damaged
#: formulas and names in the text of the result-driven steps (not measurements)
FORMULAS = ("1/(1 − stay)", "NARMA-10", "0s and 1s")


def digits(text: str) -> list[str]:
    for formula in FORMULAS:
        text = text.replace(formula, "")
    return re.findall(r"\d+", text)


def test_without_results_files_no_number_is_invented(tmp_path):
    found = lesson.read_results(tmp_path)
    assert set(found.missing) == set(lesson.FILES)
    for key, text in texts(found).items():
        if key in ("question", "machine", "network"):     # no measured numbers in these
            continue
        if key == "readout":                              # the live task's own definition
            text = text.replace(f"number of 1s among the last {lesson.READOUT_TASK['n']} "
                                "input bits", "")
        assert digits(text) == [], (key, text)
    text = texts(found)
    assert "not measured yet" in text["works"] and "not measured yet" in text["fails"]
    assert "results/tasks.json cannot be used here: the file is not there yet" in text["readout"]
    assert "`fsm-explorer bench extract` writes it" in text["extraction"]
    assert "not measured here yet" in text["answer"]


def test_a_missing_entry_is_said_not_guessed(tmp_path):
    partial = {**COMPARE, "summary": [row for row in COMPARE["summary"]
                                      if row["key"] != "five_bit_memory_held_out"]}
    text = texts(lesson.read_results(write(tmp_path, compare=partial)))["fails"]
    assert "Tested on messages they never saw: not measured yet." in text


def test_a_task_the_comparison_lacks_falls_back_to_the_task_suite(tmp_path):
    suite = {"summary": TASKS["summary"] + [
        {"key": "twenty_bit_memory", "network": "random N=500, state, ridge",
         "task": "twenty_bit_memory", "task_params": {"T0": 50}, "metric": "twenty_bit_success",
         "chance": 0.0, "mean": 0.0, "sd": 0.0, "successes": 0, "seeds": 4}]}
    text = texts(lesson.read_results(write(tmp_path, compare=COMPARE, tasks=suite)))["fails"]
    assert ("the random network alone (“random N=500, state, ridge”, results/tasks.json) "
            "**solved on 0 of 4 seeds**; the other models not measured yet") in text


@pytest.mark.parametrize("content, why", [
    ("{not json", "could not be read as JSON"),
    ("[1, 2, 3]", "does not hold a JSON object"),
    (json.dumps({"summary": "nonsense", "rows": [1, None, {"task": 3}]}),
     "no result rows the lesson can read"),
])
def test_a_damaged_file_is_named_with_the_reason(tmp_path, content, why):
    found = lesson.read_results(write(tmp_path, compare=content, tasks=TASKS))
    assert why in found.missing["compare.json"]
    assert found.score("tasks.json", "temporal_parity", "original") is not None
    assert why in texts(found)["works"]


def test_rows_with_wrong_types_are_skipped_and_the_rest_read(tmp_path):
    damaged = {**COMPARE, "summary": COMPARE["summary"] + [
        {"key": 5, "role": "fsm"}, {"key": "x", "role": "fsm", "mean": "high"}, "row"]}
    found = lesson.read_results(write(tmp_path, compare=damaged))
    assert found.score("compare.json", "x", "fsm").mean is None
    assert lesson.result_text(found.score("compare.json", "x", "fsm")) == "failed on every seed"
    assert found.score("compare.json", "delayed_recall", "fsm").mean == 0.8123


def test_the_committed_results_are_read_without_notes():
    """The files in results/ as committed (whatever the benchmark last wrote) all read."""
    found = lesson.read_results()
    assert "compare.json" not in found.missing and found.scores
    steps = lesson.steps(found)
    assert all("cannot be used here" not in s.text for s in steps
               if s.key in ("works", "fails", "answer"))


# ---------------------------------------------------------------------- links
@pytest.mark.parametrize("step", lesson.steps(lesson.Results()), ids=lambda s: s.key)
def test_every_link_uses_its_pages_real_setting_keys_and_values(step):
    link = step.link
    assert link.page in ("machine", "network", "train", "compare")
    prefix = {"machine": "m_", "network": "net_", "train": "tr_", "compare": "cmp_"}[link.page]
    for key, raw in link.params.items():
        assert key.startswith(prefix), key
        if key == "m_step":
            assert raw.isdigit()
            continue
        assert key in settings.SETTINGS, key
        assert settings.SETTINGS[key].url_problem(raw) is None, (key, raw)
    assert "&" in link.query(classroom="1") or not link.params


def test_the_readout_step_trains_the_train_pages_default_model():
    """Its link carries no settings, so the Train page's defaults must be the live model."""
    assert settings.SETTINGS["tr_task"].default == "temporal_parity"
    assert settings.SETTINGS["tr_model"].default == "fsm"
    for name, value in lesson.READOUT_TASK.items():
        assert settings.SETTINGS[settings.task_key("temporal_parity", name)].default == value
    for name, value in lesson.READOUT_MODEL.items():
        assert settings.SETTINGS[settings.model_key("fsm", name)].default == value
