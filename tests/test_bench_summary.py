"""The benchmark's table: rounds of every scenario summed up into one row each."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import run as bench  # noqa: E402


def result(rps, p50=1.0, p99=5.0, errors=0):
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors}


def a_round(minimal, nginx, **scenarios):
    return {bench.MINIMAL: result(minimal), bench.NGINX: result(nginx), **scenarios}


def test_ratios_are_taken_within_each_round():
    # The machine's speed changes from round to round. Each round's ratio
    # compares runs a few seconds apart (0.25, 0.2, 0.15): their median is
    # 0.2, where the median throughputs (450 of 2,000) would say 0.225.
    rounds = [
        a_round(2000, 40000, **{bench.UNCACHED: result(500)}),
        a_round(1000, 20000, **{bench.UNCACHED: result(200)}),
        a_round(3000, 45000, **{bench.UNCACHED: result(450)}),
    ]
    summary = bench.summarise(rounds)
    assert summary[bench.UNCACHED]["to_minimal"] == pytest.approx(0.2)
    assert summary[bench.UNCACHED]["to_nginx"] == pytest.approx(0.01)
    assert summary[bench.MINIMAL]["to_minimal"] == 1
    # The throughput itself is the median round's.
    assert summary[bench.UNCACHED]["rps"] == 450


def test_latency_is_the_median_round_and_the_worst_tail_and_errors_add_up():
    rounds = [
        a_round(1000, 9000, **{bench.SEARCH: result(900, 1.0, 20.0, errors=1)}),
        a_round(1000, 9000, **{bench.SEARCH: result(800, 3.0, 95.0)}),
        a_round(1000, 9000, **{bench.SEARCH: result(700, 2.0, 30.0, errors=2)}),
    ]
    search = bench.summarise(rounds)[bench.SEARCH]
    assert search["p50"] == 2.0
    assert search["p99"] == 95.0
    assert search["errors"] == 3
    assert search["to_minimal"] == pytest.approx(0.8)


def test_wrk_output_is_read_with_its_units_and_every_kind_of_error():
    output = """
  Latency Distribution
     50%  812.00us
     75%    1.20ms
     90%    2.00ms
     99%    1.05s
  12000 requests in 5.00s, 300.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:   2400.12
"""
    assert bench.parse_wrk(output) == {
        "rps": 2400.12,
        "p50": pytest.approx(0.812),
        "p99": 1050.0,
        "errors": 9,
    }


def test_the_summary_line_names_each_target_with_its_reference():
    rounds = [
        a_round(
            1000,
            20000,
            **{
                bench.FRONT: result(19000),
                bench.CACHED: result(900),
                bench.UNCACHED: result(150),
                bench.SEARCH_UNCACHED: result(100, p99=80.0, errors=1),
                bench.API_UNCACHED: result(400, p99=21.25),
            },
        )
    ]
    line = bench.summary_line(
        bench.summarise(rounds), purge_ms=12.345, search_top3=0.9167
    )
    assert line == (
        "bench: front=0.95 cached=0.90 uncached=0.15 search_p99_ms=80.0 "
        "search_top3=0.92 api_p99_ms=21.2 purge_ms=12.3 errors=1"
    )
