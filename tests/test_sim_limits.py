"""The simulator's `[limits]`: token bucket and hourly quota under an injected clock, the 429 with
`Retry-After` over loopback, the per-provider counters, the scenario table, and routes chosen by the
provider registry's `simulator` field."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import statuscli.providers
from statuscli.providers import provider_names
from statuscli.sim import Counts, Limit, Scenario, ScenarioError, SimTask, load_scenario
from statuscli.sim.limits import HourlyQuota, TokenBucket

from .test_simulator import (
    UUID_1,
    FakeClock,
    anchor,
    browserable,
    get,
    parse_timeline,
    running,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def scenario(limits: dict[str, Limit], timeline: str = "generating 10s -> ready") -> Scenario:
    return Scenario(
        tasks=(
            SimTask("anchor", "a1", parse_timeline(timeline, provider="anchor")),
            SimTask("browserable", UUID_1, parse_timeline("running", provider="browserable")),
        ),
        limits=limits,
    )


# --------------------------------------------------------------------------------------------
# The bucket and the quota, clock injected


def test_token_bucket_starts_full_then_refills_at_its_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2.0, burst=3.0, clock=clock)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)  # empty: one token comes in 1/rate seconds
    clock.advance(0.25)
    assert bucket.take() == pytest.approx(0.25)
    clock.advance(0.25)
    assert bucket.take() == 0.0
    clock.advance(100)  # never more than `burst` saved up
    assert [bucket.take() for _ in range(4)] == [0.0, 0.0, 0.0, pytest.approx(0.5)]


def test_token_bucket_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        TokenBucket(rate=0, burst=1, clock=FakeClock())
    with pytest.raises(ValueError, match="burst >= 1"):
        TokenBucket(rate=1, burst=0.5, clock=FakeClock())


def test_hourly_quota_counts_from_the_first_request_and_renews_each_hour() -> None:
    clock = FakeClock()
    quota = HourlyQuota(per_hour=2, clock=clock)
    clock.advance(50)  # the hour starts at the first request, not at construction
    assert [quota.take(), quota.take()] == [0.0, 0.0]
    clock.advance(600)
    assert quota.take() == pytest.approx(3000)
    clock.advance(2999.5)
    assert quota.take() == pytest.approx(0.5)
    clock.advance(0.5)
    assert [quota.take(), quota.take(), quota.take()] == [0.0, 0.0, pytest.approx(3600)]


# --------------------------------------------------------------------------------------------
# Over loopback


def test_beyond_the_bucket_the_answer_is_429_with_retry_after(clock: FakeClock) -> None:
    limits = {"anchor": Limit(rate=0.25, burst=2)}
    with running(scenario(limits), clock) as sim:
        assert [anchor(sim, "a1").status for _ in range(2)] == [200, 200]
        refused = anchor(sim, "a1")
        assert refused.status == 429
        assert refused.headers["Retry-After"] == "4"  # one token per 4 s
        assert refused.json() == {"error": "Too many requests, please try again later", "code": 429}
        clock.advance(1.5)
        assert anchor(sim, "a1").headers["Retry-After"] == "3"  # whole seconds, rounded up
        # The other provider has no limits.
        assert [browserable(sim, UUID_1).status for _ in range(5)] == [200] * 5
        clock.advance(2.5)
        assert anchor(sim, "a1").status == 200
        counters = sim.counters()
        assert (counters["anchor"], counters["browserable"]) == (
            Counts(requests=5, too_many=2),
            Counts(requests=5, too_many=0),
        )
        assert set(counters) == set(provider_names())  # one counter per provider, each of its own


def test_a_refused_request_reaches_no_task(clock: FakeClock) -> None:
    with running(scenario({"anchor": Limit(rate=1, burst=1)}), clock) as sim:
        assert anchor(sim, "a1").status == 200
        assert anchor(sim, "a1").status == 429
        (task,) = [t for t in get(sim, "/_sim/tasks").json() if t["id"] == "a1"]
        assert task["requests"] == 1


def test_browserable_limit_answers_its_own_429_body(clock: FakeClock) -> None:
    with running(scenario({"browserable": Limit(rate=1, burst=1)}), clock) as sim:
        assert browserable(sim, UUID_1).status == 200
        refused = browserable(sim, UUID_1)
        assert (refused.status, refused.headers["Retry-After"]) == (429, "1")
        assert refused.json() == {"success": False, "error": "Too many requests, please try again later"}
        assert sim.counters()["browserable"] == Counts(requests=2, too_many=1)


def test_hourly_quota_over_loopback(clock: FakeClock) -> None:
    with running(scenario({"anchor": Limit(rate=1000, burst=1000, per_hour=3)}), clock) as sim:
        assert [anchor(sim, "a1").status for _ in range(3)] == [200] * 3
        clock.advance(600)
        refused = anchor(sim, "a1")
        assert (refused.status, refused.headers["Retry-After"]) == (429, "3000")
        clock.advance(3000)
        assert anchor(sim, "a1").status == 200
        assert sim.counters()["anchor"] == Counts(requests=5, too_many=1)


def test_counters_count_every_request_and_every_429(clock: FakeClock) -> None:
    with running(scenario({}, timeline="!429 1s -> ready"), clock) as sim:
        assert sim.counters() == dict.fromkeys(provider_names(), Counts())
        assert anchor(sim, "a1").status == 429  # a !429 fault counts too
        clock.advance(1)
        assert anchor(sim, "a1").status == 200
        assert get(sim, "/v2/tasks/a1/generation-status").status == 401  # wrong key: still a request
        get(sim, "/health")  # not a provider route
        get(sim, "/_sim/tasks")
        assert sim.counters()["anchor"] == Counts(requests=3, too_many=1)


# --------------------------------------------------------------------------------------------
# The scenario table


def test_limits_table_in_a_scenario_file(tmp_path: Path) -> None:
    path = tmp_path / "limited.toml"
    path.write_text(
        textwrap.dedent(
            """
            [defaults]
            anchor = "ready"

            [limits.anchor]
            rate = 5
            burst = 10
            per_hour = 1000

            [limits.browserable]
            rate = 0.5
            """
        )
    )
    limits = load_scenario(path).limits
    assert limits == {
        "anchor": Limit(rate=5.0, burst=10.0, per_hour=1000),
        "browserable": Limit(rate=0.5, burst=1.0),  # burst defaults to max(rate, 1)
    }
    json_path = tmp_path / "limited.json"
    json_path.write_text(json.dumps({"defaults": {"anchor": "ready"}, "limits": {"anchor": {"rate": 3}}}))
    assert load_scenario(json_path).limits == {"anchor": Limit(rate=3.0, burst=3.0)}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[limits.nobody]\nrate = 1", "[limits]: unknown provider 'nobody'"),
        ("[limits]\nanchor = 5", "[limits.anchor] must be a table"),
        ("[limits.anchor]\nburst = 2", "[limits.anchor]: rate must be a number of requests per second > 0"),
        ("[limits.anchor]\nrate = 0", "rate must be a number of requests per second > 0"),
        ("[limits.anchor]\nrate = true", "rate must be a number"),
        ("[limits.anchor]\nrate = nan", "rate must be a number"),
        ("[limits.anchor]\nrate = 1\nburst = 0.5", "[limits.anchor]: burst must be a number >= 1"),
        ("[limits.anchor]\nrate = 1\nper_hour = 0", "per_hour must be a whole number >= 1"),
        ("[limits.anchor]\nrate = 1\nper_hour = 1.5", "per_hour must be a whole number >= 1"),
        ("[limits.anchor]\nrate = 1\nper_minute = 3", "[limits.anchor]: unknown key(s) per_minute"),
    ],
)
def test_bad_limits_are_one_clear_error(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(f'[defaults]\nanchor = "ready"\n\n{table}\n')
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


# --------------------------------------------------------------------------------------------
# Routes come from the provider registry


FAKE_ROUTES = """
import re
from statuscli.sim.faults import json_response
from statuscli.sim.routes import Routes

