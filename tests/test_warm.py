"""The warm pool: its bookkeeping with plain objects, then warm containers on the real engine."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace

import pytest

from runner.grade import grade_response
from runner.sandbox import DockerSandbox, WarmPool


class Starter:
    """Items are numbers; ``dead`` ones are unusable; every discard is recorded."""

    def __init__(self, fail: bool = False) -> None:
        self.counter = itertools.count(1)
        self.dead: set[int] = set()
        self.discarded: list[int] = []
        self.fail = fail
        self.gate = threading.Event()
        self.gate.set()

    def launch(self, key: str) -> int:
        self.gate.wait(5)
        if self.fail:
            raise RuntimeError("engine down")
        return next(self.counter)

    def pool(self, size: int) -> WarmPool[str, int]:
        return WarmPool(
            size, self.launch, lambda item: item not in self.dead, self.discarded.append
        )


def test_an_empty_pool_hands_out_nothing_and_a_zero_pool_starts_nothing():
    starter = Starter()
    pool = starter.pool(0)
    pool.refill("a")
    assert pool.take("a") is None and pool.waiting() == 0
    pool.close()
    assert next(starter.counter) == 1  # nothing was launched


def test_refill_tops_up_and_each_item_is_handed_out_once():
    starter = Starter()
    pool = starter.pool(2)
    pool.refill("a")
    assert pool.wait_ready("a", 2, 5)
    pool.refill("a")  # already full: starts nothing more
    taken = [pool.take("a"), pool.take("a"), pool.take("a")]
    assert sorted(taken[:2]) == [1, 2] and taken[2] is None
    pool.close()
    assert starter.discarded == []


def test_dead_items_are_discarded_not_handed_out():
    starter = Starter()
    pool = starter.pool(2)
    pool.refill("a")
    assert pool.wait_ready("a", 2, 5)
    starter.dead = {1}
    assert pool.take("a") == 2
    assert starter.discarded == [1]
    pool.close()


def test_the_pool_never_holds_more_than_its_size_over_keys():
    starter = Starter()
    pool = starter.pool(2)
    pool.refill("a")
    assert pool.wait_ready("a", 2, 5)
    pool.refill("b")
    assert pool.wait_ready("b", 2, 5)
    assert pool.waiting() == 2 and pool.take("a") is None
    assert sorted(starter.discarded) == [1, 2]  # the other key's items made room
    pool.close()


def test_close_waits_for_starts_in_flight_and_discards_everything():
    starter = Starter()
    pool = starter.pool(3)
    starter.gate.clear()
    pool.refill("a")
    threading.Timer(0.2, starter.gate.set).start()
    pool.close()
    assert sorted(starter.discarded) == [1, 2, 3] and pool.waiting() == 0
    pool.refill("a")  # closed: no new starts
    assert pool.waiting() == 0


def test_failed_starts_are_dropped_so_the_caller_starts_cold():
    starter = Starter(fail=True)
    pool = starter.pool(2)
    pool.refill("a")
    assert not pool.wait_ready("a", 1, 0.5)
    assert pool.take("a") is None
    starter.fail = False
    pool.refill("a")  # the failures freed their slots
    assert pool.wait_ready("a", 2, 5)
    pool.close()


@pytest.fixture
def warm_sandbox(settings, sandbox):  # `sandbox` first: it skips or fails without an engine
    box = DockerSandbox(replace(settings, pool=2))
    yield box
    owner = box.owner
    box.close()
    left = box.client.containers.list(all=True, filters={"label": f"chorebench.owner={owner}"})
    assert left == [], "close() left containers behind"


@pytest.mark.docker
def test_warm_containers_grade_like_cold_ones_and_are_used_once(warm_sandbox, sandbox, iso_spec):
    assert warm_sandbox.prestart(iso_spec.limits, wait_s=60)
    before = warm_sandbox.warm_ids()
    assert len(before) == 2
    buggy = iso_spec.reference.replace("(?:([0-9]+)S)?", "(?:([0-9]+)S)")
    for code in (iso_spec.reference, buggy):
        warm = grade_response(iso_spec, code, warm_sandbox)
        cold = grade_response(iso_spec, code, sandbox)
        assert warm.to_json()["checks"] == [
            {**check, "elapsed_s": warm.to_json()["checks"][i]["elapsed_s"]}
            for i, check in enumerate(cold.to_json()["checks"])
        ]
    warm_sandbox.settle()
    # both first containers served a job and are gone; the pool started others
    assert before.isdisjoint(warm_sandbox.warm_ids())
    # One listing call, no inspect per container: other runners remove theirs meanwhile.
    used = {c["Id"] for c in warm_sandbox.client.api.containers(all=True)} & before
    assert used == set()


@pytest.mark.docker
def test_a_warm_container_that_died_is_not_blamed_on_the_candidate(warm_sandbox, iso_spec):
    assert warm_sandbox.prestart(iso_spec.limits, wait_s=60)
    for container_id in warm_sandbox.warm_ids():
        warm_sandbox.client.api.kill(container_id)
    grade = grade_response(iso_spec, iso_spec.reference, warm_sandbox)
    assert grade.points == 22 and not grade.infra_failed
