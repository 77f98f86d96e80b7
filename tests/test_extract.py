"""Tests of runner.grade.extract: each response shape gives an exact code, fence count and prose."""

from __future__ import annotations

import warnings

import pytest

from runner.grade import extract_code
from runner.records import Extraction

FUNCTION = "def add(a, b):\n    return a + b"


def test_plain_code_is_all_code() -> None:
    raw = FUNCTION + "\n"
    assert extract_code(raw) == Extraction(raw=raw, code=FUNCTION, fenced_blocks=0, prose=())


def test_plain_code_loses_surrounding_blank_lines_but_keeps_indentation() -> None:
    raw = "\n\n  \ndef f():\n    return 1\n\n\n"
    assert extract_code(raw).code == "def f():\n    return 1"


def test_python_fence_with_prose_before_and_after() -> None:
    raw = f"Here is the function:\n\n```python\n{FUNCTION}\n```\n\nIt adds two numbers.\n"
    assert extract_code(raw) == Extraction(
        raw=raw,
        code=FUNCTION,
        fenced_blocks=1,
        prose=("Here is the function:", "It adds two numbers."),
    )


@pytest.mark.parametrize("tag", ["py", "python3", "py3", "Python", "PYTHON"])
def test_python_like_tags_are_code(tag: str) -> None:
    result = extract_code(f"```{tag}\n{FUNCTION}\n```")
    assert (result.code, result.fenced_blocks, result.prose) == (FUNCTION, 1, ())


def test_info_string_after_the_tag_is_ignored() -> None:
    result = extract_code(f"```python title='add.py'\n{FUNCTION}\n```")
    assert (result.code, result.fenced_blocks) == (FUNCTION, 1)


def test_bare_fence_is_code() -> None:
    result = extract_code(f"```\n{FUNCTION}\n```\n")
    assert (result.code, result.fenced_blocks, result.prose) == (FUNCTION, 1, ())


@pytest.mark.parametrize("opening", ["~~~", "~~~python", "~~~~ py"])
def test_tilde_fence(opening: str) -> None:
    closing = "~" * opening.count("~")
    result = extract_code(f"Code:\n{opening}\n{FUNCTION}\n{closing}\n")
    assert (result.code, result.fenced_blocks, result.prose) == (FUNCTION, 1, ("Code:",))


def test_four_backtick_fence_keeps_an_inner_triple_backtick_line() -> None:
    code = 'DOC = """\n```\nnot a fence here\n```\n"""'
    result = extract_code(f"````python\n{code}\n````\nDone.")
    assert (result.code, result.fenced_blocks, result.prose) == (code, 1, ("Done.",))


def test_closing_fence_must_use_the_same_character() -> None:
    result = extract_code("```python\nx = 1\n~~~\ny = 2\n```\n")
    assert (result.code, result.fenced_blocks) == ("x = 1\n~~~\ny = 2", 1)


def test_longer_closing_fence_closes() -> None:
    result = extract_code("```python\nx = 1\n`````\nafter")
    assert (result.code, result.prose) == ("x = 1", ("after",))


def test_two_python_blocks_are_joined_with_a_blank_line() -> None:
    raw = (
        "First the import:\n```python\nimport math\n```\n"
        "Then the function:\n```python\ndef f(x):\n    return math.sqrt(x)\n```\n"
    )
    assert extract_code(raw) == Extraction(
        raw=raw,
        code="import math\n\ndef f(x):\n    return math.sqrt(x)",
        fenced_blocks=2,
        prose=("First the import:", "Then the function:"),
    )


def test_other_language_block_is_prose() -> None:
    raw = f"```python\n{FUNCTION}\n```\nInstall and run:\n```bash\npip install x\n```\n"
    result = extract_code(raw)
    assert result.code == FUNCTION
    assert result.fenced_blocks == 2
    assert result.prose == ("Install and run:\n```bash\npip install x\n```",)


def test_output_block_between_python_blocks_splits_nothing() -> None:
    raw = "```python\nx = 1\n```\n```output\n1\n```\n```py\ny = 2\n```"
    result = extract_code(raw)
    assert (result.code, result.fenced_blocks) == ("x = 1\n\ny = 2", 3)
    assert result.prose == ("```output\n1\n```",)


def test_only_another_language_block_gives_no_code() -> None:
    result = extract_code("```text\nhello\n```")
    assert (result.code, result.fenced_blocks, result.prose) == ("", 1, ("```text\nhello\n```",))


def test_unterminated_fence_runs_to_the_end() -> None:
    raw = f"Sure:\n```python\n{FUNCTION}\n\n# more"
    assert extract_code(raw) == Extraction(
        raw=raw, code=FUNCTION + "\n\n# more", fenced_blocks=1, prose=("Sure:",)
    )


def test_indented_fence_is_dedented() -> None:
    raw = "1. Write it:\n\n   ```python\n   def f():\n       return 1\n   ```\n"
    result = extract_code(raw)
    assert (result.code, result.fenced_blocks) == ("def f():\n    return 1", 1)
    assert result.prose == ("1. Write it:",)