def handle(simulator, path, headers):
    return json_response(200, {"echo": path, "key": headers.get("fake-key")})

def error(status, path, headers):
    return json_response(status, {"fake": status}, *headers)

ROUTES = Routes(
    provider="fake",
    paths=(re.compile(r"/fake/.*"),),
    handle=handle,
    error=error,
    body=lambda task_id, state: {"state": state},
    states={},
    key="fake-key",
)
"""


def test_routes_are_chosen_by_the_registry_simulator_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    (tmp_path / "fake_sim_routes.py").write_text(FAKE_ROUTES)
    monkeypatch.syspath_prepend(str(tmp_path))
    anchor_record = statuscli.providers.get_provider("anchor")
    fake = dataclasses.replace(anchor_record, name="fake", simulator="fake_sim_routes")
    # A copy of the registry, so the fake provider is gone again after the test.
    monkeypatch.setattr(statuscli.providers, "_REGISTRY", dict(statuscli.providers._REGISTRY))
    statuscli.providers.register(fake)
    with running(scenario({}), clock) as sim:
        reply = get(sim, "/fake/task-9", {"fake-key": "k"})
        assert (reply.status, reply.json()) == (200, {"echo": "/fake/task-9", "key": "k"})
        assert anchor(sim, "a1").status == 200  # the real providers are still served
        assert sim.counters()["fake"] == Counts(requests=1, too_many=0)


def test_commands_other_than_the_simulator_do_not_import_it() -> None:
    probe = "import sys, statuscli.cli, statuscli.providers; print('statuscli.sim' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout == "False\n"
