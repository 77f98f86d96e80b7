"""Pull the Python code out of a raw model response, statically: nothing is ever executed.

Contract of :func:`extract_code`, which looks at nothing but its ``raw`` argument:

* An answer over the caps (``ANSWER_BYTES`` of UTF-8, ``ANSWER_LINES``: ``runner.caps``) is not
  searched: its code is empty (``oversized`` says why; compliance reports it as ``too_large``).
* Line endings are normalised to ``\\n`` first; ``Extraction.raw`` keeps the original text.
* Empty or whitespace-only ``raw`` gives ``code == ""``, no prose.
* Fenced mode (any Markdown fence found). Fences follow CommonMark: an opening line of 3 or more
  backticks or tildes, indented by at most 3 spaces, optionally followed by a language tag (the
  first word of the info string); the closing line uses the same character, at least as many of
  them, and nothing else. An unterminated fence runs to the end of the text. ``fenced_blocks``
  counts the openings. Blocks tagged with nothing or a Python tag (``PYTHON_TAGS``) are code: each
  is dedented when uniformly indented, and non-blank blocks are joined with one blank line. Blocks
  in another language (shell, output, text) are prose, fence lines included.
* Unfenced mode. If the text, less leading and trailing blank lines, parses with ``ast.parse``, it
  is all code. Otherwise the code is searched from each line that begins, at column 0, like
  Python (``CODE_STARTS``), in order: from such a line, the text up to the end is parsed; while it
  does not parse, it is cut before the line the parser names (or by one line when that names
  none); the first cut that parses and holds a statement is the code. A cut that parses but
  holds only comments moves the search past it. The text before and after is prose.
  The search parses at most ``EXTRACT_PARSE_FACTOR`` times the text's length (``runner.caps``):
  past that, as when nothing parses, the whole text is the code and there is no prose, and
  the syntax error is for compliance to report.
* ``prose`` holds each non-blank stretch of text outside the code, stripped, in order: a stretch
  is everything between two code blocks (or between the text's ends and the code).
"""

from __future__ import annotations

import ast
import re
import textwrap
import warnings

from runner.caps import ANSWER_BYTES, ANSWER_LINES, EXTRACT_PARSE_FACTOR
from runner.records import Extraction
from runner.values import PARSER_LOCK

PYTHON_TAGS = frozenset({"", "python", "py", "python3", "py3"})
CODE_STARTS = ("def ", "async def ", "class ", "import ", "from ", "@", "#", "if __name__")

# Up to 3 spaces, then a run of 3+ backticks or tildes, then the info string.
_OPENING = re.compile(r" {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)")


def extract_code(raw: str) -> Extraction:
    """Split ``raw`` into the Python code it contains and the prose around it (see module doc)."""
    if oversized(raw):
        return Extraction(raw=raw, code="")
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return Extraction(raw=raw, code="")
    lines = text.split("\n")
    blocks, prose, openings = _split_fences(lines)
    if openings:
        return Extraction(raw=raw, code="\n\n".join(blocks), fenced_blocks=openings, prose=prose)
    code, prose = _find_unfenced(lines)
    return Extraction(raw=raw, code=code, prose=prose)


def oversized(raw: str) -> str | None:
    """Why ``raw`` is over the answer caps, or None; costs no more than reading it once."""
    size = len(raw) if len(raw) > ANSWER_BYTES else len(raw.encode("utf-8", "surrogatepass"))
    if size > ANSWER_BYTES:
        return f"the response is over {ANSWER_BYTES} bytes ({size}): it is not analysed nor run"
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    if lines > ANSWER_LINES:
        return f"the response has {lines} lines, over {ANSWER_LINES}: it is not analysed nor run"
    return None


