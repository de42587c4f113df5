"""The benchmark scripts of ``bench/`` that only live there: ``speed.py`` (runs a speed
benchmark and keeps its JSON with the circumstances) and ``l2_check.py`` (the wider L2 grid,
built from the comparison's own search grid)."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from fsm_engine.benchmarks.compare import SUITE, search_grid

BENCH = Path(__file__).resolve().parents[1] / "bench"


def script(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_speed_keeps_a_benchmarks_json_with_its_command_date_and_load(tmp_path, capsys):
    speed = script("speed")
    speed.main(["trainer", "--out", str(tmp_path)])
    record = json.loads((tmp_path / "trainer.json").read_text())
    assert record["benchmark"] == "trainer"
    assert record["command"] == "python bench/trainer.py --json"
    assert {"date", "load_average_start", "load_average_end", "wall_seconds"} <= set(
        record["meta"])
    assert [row["updates"] for row in record["result"]["rows"]] and all(
        0 <= row["share"] < 1 for row in record["result"]["rows"])
    assert str(tmp_path / "trainer.json") in capsys.readouterr().out


def test_speed_refuses_an_unknown_benchmark_by_name():
    with pytest.raises(SystemExit) as stopped:
        script("speed").main(["nope"])
    assert stopped.value.code == 2


def test_the_l2_check_tries_the_comparisons_own_configurations_with_more_l2_values():
    l2_check = script("l2_check")
    entry = next(e for e in SUITE if e.key == "delayed_recall")
    tried = l2_check.configs(entry)
    for model in ("fsm", "esn"):
        grid = search_grid(entry, model)
        mine = [params for name, params in tried if name == model]
        assert len(mine) == len({json.dumps({k: v for k, v in c.items() if k != "l2"})
                                 for c in grid}) * len(l2_check.WIDER[model])
        assert all(config in mine for config in grid)       # the comparison's grid is inside
        assert {p["l2"] for p in mine} == set(l2_check.WIDER[model])


def test_the_l2_table_puts_the_best_inside_the_grid_beside_the_best_of_all():
    l2_check = script("l2_check")
    entry = next(e for e in SUITE if e.key == "adding")
    inside, outside = search_grid(entry, "fsm")[0], {**search_grid(entry, "fsm")[0], "l2": 1e4}
    records = [{"key": "adding", "model": "fsm", "params": inside, "metric": 0.23,
                "name": "mse"},
               {"key": "adding", "model": "fsm", "params": outside, "metric": 0.19,
                "name": "mse"}]                                  # smaller is better
    assert "| adding | fsm | mse | 0.23 | 0.19 | 10000 |" in l2_check.table(records)


def teardown_module():
    for name in ("bench_speed", "bench_l2_check"):
        sys.modules.pop(name, None)
