"""The results benchmarks (bench compare, bench tasks): the --quick path end to end on a
tiny budget, every success definition on hand-made outputs, the search's ranking, the text
baselines, and the evaluation shortcuts the benchmark relies on."""
import json

import numpy as np
import pytest

from fsm_engine import cli, experiments, metrics, models, tasks
from fsm_engine.benchmarks import compare
from fsm_engine.lstm_learner import LSTMLearner
from fsm_engine.training import Trainer


def perfect_outputs(task):
    """Outputs that get every scored step right: one-hot logits of the targets (class
    tasks) or the targets themselves."""
    if task.kind == tasks.CLASSIFICATION:
        return 5.0 * np.eye(task.n_outputs)[task.targets]
    return task.targets.reshape(task.T, -1).astype(float)


def flip(outputs, step):
    """``outputs`` with the class at ``step`` moved to the next class (one wrong step)."""
    changed = outputs.copy()
    changed[step] = np.roll(changed[step], 1)
    return changed


def solved(task, outputs):
    return experiments.solved(task.metric, metrics.evaluate(task, outputs)["metric"])


# ---------------------------------------------------------------------- success levels
def test_every_success_level_names_a_metric_where_larger_is_better():
    assert set(experiments.SUCCESS) <= set(metrics.GREATER_IS_BETTER)
    assert all(metrics.GREATER_IS_BETTER[name] for name in experiments.SUCCESS)


@pytest.mark.parametrize("metric", ["memory_capacity", "mse", "nrmse", "bits_per_symbol"])
def test_continuous_metrics_have_no_success_level(metric):
    assert experiments.solved(metric, 0.0) is None


def test_accuracy_succeeds_from_99_percent():
    assert experiments.solved("accuracy", 0.99) is True
    assert experiments.solved("accuracy", 0.9899) is False
    task = tasks.make("temporal_order", q=2, n_sequences=500, seed=0)   # 100 held-out sequences
    outputs = perfect_outputs(task)
    assert solved(task, outputs)
    test_ends = np.flatnonzero(task.eval_mask)
    assert solved(task, flip(outputs, test_ends[0]))            # 99 of 100 right: 0.99
    assert not solved(task, flip(flip(outputs, test_ends[0]), test_ends[1]))   # 0.98
    train_ends = np.flatnonzero(task.train_mask)
    many_wrong = outputs.copy()
    for step in train_ends:                                    # training steps are not scored
        many_wrong = flip(many_wrong, step)
    assert solved(task, many_wrong)