def _split_fences(lines: list[str]) -> tuple[list[str], tuple[str, ...], int]:
    """Return the Python blocks' code, the prose stretches and the number of fence openings."""
    blocks: list[str] = []
    prose: list[str] = []
    pending: list[str] = []  # the lines of the prose stretch being collected
    openings = 0
    i = 0
    while i < len(lines):
        opening = _opening(lines[i])
        if opening is None:
            pending.append(lines[i])
            i += 1
            continue
        fence, language = opening
        openings += 1
        end = i + 1
        while end < len(lines) and not _closes(lines[end], fence):
            end += 1
        body = lines[i + 1 : end]
        if language in PYTHON_TAGS:
            _flush(pending, prose)
            if any(line.strip() for line in body):
                blocks.append(textwrap.dedent("\n".join(body)))
        else:
            # A shell command or sample output is not part of the program: it is text to a reader.
            pending.extend(lines[i : end + 1])
        i = end + 1
    _flush(pending, prose)
    return blocks, tuple(prose), openings


def _opening(line: str) -> tuple[str, str] | None:
    """The fence and lowercased language tag if ``line`` opens a fenced block, else None."""
    match = _OPENING.fullmatch(line)
    if match is None:
        return None
    fence, info = match["fence"], match["info"]
    if fence[0] == "`" and "`" in info:
        return None  # CommonMark: that is inline code such as ```x```, not a fence
    words = info.split()
    return fence, (words[0].lower() if words else "")


def _closes(line: str, fence: str) -> bool:
    """Whether ``line`` closes a block opened by ``fence`` (same char, at least as long)."""
    body = line.lstrip(" ")
    if len(line) - len(body) > 3:
        return False
    body = body.rstrip(" \t")
    return len(body) >= len(fence) and body == fence[0] * len(body)


def _flush(pending: list[str], prose: list[str]) -> None:
    """Move the collected stretch into ``prose`` if it holds any text, and start a new one."""
    stretch = "\n".join(pending).strip()
    if stretch:
        prose.append(stretch)
    pending.clear()


def _find_unfenced(lines: list[str]) -> tuple[str, tuple[str, ...]]:
    """Find the code in a text without fences; return it and the prose stretches around it."""
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    lines = lines[nonblank[0] : nonblank[-1] + 1]
    whole = "\n".join(lines).rstrip()
    budget = _Budget(EXTRACT_PARSE_FACTOR * len(whole))
    try:
        if isinstance(budget.parse(whole), ast.Module):
            return whole, ()
        start = 0
        while start < len(lines):
            if not lines[start].startswith(CODE_STARTS):
                start += 1
                continue
            found, end = _longest_from(lines, start, budget)
            if found:
                code = "\n".join(lines[start:end]).rstrip()
                stretches = ("\n".join(lines[:start]).strip(), "\n".join(lines[end:]).strip())
                return code, tuple(stretch for stretch in stretches if stretch)
            start = max(start + 1, end)
    except _OverBudget:
        pass
    return whole, ()


def _longest_from(lines: list[str], start: int, budget: _Budget) -> tuple[bool, int]:
    """Cut ``lines[start:]`` before each error until it parses (see the module doc).

    Returns whether a cut holds a statement, and where the cut ends: when it holds only
    comments, no start before that end can yield more.
    """
    end = len(lines)
    while end > start:
        result = budget.parse("\n".join(lines[start:end]).rstrip())
        if isinstance(result, ast.Module):
            return bool(result.body), end
        bad = start + result - 1 if result else end - 1  # the index of the line the parser named
        if bad <= start:
            break  # every cut from here holds that line
        end = min(bad, end - 1)
    return False, start + 1


class _OverBudget(Exception):
    """The search has parsed as much text as it may."""


class _Budget:
    """Counts the characters handed to the parser; raises _OverBudget past ``limit``."""

    def __init__(self, limit: int) -> None:
        self.left = limit + 4096  # a few short parses of a tiny answer are always allowed

    def parse(self, code: str) -> ast.Module | int:
        """The module's AST, or the 1-based line of its syntax error (0: no line known)."""
        self.left -= len(code) + 1
        if self.left < 0:
            raise _OverBudget
        try:
            with PARSER_LOCK, warnings.catch_warnings():
                # Deprecation warnings (e.g. "\d" in a string) must not spam, nor fail under -W.
                warnings.simplefilter("ignore")
                return ast.parse(code)
        except SyntaxError as error:
            return error.lineno or 0
        except ValueError:  # null bytes: the line of the first one
            return code.count("\n", 0, code.find("\0")) + 1 if "\0" in code else 0
        except (MemoryError, RecursionError):  # absurdly deep nesting
            return 0
