"""Tau truth tagging (susyscan.detector.truthtag): P1 and the choice frequencies on hand-built events, and the
random-tag equivalence of the shared candidates/probabilities."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from susyscan.detector.truthtag import single_tag_terms, truth_tag


def _brute_force_exactly_one(p: list[float]) -> tuple[float, list[float]]:
    """P(exactly one tag) and P(exactly one tag and it is jet j), by enumerating every tag pattern."""
    p1, per_jet = 0.0, [0.0] * len(p)
    for pattern in itertools.product((0, 1), repeat=len(p)):
        prob = float(np.prod([pj if t else 1.0 - pj for pj, t in zip(p, pattern)]))
        if sum(pattern) == 1:
            p1 += prob
            per_jet[pattern.index(1)] += prob
    return p1, per_jet


EVENTS = [[0.02, 0.7, 0.01, 0.0], [0.6], [], [0.0, 0.0], [0.5, 1.0, 0.3], [1.0, 1.0, 0.2], [0.02, 0.02, 0.02, 0.01, 0.01]]


def _flat(events: list[list[float]]) -> tuple[np.ndarray, np.ndarray]:
    p = np.array([x for ev in events for x in ev])
    event = np.repeat(np.arange(len(events)), [len(ev) for ev in events])
    return p, event


def test_p1_and_terms_match_enumeration() -> None:
    p, event = _flat(EVENTS)
    terms = single_tag_terms(p, event, len(EVENTS))
    _, p1 = truth_tag(p, event, len(EVENTS), np.full(len(EVENTS), 0.5))
    start = 0
    for i, ev in enumerate(EVENTS):
        want_p1, want_terms = _brute_force_exactly_one(ev)
        assert p1[i] == pytest.approx(want_p1, abs=1e-15)
        assert terms[start:start + len(ev)].tolist() == pytest.approx(want_terms, abs=1e-15)
        start += len(ev)
    assert p1[2] == 0.0 and p1[3] == 0.0 and p1[5] == 0.0  # no jet, no candidate, two certain tags


def test_choice_frequencies_follow_the_formula() -> None:
    """Over many seeds each jet is chosen with frequency term_j / P1 (binomial 5 sigma), never a zero-term jet,
    and exactly one jet in every event with P1 > 0."""
    p, event = _flat(EVENTS)
    n_events, n_trials = len(EVENTS), 20000
    rng = np.random.default_rng(18)
    counts = np.zeros(len(p))
    for _ in range(n_trials):
        chosen, p1 = truth_tag(p, event, n_events, rng.random(n_events))
        per_event = np.bincount(event[chosen], minlength=n_events)
        assert (per_event == (p1 > 0)).all()
        counts += chosen
    terms = single_tag_terms(p, event, n_events)
    p1 = np.bincount(event, weights=terms, minlength=n_events)
    expected = np.where(p1[event] > 0, terms / np.where(p1[event] > 0, p1[event], 1.0), 0.0)
    sigma = np.sqrt(expected * (1 - expected) / n_trials)
    assert np.all(np.abs(counts / n_trials - expected) <= 5 * sigma + 1e-12)
    assert counts[terms == 0].sum() == 0


def test_truth_tag_reproduces_the_random_tag_expectation() -> None:
    """Closure on hand-built events: the mean of (observable x weight) over truth-tag draws equals that of the
    random tags restricted to exactly-one-tag events (observable: the chosen jet's index, a per-jet value)."""
    p, event = _flat(EVENTS)
    n_events = len(EVENTS)
    value = np.arange(len(p), dtype=float) + 1.0  # a per-jet observable of the tau
    rng = np.random.default_rng(7)
    n_trials = 40000
    random_sum = np.zeros(n_events)
    truth_sum = np.zeros(n_events)
    for _ in range(n_trials):
        tags = rng.random(len(p)) < p
        n_tags = np.bincount(event, weights=tags, minlength=n_events)
        one = n_tags[event] == 1
        random_sum += np.bincount(event, weights=value * (tags & one), minlength=n_events)
        chosen, p1 = truth_tag(p, event, n_events, rng.random(n_events))
        truth_sum += np.bincount(event, weights=value * chosen, minlength=n_events) * p1
    exact = np.bincount(event, weights=value * single_tag_terms(p, event, n_events), minlength=n_events)
    assert truth_sum / n_trials == pytest.approx(exact, rel=0.02, abs=2e-3)
    assert random_sum / n_trials == pytest.approx(exact, rel=0.05, abs=5e-3)


def test_bad_inputs_are_errors() -> None:
    with pytest.raises(ValueError, match="outside"):
        truth_tag(np.array([1.2]), np.array([0]), 1, np.array([0.5]))
    with pytest.raises(ValueError, match="sorted"):
        truth_tag(np.array([0.1, 0.1]), np.array([1, 0]), 2, np.array([0.5, 0.5]))


def _tau_events(n: int):  # noqa: ANN202
    """A hadronic tau (one 35 GeV pi+ at the truth tau), a 40 GeV muon, a one-track fake (30 GeV pi-) and a
    three-track fake (three 12 GeV pions): candidate probabilities 0.70, 0.02, 0.01 with the default card."""
    from susyscan.detector.synthetic import make_events

    particles = [(211, 35.0, 0.0, 0.0), (13, 40.0, 0.5, 2.5), (-211, 30.0, 1.0, -2.0),
                 (211, 12.0, -1.0, 1.0), (-211, 12.0, -1.05, 1.05), (211, 12.0, -0.95, 1.03)]
    truth = [(15, 40.0, 0.0, 0.0, 2)]
    return make_events([particles] * n, [truth] * n)


def test_simulate_truth_tagging_changes_only_the_taus() -> None:
    import awkward as ak

    from susyscan.detector import load_card, simulate

    card = load_card()
    events = _tau_events(400)
    plain = simulate(events, card, np.random.default_rng(5))
    tagged = simulate(events, card, np.random.default_rng(5), tau_truth_tagging=True)
    assert "tau_tag_weight" not in ak.fields(plain)
    assert set(ak.fields(tagged)) == set(ak.fields(plain)) | {"tau_tag_weight"}
    for name in ak.fields(plain):
        if not name.startswith("tau_"):
            assert ak.all(plain[name] == tagged[name]), name
    n_taus = ak.to_numpy(ak.num(tagged.tau_pt))
    weight = ak.to_numpy(tagged.tau_tag_weight)
    assert n_taus.max() == 1 and np.all((weight > 0) == (n_taus == 1))
    # events whose three jets are all candidates (the usual case) have P1 of (0.70, 0.02, 0.01)
    p1 = _brute_force_exactly_one([0.70, 0.02, 0.01])[0]
    assert np.mean(np.isclose(weight, p1, rtol=1e-12)) > 0.7
    # the chosen tau is the true one with probability 0.70 * 0.98 * 0.99 / P1 (~0.98)
    true_tau = np.isclose(ak.to_numpy(ak.firsts(tagged.tau_eta[n_taus == 1])), 0.0, atol=0.1)
    assert true_tau.mean() > 0.9
