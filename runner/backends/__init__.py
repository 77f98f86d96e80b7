"""The backends room: the model-server clients. Only this room imports ``httpx``.

Owns the shared HTTP plumbing and records (``httpbase``: ``Completion``, ``ModelInfo``, the
mapping of wire failures to ``runner.errors``' backend errors, the request defaults), the
Ollama client (``ollama``), the OpenAI-compatible client (``openai_compat``), and the choice
between them by host string (``hosts``: ``parse_host``, ``make_client``,
``require_a_server``, ``survey``: what every host serves).

May import: ``runner.errors``, ``runner.settings``. No other room.
"""

from runner.backends.hosts import (
    BACKENDS,
    DEMO_HINT,
    Client,
    Host,
    Survey,
    backend_of,
    make_client,
    parse_host,
    require_a_server,
    survey,
)
from runner.backends.httpbase import (
    BACKOFF_S,
    REQUEST_TIMEOUT_S,
    RETRIES,
    Completion,
    HttpClient,
    ModelInfo,
    model_key,
)
from runner.backends.ollama import OllamaClient, normalize_host
from runner.backends.openai_compat import (
    API_KEY_VARIABLE,
    OpenAIClient,
    split_think_block,
    thinking_fields,
)

__all__ = [
    "API_KEY_VARIABLE",
    "BACKENDS",
    "BACKOFF_S",
    "DEMO_HINT",
    "REQUEST_TIMEOUT_S",
    "RETRIES",
    "Client",
    "Completion",
    "Host",
    "HttpClient",
    "ModelInfo",
    "OllamaClient",
    "OpenAIClient",
    "Survey",
    "backend_of",
    "make_client",
    "model_key",
    "normalize_host",
    "parse_host",
    "require_a_server",
    "split_think_block",
    "survey",
    "thinking_fields",
]
