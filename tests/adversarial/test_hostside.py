"""The host-side corpus (hostside.py), graded on the real engine under this session's runtime.

Each entry must end with its allowed outcomes, earn no full marks (but the honest answer),
never be an infrastructure failure, and give a grade that is valid JSON. Host CPU is measured
by ``benchmarks/host_cost.py``, not asserted here.
"""

from __future__ import annotations

import pytest

from .hostside import HOST_CORPUS, HostInput, host_cost

pytestmark = [pytest.mark.adversarial, pytest.mark.docker, pytest.mark.usefixtures("no_leftovers")]


@pytest.mark.parametrize("entry", HOST_CORPUS, ids=lambda e: e.id)
def test_host_input(sandbox: object, entry: HostInput) -> None:
    cost = host_cost(entry, sandbox)
    assert cost.problems == (), cost