def test_five_bit_success_needs_every_step_of_every_episode_right():
    task = tasks.make("five_bit_memory", T0=5, seed=0)
    outputs = perfect_outputs(task)
    assert solved(task, outputs)
    for step in (0, task.T // 2, task.T - 1):                  # a wait step, the last recall
        assert not solved(task, flip(outputs, step))
    scores = metrics.evaluate(task, flip(outputs, 3))
    assert scores["five_bit_success"] == 0.0 and scores["wrong_steps"] == 1.0


def test_five_bit_held_out_variant_judges_only_the_held_out_messages():
    task = tasks.make("five_bit_memory", T0=5, n_test=8, seed=0)
    outputs = perfect_outputs(task)
    first_test = int(np.flatnonzero(task.holdout)[0])
    assert not solved(task, flip(outputs, first_test))
    assert solved(task, flip(outputs, first_test - 1))        # a training episode's step


def test_twenty_bit_success_is_zero_errors_on_the_test_messages_only():
    task = tasks.make("twenty_bit_memory", T0=5, n_train=20, n_test=5, seed=0)
    outputs = perfect_outputs(task)
    assert solved(task, outputs)
    recall = np.flatnonzero(task.eval_mask & (task.targets > 0))
    assert not solved(task, flip(outputs, recall[-1]))
    assert solved(task, flip(outputs, int(np.flatnonzero(task.train_mask)[-1])))


def test_reber_success_is_every_held_out_string_right_by_the_top_k_rule():
    task = tasks.make("embedded_reber", n_strings=50, seed=0)
    allowed = task.extras["next_sets"].astype(float)           # [T, 7]
    assert solved(task, 3.0 * allowed)                         # the possible symbols on top
    test = np.flatnonzero(task.eval_mask)
    two_way = test[allowed[test].sum(axis=1) == 2][0]
    tied = 3.0 * allowed
    tied[two_way, np.flatnonzero(allowed[two_way] == 0)[0]] = 3.0   # an impossible one ties
    assert not solved(task, tied)
    ordered = 3.0 * allowed
    ordered[two_way, np.flatnonzero(allowed[two_way])[0]] = 2.0      # still above the others
    assert solved(task, ordered)
    one_way = test[allowed[test].sum(axis=1) == 1][0]
    wrong = 3.0 * allowed
    wrong[one_way] = 3.0 * (1 - allowed[one_way])
    scores = metrics.evaluate(task, wrong)
    assert scores["reber_success"] == 0.0
    assert scores["strings_correct"] == pytest.approx(1 - 1 / task.holdout[task.resets].sum())


# ---------------------------------------------------------------------- the search's ranking
def row(metric, metric_name="accuracy", solved_at=None, loss=1.0, error=None, seconds=10.0):
    return {"metric": metric, "metric_name": metric_name, "solved_at_seconds": solved_at,
            "scores": {"loss": loss}, "error": error, "seconds": seconds}


def test_ranking_prefers_the_better_metric_then_the_earlier_solve_then_the_lower_loss():
    rows = [row(0.9), row(1.0, solved_at=30.0), row(1.0, solved_at=5.0), row(0.9, loss=0.5),
            row(None, error="TrainingDiverged: ...")]
    ordered = sorted(rows, key=compare.ranking)
    assert ordered[0]["solved_at_seconds"] == 5.0
    assert ordered[1]["solved_at_seconds"] == 30.0
    assert ordered[2]["scores"]["loss"] == 0.5
    assert ordered[-1]["error"]


def test_ranking_of_a_metric_where_smaller_is_better():
    rows = [row(3.1, "bits_per_symbol"), row(2.4, "bits_per_symbol"),
            row(float("nan"), "bits_per_symbol")]
    assert [r["metric"] for r in sorted(rows, key=compare.ranking)][:2] == [2.4, 3.1]


def test_every_model_tries_at_most_the_same_number_of_configurations():
    for entry in compare.SUITE:
        for role in entry.roles:
            if role == "fsm_no_recurrence":
                continue
            grid = compare.search_grid(entry, role)
            assert 1 <= len(grid) <= compare.N_CONFIGS
            for config in grid:                                # every value the registry takes
                models.check_params(compare.ROLES[role][0], config)
        assert set(compare.VALIDATION_SEEDS).isdisjoint(compare.TEST_SEEDS)
        assert entry.seconds <= 300


# ---------------------------------------------------------------------- text baselines
def test_trigram_kneser_ney_is_a_distribution_and_beats_the_bigram_on_shakespeare():
    task = tasks.make("text", T=60_000, max_symbols=64, seed=0)
    baselines = compare.text_baselines(task)
    assert baselines["trigram"] < baselines["bigram"] < baselines["unigram"]
    from fsm_engine.tasks import _kneser_ney
    counts = np.random.default_rng(0).integers(0, 3, (6, 4)).astype(float)
    counts[2] = 0                                              # an unseen context backs off
    lower = np.full((6, 4), 0.25)
    assert _kneser_ney(counts, lower, 0.75).sum(axis=1) == pytest.approx(np.ones(6))


# ---------------------------------------------------------------------- evaluation shortcuts
def test_lstm_outputs_at_given_rows_equal_the_full_pass_there():
    for task in (tasks.make("embedded_reber", n_strings=40, seed=1),
                 tasks.make("delayed_recall", k=2, T=3000, seed=0)):
        learner = LSTMLearner(task, n_hidden=8, batch_size=4)
        learner.update()
        np.testing.assert_allclose(learner.outputs(rows=task.eval_mask)[task.eval_mask],
                                   learner.outputs()[task.eval_mask], rtol=1e-5, atol=1e-6)


def test_a_long_stream_is_scored_by_warm_up_lanes_close_to_the_exact_pass(monkeypatch):
    from fsm_engine import lstm_learner
    monkeypatch.setattr(lstm_learner, "EXACT_STREAM_STEPS", 1000)
    monkeypatch.setattr(lstm_learner, "STREAM_WARMUP", 200)
    task = tasks.make("text", T=5000, seed=0)
    learner = LSTMLearner(task, n_hidden=8, batch_size=8)
    for _ in range(5):
        learner.update()
    exact = metrics.evaluate(task, learner.outputs())["metric"]
    lanes = metrics.evaluate(task, learner.outputs(rows=task.eval_mask))["metric"]
    assert lanes == pytest.approx(exact, abs=1e-3)


def test_readout_outputs_at_held_out_rows_skip_the_training_rows():
    task = tasks.make("delayed_recall", k=1, T=2000, seed=0)
    learner = models.build("esn", task, seed=0, n_units=20)
    learner.update()
    rows = learner.outputs(rows=task.eval_mask)
    np.testing.assert_allclose(rows[task.eval_mask], learner.outputs()[task.eval_mask])
    assert not rows[task.train_mask].any()


def test_the_trainer_asks_only_for_the_scored_rows_and_times_its_evaluations():
    task = tasks.make("delayed_recall", k=1, T=1000, seed=0)
    learner = models.build("fsm", task, seed=0, n_machines=20)
    asked = []
    outputs = learner.outputs

    def spy(rows=None):
        asked.append(rows)
        return outputs(rows=rows)
    learner.outputs = spy
    trainer = Trainer(learner)
    trainer.advance(1)
    assert asked and np.array_equal(asked[0], task.eval_mask)
    assert 0 < trainer.eval_seconds <= trainer.elapsed


def test_run_scores_the_final_weights_and_returns_every_figure():
    row = experiments.run("delayed_recall", "lstm", {"n_hidden": 8}, 0,
                          task_params={"k": 1, "T": 600}, max_updates=7, eval_every=5,
                          stop_at_success=False)
    assert row["updates"] == 7 and row["curve"]["updates"][-1] == 7
    assert row["scores"]["metric"] == row["metric"] and "loss" in row["scores"]
    assert 0 <= row["eval_seconds"] <= row["seconds"]


# ---------------------------------------------------------------------- end to end
def test_bench_compare_quick_writes_results_with_curves_and_choices(capsys, tmp_path):
    out = tmp_path / "compare.json"
    code = cli.main(["bench", "compare", "--quick", "--scale", "0.15", "--workers", "1",
                     "--only", "delayed_recall,text", "--out", str(out)])
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert code == 0 and "| task | model | configuration |" in printed
    assert set(result) >= {"meta", "tasks", "chosen", "summary", "runs", "search", "baselines"}
    assert result["meta"]["quick"] and result["meta"]["load_average_start"] is not None
    for key in ("delayed_recall", "text"):
        assert set(result["chosen"][key]) >= {"fsm", "esn", "lstm"}
        assert {s["role"] for s in result["summary"] if s["key"] == key} >= {
            "fsm", "fsm_designed", "esn", "lstm"}
    for run in result["runs"]:
        curve = run["curve"]
        assert run["error"] is None and len(curve["seconds"]) >= 1
        assert len({len(curve[k]) for k in ("seconds", "seen", "updates", "metric")}) == 1
        assert run["seed"] in compare.QUICK_SEEDS
    assert {r["seed"] for r in result["search"]} == set(compare.VALIDATION_SEEDS)
    assert sum(r["chosen"] for r in result["search"] if r["key"] == "text"
               and r["role"] == "lstm") == 1
    text = result["baselines"]["text"]
    assert text["trigram"] < text["bigram"] < text["unigram"]
    assert (tmp_path / "compare.md").read_text().startswith("# FSM network vs")
    assert (tmp_path / "figures" / "compare_text.png").stat().st_size > 1000
    assert (tmp_path / "compare_runs.csv").exists()


def test_bench_tasks_quick_writes_the_markdown_and_json_results(capsys, tmp_path):
    out = tmp_path / "tasks.json"
    code = cli.main(["bench", "tasks", "--quick", "--workers", "1", "--only",
                     "temporal_density", "--out", str(out)])
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    table = (tmp_path / "tasks.md").read_text()
    assert code == 0 and table.strip() in printed
    assert table.startswith("| task | FSM network | metric |")
    assert [s["network"].split(":")[0] for s in result["summary"]] == [
        "random N=100, state, ridge", "original"]
    assert all(s["seeds"] == 2 and s["chance"] == 0.5 for s in result["summary"])
    assert len(result["runs"]) == 4 and all(r["curve"] for r in result["runs"])


# ---------------------------------------------------------------------- scaling
def test_cg_ridge_matches_the_closed_form_on_dense_and_one_hot_features():
    from fsm_engine import families
    from fsm_engine.benchmarks.scaling import cg_ridge
    from fsm_engine.readout import matmul, ridge_solution
    task = tasks.make("delayed_recall", k=1, T=600, seed=0)
    bank = families.make_bank("random", 30, task.alphabet, seed=0, n_states=4)
    targets = np.eye(4)[task.targets]
    for kind in ("state", "output"):
        X = bank.features(kind, task.inputs, task.resets)
        weights, intercept = ridge_solution(X, targets, None, 1.0)
        cg_weights, cg_intercept, _, converged = cg_ridge(X, targets, 1.0, max_iter=500,
                                                          tol=1e-8)
        assert converged
        np.testing.assert_allclose(cg_weights, weights, atol=1e-4)
        np.testing.assert_allclose(matmul(X, cg_weights.astype(np.float32)) + cg_intercept,
                                   matmul(X, weights.astype(np.float32)) + intercept,
                                   atol=1e-3)


def test_bench_scaling_quick_switches_solver_past_the_exact_range(capsys, tmp_path):
    out = tmp_path / "scaling.json"
    code = cli.main(["bench", "scaling", "--quick", "--workers", "1", "--out", str(out)])
    result = json.loads(out.read_text())
    assert code == 0 and "| task | network | N |" in capsys.readouterr().out
    for row in result["summary"]:
        exact = row["n_features"] <= result["tasks"][row["key"]]["exact_up_to"]
        assert row["solver"] == ("ridge" if exact else "cg") or row["n"] == 1000
        assert row["errors"] == 0
    assert {r["model"] for r in result["points"]} == {"fsm", "esn"}
    assert (tmp_path / "figures" / "scaling_five_bit_memory.png").exists()


# ---------------------------------------------------------------------- processor-time budgets
def test_a_cpu_clock_budgets_processor_time_and_keeps_wall_clock_run_ids():
    from fsm_engine import sweep
    from fsm_engine.errors import FSMError
    config = {"seeds": 1, "seconds": 1, "task": {"name": "delayed_recall", "T": 300},
              "models": {"esn": {"n_units": 10}}}
    wall, = sweep.expand(config)
    cpu, = sweep.expand({**config, "clock": "cpu"})
    assert (wall.clock, cpu.clock) == ("wall", "cpu") and wall.id != cpu.id
    assert wall.id == sweep.Run(wall.task, wall.task_params, wall.model, wall.model_params,
                                wall.seed, wall.seconds, wall.updates).id
    with pytest.raises(FSMError, match="clock"):
        sweep.expand({**config, "clock": "sundial"})
    row = experiments.run("delayed_recall", "lstm", {"n_hidden": 8}, 0,
                          task_params={"k": 1, "T": 600}, max_seconds=0.5, clock="cpu",
                          stop_at_success=False)
    assert row["clock"] == "cpu" and row["seconds"] <= row["cpu_seconds"] + 0.05
    assert row["seconds"] >= 0.5
