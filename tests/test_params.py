"""The one parameter-table type: checking values, parsing strings, tables."""
import pytest

from fsm_engine.errors import FSMError, TaskError
from fsm_engine.params import Param, check_values, parse_values, split_pairs

UNITS = Param("n_units", "int", 500, "reservoir units", 1, 20_000)
RATE = Param("lr", "float", None, "learning rate", 1e-6, 1.0, log=True, optional=True)
SOLVER = Param("solver", "choice", "ridge", "how", choices=("gd", "adam", "ridge"))
FLAG = Param("fresh", "bool", True, "fresh sequences")
NAME = Param("family", "text", "random", "family mix")


def test_check_returns_the_python_type_or_names_the_parameter_and_range():
    assert UNITS.check("esn", 200) == 200 and UNITS.check("esn", 200.0) == 200
    with pytest.raises(FSMError, match="esn: n_units=0 is out of range; allowed range is 1 to"):
        UNITS.check("esn", 0)
    for bad in (2.5, "7", True, None, float("nan")):
        with pytest.raises(FSMError, match="n_units"):
            UNITS.check("esn", bad)
    with pytest.raises(TaskError):
        UNITS.check("task", -1, TaskError)


def test_optional_parameters_take_none_as_automatic():
    assert RATE.check("fsm", None) is None and RATE.parse("fsm", "auto") is None
    assert RATE.parse("fsm", "0.01") == 0.01
    with pytest.raises(FSMError, match="not a number"):
        RATE.parse("fsm", "fast")
    with pytest.raises(FSMError, match="n_units must be a whole number"):
        UNITS.check("esn", None)


def test_parse_reads_every_type_from_text():
    assert UNITS.parse("esn", "1_000") == 1000
    assert SOLVER.parse("fsm", "adam") == "adam"
    assert FLAG.parse("lstm", "no") is False and FLAG.parse("lstm", "True") is True
    assert NAME.parse("fsm", "random:0.5,counter:0.5") == "random:0.5,counter:0.5"
    with pytest.raises(FSMError, match="choose one of 'gd', 'adam', 'ridge'"):
        SOLVER.parse("fsm", "sgd")
    with pytest.raises(FSMError, match="not true or false"):
        FLAG.parse("lstm", "maybe")


def test_choices_that_are_numbers_parse_from_text():
    grid = Param("levels", "choice", 4, "levels", choices=(2, 4, 8))
    assert grid.parse("series", "8") == 8


def test_check_values_fills_defaults_and_refuses_unknown_keys():
    table = (UNITS, RATE, SOLVER)
    assert check_values("esn", table, {"n_units": 10}) == {"n_units": 10, "lr": None,
                                                           "solver": "ridge"}
    with pytest.raises(FSMError, match="unknown parameter 'units'; allowed parameters are "
                                       "n_units, lr, solver"):
        check_values("esn", table, {"units": 10})
    assert parse_values("esn", table, {"n_units": "30"}) == {"n_units": 30}


def test_split_pairs_keeps_values_as_text_and_names_a_malformed_pair():
    assert split_pairs(["k=3", "corpus=fsm", "text=a=b"]) == {"k": "3", "corpus": "fsm",
                                                              "text": "a=b"}
    with pytest.raises(FSMError, match="'k3' is not of the form name=value"):
        split_pairs(["k3"])


def test_a_widget_row_and_title_come_from_the_table():
    assert SOLVER.as_dict()["choices"] == ["gd", "adam", "ridge"]
    assert Param("n_states", "int", 8, "states", 1, 64).title == "n states"
    assert Param("stay", "float", 0.0, "stay", 0, 1, label="stay probability").title \
        == "stay probability"
