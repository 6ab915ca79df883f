"""A smoke run of bench/verify_cost.py: the token figure it prints holds (wall time is printed
by the bench, not tested)."""

from __future__ import annotations

from bench.live import Latency
from bench.verify_cost import measure


def test_the_self_check_costs_a_fraction_of_the_review_and_drops_the_noise() -> None:
    figures = measure(1_000, Latency(0.01, 0.001), concurrency=4, repeats=1)
    assert figures["changed_lines"] >= 1_000
    assert 40 <= figures["changed_lines_per_finding"] <= 60
    assert figures["verify_token_ratio"] <= 0.25 and figures["token_target_met"]
    on, off = figures["with"], figures["without"]
    assert off["verify_requests"] == 0 and on["verify_requests"] == on["review_requests"]
    # every 4th finding of a request is noise the fake self-check rejects
    assert 0 < on["rejected"] <= off["findings"] // 4 + on["review_requests"]
    assert on["unverified"] == 0 and on["findings"] == off["findings"] - on["rejected"]
