"""The one exception tree of chorebench. Only ``runner.cli`` turns these into exit codes.

    ChorebenchError               anything chorebench raises on purpose
    ├── BadInputError             the user's input is wrong: exit 2, nothing run
    │   └── SpecError             a spec file is invalid (each problem ``FILE: /pointer: reason``)
    └── InfraError                chorebench could not do its job: exit 1
        ├── SandboxError          the Docker engine or the grader image failed
        ├── NoEngineLeft          every configured engine was lost: the run stops, resumable
        └── BackendError          a model server could not be reached or answered badly

An ``InfraError`` is never a candidate's failure: a grade that meets one is marked
``infra_error`` and is not counted.
"""

from __future__ import annotations


class ChorebenchError(Exception):
    """Base of every error chorebench raises on purpose."""

    exit_code = 1


class BadInputError(ChorebenchError):
    """The input (a file, a flag) is wrong; the message says which and what to do."""

    exit_code = 2


class SpecError(BadInputError):
    """One or more spec files are invalid.

    Attributes:
        problems: every problem found, each formatted ``FILE: /json/pointer: reason``.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class InfraError(ChorebenchError):
    """Something chorebench depends on failed; retrying later may work."""

    exit_code = 1


class SandboxError(InfraError):
    """The Docker engine did not answer, or the grader image could not be built or started."""


class NoEngineLeft(InfraError):
    """Every configured Docker engine was lost. Not a ``SandboxError`` on purpose: a grade
    never absorbs it (as an ``infra_error``); it stops the command, and nothing ungraded is
    recorded, so the same command resumes once an engine is back."""


class BackendError(InfraError):
    """A model server could not be reached, or answered in a way chorebench cannot use."""
