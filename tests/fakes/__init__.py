"""Fakes for both edges of chorebench, and the builders the tests share.

The model-server edge: a fake Ollama and a fake OpenAI-compatible server, real HTTP servers on
loopback that speak the documented APIs (``ollama``, ``openai``). The sandbox edge: a scripted
``FakeSandbox`` that passes the same contract tests as the real ``DockerSandbox``
(``sandbox``; tests/test_sandbox_contract.py), and fake engines for the engine pool
(``engine``). Run directories written through chorebench's
own record type (``rundirs``), and small builders (``builders``).
"""

from fakes.builders import (
    BUGGY_ISO,
    DONE,
    EVALPLUS,
    GB,
    PYTHON,
    STALE_CACHE_TEST,
    WRONG_ISO,
    case,
    execution,
    harness,
    hello,
    line,
)
from fakes.engine import FakeEngine
from fakes.ollama import FakeModel, FakeOllama, Reply
from fakes.openai import ChatModel, ChatReply, FakeOpenAI
from fakes.rundirs import sample, write_run
from fakes.sandbox import FakeSandbox, Hang, mirror, passes_on_reference_only, references

__all__ = [
    "BUGGY_ISO",
    "DONE",
    "EVALPLUS",
    "GB",
    "PYTHON",
    "STALE_CACHE_TEST",
    "WRONG_ISO",
    "ChatModel",
    "ChatReply",
    "FakeEngine",
    "FakeModel",
    "FakeOllama",
    "FakeOpenAI",
    "FakeSandbox",
    "Hang",
    "Reply",
    "case",
    "execution",
    "harness",
    "hello",
    "line",
    "mirror",
    "passes_on_reference_only",
    "references",
    "sample",
    "write_run",
]
