"""The live pages' fragment runner (explorer/live.py): each run draws, then works, and the
first training in a process freezes the heap the garbage collector would otherwise rescan."""
from __future__ import annotations

from explorer import live


def fake_fragment(monkeypatch) -> list:
    """Record what ``st.fragment`` is given and run the fragment once, as Streamlit would."""
    calls: list = []

    def fragment(function, run_every=None):
        calls.append(("every", run_every, function.__name__))
        return function

    monkeypatch.setattr(live.st, "fragment", fragment)
    monkeypatch.setattr(live, "freeze_heap", lambda: calls.append("freeze"))
    return calls


def test_a_ticking_fragment_draws_then_works_and_keeps_the_draw_functions_name(monkeypatch):
    calls = fake_fragment(monkeypatch)

    def curves_view():
        calls.append("draw")

    live.ticking(curves_view, True, work=lambda: calls.append("work"))
    # the name tells Streamlit's fragments apart: two fragments in one container must differ
    assert calls == ["freeze", ("every", live.RUN_EVERY, "curves_view"), "draw", "work"]


def test_a_paused_fragment_does_not_tick_or_freeze_anything(monkeypatch):
    calls = fake_fragment(monkeypatch)

    def weights_view():
        calls.append("draw")

    live.ticking(weights_view, False, every=live.SLOW_EVERY)
    assert calls == [("every", None, "weights_view"), "draw"]


def test_a_tick_of_no_run_does_nothing():
    live.tick(None)
