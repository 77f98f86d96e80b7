"""Pull the Python code out of a raw model response, statically: nothing is ever executed.

Contract of :func:`extract_code`, which looks at nothing but its ``raw`` argument:

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
  is all code. Otherwise the code starts at the first line that begins, at column 0, like Python
  (``CODE_STARTS``) and ends at the latest line such that the lines in between parse and hold at
  least one statement; if that start line yields nothing, the next such line is tried. The text
  before and after is prose. If nothing parses, the whole text is the code and there is no prose:
  the syntax error is for compliance to report.
* ``prose`` holds each non-blank stretch of text outside the code, stripped, in order: a stretch
  is everything between two code blocks (or between the text's ends and the code).
"""

from __future__ import annotations

import ast
import re
import textwrap
import warnings

from runner.records import Extraction

PYTHON_TAGS = frozenset({"", "python", "py", "python3", "py3"})
CODE_STARTS = ("def ", "async def ", "class ", "import ", "from ", "@", "#", "if __name__")

# Up to 3 spaces, then a run of 3+ backticks or tildes, then the info string.
_OPENING = re.compile(r" {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)")


def extract_code(raw: str) -> Extraction:
    """Split ``raw`` into the Python code it contains and the prose around it (see module doc)."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return Extraction(raw=raw, code="")
    lines = text.split("\n")
    blocks, prose, openings = _split_fences(lines)
    if openings:
        return Extraction(raw=raw, code="\n\n".join(blocks), fenced_blocks=openings, prose=prose)
    code, prose = _find_unfenced(lines)
    return Extraction(raw=raw, code=code, prose=prose)


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
    if _parse(whole) is not None:
        return whole, ()
    for start, line in enumerate(lines):
        if not line.startswith(CODE_STARTS):
            continue
        for end in range(len(lines), start, -1):
            code = "\n".join(lines[start:end]).rstrip()
            tree = _parse(code)
            # A lone comment parses too, but a Markdown heading ("# Solution") is no program.
            if tree is not None and tree.body:
                stretches = ("\n".join(lines[:start]).strip(), "\n".join(lines[end:]).strip())
                return code, tuple(stretch for stretch in stretches if stretch)
    return whole, ()


def _parse(code: str) -> ast.Module | None:
    """The module's AST, or None when ``code`` is not valid Python."""
    try:
        with warnings.catch_warnings():
            # Deprecation warnings (e.g. "\d" in a string) must not spam, nor fail under -W error.
            warnings.simplefilter("ignore")
            return ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None  # ValueError: null bytes; Memory/RecursionError: absurdly deep nesting