def test_fence_indented_four_spaces_is_not_a_fence() -> None:
    raw = "    ```python\n    x = 1\n    ```"
    assert extract_code(raw) == Extraction(raw=raw, code=raw, fenced_blocks=0, prose=())


def test_inline_triple_backticks_are_not_a_fence() -> None:
    raw = "```x = 1``` sets x.\n"
    assert extract_code(raw) == Extraction(raw=raw, code="```x = 1``` sets x.")


def test_empty_fenced_block_is_counted_but_adds_no_code() -> None:
    result = extract_code("```python\n```\n```python\nx = 1\n```")
    assert (result.code, result.fenced_blocks) == ("x = 1", 2)


def test_fenced_code_is_used_as_is() -> None:
    result = extract_code("```python\n\nx = 1  \ny = 2\n```")
    assert result.code == "\nx = 1  \ny = 2"


def test_prose_before_unfenced_code() -> None:
    raw = f"Here is the function:\n\n{FUNCTION}\n"
    assert extract_code(raw) == Extraction(
        raw=raw, code=FUNCTION, fenced_blocks=0, prose=("Here is the function:",)
    )


def test_prose_after_unfenced_code() -> None:
    raw = f"{FUNCTION}\n\nThat's all."
    assert extract_code(raw) == Extraction(raw=raw, code=FUNCTION, prose=("That's all.",))


def test_code_with_trailing_explanation_paragraph() -> None:
    raw = (
        "import math\n\n\ndef hyp(a, b):\n    return math.hypot(a, b)\n\n"
        "This uses math.hypot, which avoids overflow.\nIt works for ints and floats.\n"
    )
    result = extract_code(raw)
    assert result.code == "import math\n\n\ndef hyp(a, b):\n    return math.hypot(a, b)"
    assert result.prose == (
        "This uses math.hypot, which avoids overflow.\nIt works for ints and floats.",
    )
    assert result.fenced_blocks == 0


def test_prose_on_both_sides_of_unfenced_code() -> None:
    raw = "Sure! Here you go:\n@cache\ndef f(n):\n    return n\nHope it helps!"
    result = extract_code(raw)
    assert result.code == "@cache\ndef f(n):\n    return n"
    assert result.prose == ("Sure! Here you go:", "Hope it helps!")


def test_markdown_heading_is_not_taken_for_a_comment() -> None:
    raw = "# Solution\n\nThe function is below.\n\ndef f():\n    return 1\n"
    result = extract_code(raw)
    assert result.code == "def f():\n    return 1"
    assert result.prose == ("# Solution\n\nThe function is below.",)


def test_leading_comment_is_part_of_the_code() -> None:
    raw = "Answer:\n# adds numbers\ndef add(a, b):\n    return a + b\n"
    result = extract_code(raw)
    assert result.code == "# adds numbers\ndef add(a, b):\n    return a + b"
    assert result.prose == ("Answer:",)


def test_main_guard_starts_code() -> None:
    raw = "Run it like this:\nif __name__ == '__main__':\n    print(1)\n"
    result = extract_code(raw)
    assert (result.code, result.prose) == (
        "if __name__ == '__main__':\n    print(1)",
        ("Run it like this:",),
    )


@pytest.mark.parametrize("raw", ["", " ", "\n\n", " \t\r\n "])
def test_empty_and_whitespace(raw: str) -> None:
    assert extract_code(raw) == Extraction(raw=raw, code="", fenced_blocks=0, prose=())


def test_syntax_error_is_kept_whole_as_code() -> None:
    raw = "def f(:\n    return 1\n"
    assert extract_code(raw) == Extraction(raw=raw, code="def f(:\n    return 1", prose=())


def test_syntax_error_inside_fence_is_kept() -> None:
    result = extract_code("```python\ndef f(:\n    pass\n```")
    assert (result.code, result.fenced_blocks) == ("def f(:\n    pass", 1)


def test_crlf_line_endings() -> None:
    raw = "Here:\r\n```python\r\ndef f():\r\n    return 1\r\n```\r\nBye.\r\n"
    assert extract_code(raw) == Extraction(
        raw=raw, code="def f():\n    return 1", fenced_blocks=1, prose=("Here:", "Bye.")
    )


def test_crlf_unfenced() -> None:
    raw = "Here is it:\r\n\r\ndef f():\r\n    return 1\r\n"
    result = extract_code(raw)
    assert (result.code, result.prose) == ("def f():\n    return 1", ("Here is it:",))


def test_only_prose_is_returned_as_code_for_compliance_to_reject() -> None:
    raw = "\nI'm sorry, but I can't help with that.\n"
    assert extract_code(raw) == Extraction(
        raw=raw, code="I'm sorry, but I can't help with that.", fenced_blocks=0, prose=()
    )


def test_raw_is_kept_verbatim() -> None:
    raw = "```python\r\nx = 1\r\n```"
    assert extract_code(raw).raw == raw


def test_deprecated_escape_still_parses_when_warnings_are_errors() -> None:
    raw = 'Here:\nimport re\nPATTERN = re.compile("\\d+")\n'
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert extract_code(raw) == Extraction(
            raw=raw, code='import re\nPATTERN = re.compile("\\d+")', prose=("Here:",)
        )
