"""Every case of the adversarial catalogue, graded on the real engine under this session's runtime.

Run under both runtimes (CI runs the Docker tests again with CHOREBENCH_RUNTIME=runsc). Each
test asserts the case's whole promise through ``play``: no more points than the constant
candidate, only the allowed outcomes, time within the spec's limits plus a margin, nothing
left on the host (containers, processes, files), the runner's environment canary invisible,
and full marks for the honest candidate graded right after.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .catalogue import CATALOGUE, Hostile
from .play import Canary, canaries, play

pytestmark = [pytest.mark.adversarial, pytest.mark.docker, pytest.mark.usefixtures("no_leftovers")]


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    with canaries() as made:
        yield made


def test_the_catalogue_is_large_and_covers_every_promise() -> None:
    assert len(CATALOGUE) >= 30
    assert {h.promise for h in CATALOGUE} == {"containment", "integrity", "hygiene"}
    assert {h.spec for h in CATALOGUE} == {"iso_duration", "flatten_dict", "cache_reset_test"}


@pytest.mark.parametrize("hostile", CATALOGUE, ids=lambda h: h.id)
def test_hostile_candidate(sandbox: object, canary: Canary, hostile: Hostile) -> None:
    verdict = play(hostile, sandbox, canary)
    assert verdict.problems == (), verdict
