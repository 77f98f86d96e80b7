"""The one exception tree of chorebench. Only ``runner.cli`` turns these into exit codes.

    ChorebenchError               anything chorebench raises on purpose
    ├── BadInputError             the user's input is wrong: exit 2, nothing run
    │   ├── SpecError             a spec file is invalid (each problem ``FILE: /pointer: reason``)
    │   └── WrongBackend          a host speaks another backend's API than its host string says
    └── InfraError                chorebench could not do its job: exit 1
        ├── SandboxError          the Docker engine or the grader image failed
        ├── NoEngineLeft          every configured engine was lost: the run stops, resumable
        └── BackendError          a model server could not be reached or answered badly
            ├── ServerUnreachable     no server answered at the URL
            ├── ModelNotFound         the server does not have the model
            ├── ThinkingUnsupported   a thinking setting for a model that cannot think
            ├── TransientError        a 5xx, a timeout, a dropped connection: worth retrying
            └── BadResponse           an answer that is not the documented JSON

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


class WrongBackend(BadInputError):
    """The host answers, but speaks another backend's API than its host string says."""


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


class ServerUnreachable(BackendError):
    """No server answered at the URL."""


class ModelNotFound(BackendError):
    """The server does not have the model (not pulled, not loaded)."""


class ThinkingUnsupported(BackendError):
    """A thinking setting was sent for a model without the thinking capability."""


class TransientError(BackendError):
    """A 5xx, a timeout or a dropped connection: worth retrying."""


class BadResponse(BackendError):
    """The server answered with something that is not the documented JSON.

    Attributes:
        status: the HTTP status of an error answer, None for a body that does not parse.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
