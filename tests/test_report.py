"""The report on run directories shaped like the write-up's: its tables, and what it could not say.

Pure: the run directories are built in the tests (``fakes.rundirs``); the end-to-end path through
a server and the sandbox is in ``test_bench.py``.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace

import pytest
from click.testing import CliRunner
from fakes import GB, sample, write_run

from runner.cli import main
from runner.report import build_report, render_markdown, write_report

GEMMA, CODER, QWEN3, DEEPSEEK = (
    "gemma4:latest",
    "qwen2.5-coder:14b",
    "qwen3:14b",
    "deepseek-coder-v2:16b",
)
Q9, Q4 = "qwen3.5:9b", "qwen3.5:4b"
SIZES = {
    Q9: int(6.6 * GB),
    CODER: int(9.0 * GB),
    Q4: int(3.4 * GB),
    QWEN3: int(9.3 * GB),
    GEMMA: int(9.6 * GB),
    DEEPSEEK: int(8.9 * GB),
}
SPECS = [
    ("cache_reset_test", "tests"),
    ("iso_duration", "parsers"),
    ("flatten_dict", "transformers"),
]
THINK_OFF = {Q9, Q4, QWEN3}

# The write-up's variance table (P2, 3 runs at 0.2) and its P3 runs; single runs elsewhere.
ISO_RUNS = {
    GEMMA: [22, 22, 22],
    CODER: [22, 20, 20],
    QWEN3: [17, 16, 17],
    DEEPSEEK: [16, 16, 12],
    Q9: [9, 9, 21],
    Q4: [4, 19, 16],
}
FLATTEN_RUNS = {GEMMA: [10, 10, 10], CODER: [10, 10, 9], Q9: [10], Q4: [8], QWEN3: [10]}
FLATTEN_RUNS[DEEPSEEK] = [9]
TESTS_RUNS = {Q9: [1], CODER: [1], Q4: [1], QWEN3: [1], GEMMA: [0], DEEPSEEK: [0]}
BEST_OF = {Q9: [22, 14, 21, 8, 14], Q4: [20, 13, 20, 8, 20]}


def _runs(spec: str, family: str, table: dict[str, list[int]], maximum: int) -> list[dict]:
    records = []
    for model, scores in table.items():
        for run, points in enumerate(scores, 1):
            # gemma's three perfect answers and qwen3.5:9b's two broken ones were byte-identical
            same = (model == GEMMA and maximum == 22) or (model == Q9 and points == 9)
            records.append(
                sample(
                    model,
                    spec,
                    run,
                    points,
                    maximum,
                    family=family,
                    think=False if model in THINK_OFF else None,
                    response=f"def parse(s):  # {model} {points}\n" if same else None,
                    violations=("fences",) if model in (CODER, DEEPSEEK) else (),
                )
            )
    return records


@pytest.fixture
def seed_run(tmp_path):
    records = _runs("cache_reset_test", "tests", TESTS_RUNS, 1)
    records += _runs("iso_duration", "parsers", ISO_RUNS, 22)
    records += _runs("flatten_dict", "transformers", FLATTEN_RUNS, 10)
    for model, scores in BEST_OF.items():
        records += [
            sample(
                model,
                "iso_duration",
                run,
                points,
                22,
                family="parsers",
                phase="best_of",
                temperature=0.7,
                think=False,
                wall_s=6.0,
            )
            for run, points in enumerate(scores, 1)
        ]
    phases = {
        "runs": {"runs": 3, "temperature": 0.2},
        "best_of": {"runs": 5, "temperature": 0.7, "hit_at": 0.82},
    }
    return write_run(tmp_path / "seed", SIZES, SPECS, records, phases)


def _variance(report, spec):
    return {row.model: row for row in report.variance if row.spec == spec}


def test_variance_labels_are_the_write_ups(seed_run):
    report = build_report(seed_run)
    rows = _variance(report, "iso_duration")
    labels = {model: row.stability for model, row in rows.items()}
    assert labels == {
        GEMMA: "perfect",
        CODER: "tight",
        QWEN3: "stably mediocre",
        DEEPSEEK: "stably wrong",
        Q9: "bimodal",
        Q4: "wild",
    }
    assert [row.model for row in report.variance if row.spec == "iso_duration"] == [
        GEMMA, CODER, QWEN3, DEEPSEEK, Q9, Q4,
    ]  # fmt: skip
    assert rows[GEMMA].byte_stable and rows[GEMMA].distinct_responses == 1
    assert rows[Q9].distinct_responses == 2 and not rows[Q9].byte_stable
    assert rows[CODER].mean_points == pytest.approx(20.667, abs=1e-3)
    assert rows[Q4].mean_points == pytest.approx(13.0)
    assert rows[Q4].sd_points == pytest.approx(7.937, abs=1e-3)
    # t(0.975, 2) = 4.303: the wild model's interval covers everything after clipping
    assert (rows[Q4].ci_low, rows[Q4].ci_high) == (0.0, 1.0)
    assert rows[CODER].ci_low == pytest.approx((20.667 - 4.303 * 1.1547 / 3**0.5) / 22, abs=1e-3)
    assert rows[CODER].ci_high == 1.0
    assert (rows[GEMMA].ci_low, rows[GEMMA].ci_high) == (1.0, 1.0)
    assert _variance(report, "flatten_dict")[Q9].stability == "single run"


def test_words_under_the_variance_table(seed_run):
    notes = build_report(seed_run).variance_notes["iso_duration"]
    text = "\n".join(notes)
    # gemma and the coder tie on run 1 (22/22): no single-shot leader to contradict there
    assert "do not support (95% intervals overlap): gemma4:latest above qwen2.5-coder" in text
    assert "qwen3.5:4b beat qwen3.5:9b on run 1" not in text  # 4 < 9 on run 1
    assert "qwen3.5:9b beat" not in text


def test_single_shot_ranking_reproduces_the_write_up(tmp_path):
    single = {
        Q9: [1, 21, 10],
        CODER: [1, 20, 10],
        Q4: [1, 20, 8],
        QWEN3: [1, 8, 10],
        GEMMA: [0, 22, 10],
        DEEPSEEK: [0, 16, 9],
    }
    records = []
    for (spec, family), maximum, index in zip(SPECS, (1, 22, 10), range(3), strict=True):
        table = {model: [scores[index]] for model, scores in single.items()}
        records += _runs(spec, family, table, maximum)
    report = build_report(write_run(tmp_path / "single", SIZES, SPECS, records))
    ranked = [(row.rank, row.model, round(row.score, 3)) for row in report.ranking]
    assert ranked == [
        (1, Q9, 0.985),
        (2, CODER, 0.970),
        (3, Q4, 0.903),
        (4, QWEN3, 0.788),
        (5, GEMMA, 0.667),
        (6, DEEPSEEK, 0.542),
    ]
    assert report.ranking[0].cells["iso_duration"].points == 21
    assert report.ranking[0].size_bytes == SIZES[Q9]


def test_single_shot_and_post_variance_disagree(seed_run):
    report = build_report(seed_run)
    by_model = {row.model: row for row in report.ranking}
    # run 1 alone: qwen3.5:9b fails the parser (9/22); over three runs its mean is 13/22
    assert by_model[GEMMA].mean_all_runs == pytest.approx(2 / 3)
    assert report.ranking_notes == [
        "gemma4:latest ranks above qwen3.5:4b single-shot (0.667 vs 0.661) but below it over "
        "every run (0.667 vs 0.797)."
    ]


def test_routing_rules_are_the_write_ups(seed_run):
    rules = {rule.family: rule for rule in build_report(seed_run).routing}
    parsers = rules["parsers"]
    assert (parsers.recommended, parsers.runner_up) == (GEMMA, CODER)
    assert "mean 1.000, lowest run 1.000" in parsers.reason and "9.6 GB" in parsers.reason
    skipped = {skip.model: skip.why for skip in parsers.skip}
    assert set(skipped) == {QWEN3, DEEPSEEK, Q9, Q4}
    assert skipped[DEEPSEEK].startswith("stably wrong on iso_duration (16/22, 16/22, 12/22)")
    assert skipped[QWEN3].startswith("stably mediocre")
    assert "bimodal" in skipped[Q9] and "wild" in skipped[Q4]
    assert "best-of-N" in skipped[Q4]
    assert parsers.mini is not None and parsers.mini.model == Q4  # 3.4 GB reaches 20/22
    assert "best 20/22, hits 3/5" in parsers.mini.reason
    assert any("do not separate gemma4:latest from qwen2.5-coder:14b" in n for n in parsers.notes)

    transformers = rules["transformers"]
    assert (transformers.recommended, transformers.runner_up) == (GEMMA, CODER)
    assert transformers.mini is None  # no best-of run on flatten
    # single runs cannot be trusted: a pick is made, marked unproven, smallest first on ties
    tests = rules["tests"]
    assert tests.reason.startswith("unproven")
    assert tests.recommended == Q4
    assert any("rerun with --runs 3" in note for note in tests.notes)


def test_best_of_figures(seed_run):
    rows = {row.model: row for row in build_report(seed_run).best_of}
    q9, q4 = rows[Q9], rows[Q4]
    assert q9.scores == (22, 21, 14, 14, 8) and q9.best_points == 22
    assert (q9.hits, q9.hit_points, q9.hit_rate) == (2, 18, 0.4)
    assert (q4.hits, q4.best_points) == (3, 20)
    assert q9.distinct_responses == 5 and q9.wall_s_total == pytest.approx(30.0)
    # pass@k = 1 - C(3,k)/C(5,k) for 2 hits of 5; pass^k = C(2,k)/C(5,k)
    assert q9.pass_at_k == pytest.approx((0.4, 0.7, 0.9, 1.0, 1.0))
    assert q9.pass_hat_k == pytest.approx((0.4, 0.1, 0.0, 0.0, 0.0))
    assert q4.pass_at_k[0] == pytest.approx(0.6) and q4.pass_hat_k[1] == pytest.approx(0.3)


def test_hit_threshold_can_be_changed(seed_run):
    rows = {row.model: row for row in build_report(seed_run, hit_at=1.0).best_of}
    assert (rows[Q9].hits, rows[Q4].hits) == (1, 0)
    rule = next(r for r in build_report(seed_run, hit_at=1.0).routing if r.family == "parsers")
    assert rule.mini is not None and rule.mini.model == Q9  # only the 9b reaches 22/22


def test_compliance_counts_fences_and_strict_scores(seed_run):
    rows = {(r.model, r.spec): r for r in build_report(seed_run).compliance}
    coder = rows[(CODER, "iso_duration")]
    assert (coder.runs, coder.fences, coder.compliant_runs) == (3, 3, 0)
    assert coder.lenient == pytest.approx(62 / 66) and coder.strict == 0.0
    gemma = rows[(GEMMA, "iso_duration")]
    assert (gemma.fences, gemma.strict) == (0, 1.0)


def test_thinking_trap_table_and_advice(tmp_path):
    trap = "* Wait, I need to check if I can use `src`.\n" * 500
    records = [
        sample(QWEN3, "iso_duration", 1, 0, 22, response="\n", thinking=trap, wall_s=1174.0),
        sample(Q9, "iso_duration", 1, 0, 22, response="\n", thinking=trap, wall_s=116.0),
        sample(GEMMA, "iso_duration", 1, 22, 22, wall_s=9.0),
        sample(Q4, "iso_duration", 1, 0, 22, response="", thinking=trap, think=False),
    ]
    run = write_run(tmp_path / "think", SIZES, [("iso_duration", "parsers")], records)
    rows = {row.model: row for row in build_report(run).thinking}
    assert rows[QWEN3].traps == 1 and rows[QWEN3].wall_s_total == 1174.0
    assert rows[QWEN3].response_bytes_median == 1
    assert rows[QWEN3].thinking_bytes_max == len(trap)
    assert "--think false" in rows[QWEN3].advice
    assert rows[GEMMA].traps == 0 and rows[GEMMA].advice == ""
    assert "even with think:false" in rows[Q4].advice


def test_failures_of_the_server_or_sandbox_are_not_counted(tmp_path):
    records = [
        sample(GEMMA, "iso_duration", 1, 22, 22),
        sample(GEMMA, "iso_duration", 2, 0, 22, error="timed out"),
        sample(GEMMA, "iso_duration", 3, 0, 22, infra=True),
    ]
    run = write_run(tmp_path / "partial", SIZES, [("iso_duration", "parsers")], records)
    report = build_report(run)
    (row,) = report.variance
    assert row.points == (22,) and row.not_counted == 2 and row.stability == "single run"
    assert report.not_counted == 2
    assert any("2 sample(s) not counted" in n for n in report.variance_notes["iso_duration"])


def test_report_command_writes_three_files_and_prints_tables(seed_run):
    result = CliRunner().invoke(main, ["report", str(seed_run)])
    assert result.exit_code == 0, result.output
    assert "## Variance per spec" in result.stdout
    assert "| gemma4:latest" in result.stdout and "perfect x 3, byte-stable" in result.stdout
    for name in ("report.md", "report.json", "report.html"):
        assert (seed_run / name).stat().st_size > 0
    data = json.loads((seed_run / "report.json").read_text())
    for key in ("ranking", "variance", "compliance", "thinking", "best_of", "routing"):
        assert data[key], key
    assert {"model", "spec", "stability", "ci_low", "keys"} <= set(data["variance"][0])
    assert {"family", "recommended", "reason", "skip", "mini"} <= set(data["routing"][0])
    html = (seed_run / "report.html").read_text()
    assert html.count("<table>") >= 7 and html.count("<svg") == 3  # a chart per spec
    # self-contained: nothing is fetched when the file is opened
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "<link" not in html and "<script" not in html


def test_html_without_matplotlib_says_how_to_get_charts(seed_run, monkeypatch):
    monkeypatch.setitem(
        sys.modules, "runner.report.charts", None
    )  # import fails as if not installed
    write_report(build_report(seed_run))
    html = (seed_run / "report.html").read_text()
    assert "<svg" not in html and "pip install &#x27;chorebench[plots]&#x27;" not in html
    assert "pip install 'chorebench[plots]'" in html and "<table>" in html


def test_report_json_flag_prints_the_json(seed_run):
    result = CliRunner().invoke(main, ["report", "--json", str(seed_run)])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["routing"][1]["recommended"] == GEMMA


def test_report_on_a_directory_that_is_not_a_run(tmp_path):
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path}/manifest.json: not a chorebench run directory" in result.stderr


def test_report_on_a_damaged_samples_file(seed_run):
    lines = (seed_run / "samples.jsonl").read_text().splitlines()
    lines[3] = "{not json"
    (seed_run / "samples.jsonl").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["report", str(seed_run)])
    assert result.exit_code == 2
    assert "samples.jsonl: line 4: not valid JSON" in result.stderr


def test_write_report_is_deterministic(seed_run):
    report = build_report(seed_run)
    first = [path.read_bytes() for path in write_report(report).files]
    second = [path.read_bytes() for path in write_report(build_report(seed_run)).files]
    assert first == second


def test_a_family_where_every_model_is_stably_wrong_still_says_whom_to_skip(tmp_path):
    # What SmolLM2-135M produced end to end: no model to recommend, and the reason for it.
    records = [sample(Q4, "iso_duration", run, 0, 22) for run in (1, 2)]
    run = write_run(tmp_path / "wrong", SIZES, [("iso_duration", "parsers")], records)
    report = build_report(run)
    (rule,) = report.routing
    assert rule.recommended is None and rule.reason == "every model is stably wrong here"
    text = render_markdown(report)
    assert "**parsers** (iso_duration): no model to recommend: every model is stably wrong" in text
    assert f"skip `{Q4}`: stably wrong on iso_duration" in text


def test_the_answer_comes_first_then_the_contents(seed_run):
    text = render_markdown(build_report(seed_run))
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[:3] == [
        "## The answer: which model for which chore",
        "## Contents",
        "## Single-shot ranking",
    ]
    answer = text.split("## Contents")[0]
    assert f"| parsers      | iso_duration     | `{GEMMA}`" in answer
    assert f"`{CODER}`" in answer and f"`{Q4}` (best of 5)" in answer  # runner-up, mini tier
    assert f"`{DEEPSEEK}`" in answer  # the skip list
    assert (
        "- [Routing rules](#routing-rules)" in text and "  - [iso_duration](#iso_duration)" in text
    )
    write_report(build_report(seed_run))
    html = (seed_run / "report.html").read_text()
    assert '<h2 id="routing-rules">' in html and '<a href="#routing-rules">' in html


def test_one_unit_everywhere_and_no_yes_or_no(seed_run):
    text = render_markdown(build_report(seed_run))
    assert "| yes " not in text and "| no " not in text
    iso = text.split("### iso_duration")[1].split("###")[0]
    gemma = next(line for line in iso.splitlines() if line.startswith(f"| {GEMMA}"))
    cells = [c.strip() for c in gemma.strip("|").split("|")]
    # runs, mean, min, max in points of 22; SD in points; the interval in points of 22
    assert cells[1:7] == ["22/22", "22/22", "22/22", "22.0/22", "22/22", "22/22"]
    assert cells[8] == "22.0-22.0/22"
    assert "Run scores (best to worst)" in text and "22/22, 21/22, 14/22" in text
    assert "2/5 (0.40) at >= 18/22" in text


def test_ties_share_a_rank_and_a_tied_pick_says_so(tmp_path):
    records = [sample(m, "iso_duration", r, 22, 22) for m in (GEMMA, CODER) for r in (1, 2, 3)]
    run = write_run(tmp_path / "tie", SIZES, [("iso_duration", "parsers")], records)
    report = build_report(run)
    assert [row.rank for row in report.ranking] == [1, 1]
    (rule,) = report.routing
    assert rule.tied and (rule.recommended, rule.runner_up) == (CODER, GEMMA)  # smaller first
    text = render_markdown(report)
    assert "| 1=  |" in text
    assert f"`{CODER}` or `{GEMMA}` (tied)" in text
    assert any("are tied on mean, lowest run and strict score" in n for n in rule.notes)


def test_no_code_is_split_and_thinking_shows_only_when_a_model_thinks(tmp_path):
    records = [
        sample(GEMMA, "iso_duration", 1, 0, 22, violations=("empty_response",)),
        sample(GEMMA, "iso_duration", 2, 0, 22, violations=("syntax_error",)),
        sample(GEMMA, "iso_duration", 3, 0, 22, violations=("entry_point_missing",)),
    ]
    run = write_run(tmp_path / "nocode", SIZES, [("iso_duration", "parsers")], records)
    report = build_report(run)
    (row,) = report.compliance
    assert (row.empty, row.syntax_error, row.entry_point_missing) == (1, 1, 1)
    text = render_markdown(report)
    assert "| Empty   | Syntax error   | No entry point   |" in text
    assert "## Thinking" not in text  # nobody thought, nobody ran out of budget


def test_advice_names_the_config_key_for_a_bench_run_and_the_flag_for_run(tmp_path):
    trap = "thinking " * 100
    records = [
        sample(QWEN3, "iso_duration", 1, 0, 22, response="", thinking=trap),
        sample(QWEN3, "iso_duration", 2, 0, 22, response="", thinking=trap),
    ]
    records[1] = replace(records[1], out_of_budget=True)
    for command, says in (
        (["chorebench", "bench", "--config", "bench.json"], '`{"name": "qwen3:14b", "think"'),
        (["chorebench", "run", "--model", QWEN3], "`--think false`"),
    ):
        phases = {"runs": {"runs": 2, "temperature": 0.2, "command": command}}
        run = write_run(
            tmp_path / command[1], SIZES, [("iso_duration", "parsers")], records, phases
        )
        (row,) = build_report(run).thinking
        assert says in row.advice
        assert "1 answer hit the token budget" in row.advice
        budget = "`num_predict` in the config" if command[1] == "bench" else "`--num-predict`"
        assert budget in row.advice and "2 of 2 answers" in row.advice


def test_the_floor_is_shown_beside_the_scores(seed_run):
    floors = [
        {
            "spec": "iso_duration",
            "sha256": "x",
            "points": 16,
            "max_points": 22,
            "candidate": "always raise ValueError",
        }
    ]
    (seed_run / "floors.json").write_text(json.dumps(floors))
    report = build_report(seed_run)
    assert report.floors["iso_duration"].score == pytest.approx(16 / 22)
    text = render_markdown(report)
    assert "| (floor: best trivial answer) |" in text.replace("  ", " ").replace("  ", " ")
    assert (
        "Floor 16/22 (0.73), earned by a trivial answer (always raise ValueError): a score "
        "near it says nothing about the model." in text
    )
    assert report.to_json()["floors"]["iso_duration"]["points"] == 16
    (seed_run / "floors.json").write_text("[{]")
    result = CliRunner().invoke(main, ["report", str(seed_run)])
    assert result.exit_code == 2 and "floors.json" in result.stderr


def test_chart_dots_link_to_their_samples_rows(seed_run):
    report = build_report(seed_run)
    write_report(report)
    html = (seed_run / "report.html").read_text()
    for sample_ in report.samples:
        assert f'<tr id="sample-{sample_.key}">' in html
        assert f'xlink:href="#sample-{sample_.key}"' in html
    assert f"chorebench show {seed_run} {report.samples[0].key}" in html


def test_a_model_without_a_file_size_shows_its_parameter_count(tmp_path):
    records = [sample("smollm2-135m", "iso_duration", r, 0, 22) for r in (1, 2)]
    run = write_run(tmp_path / "params", {}, [("iso_duration", "parsers")], records)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["models"] = {"smollm2-135m": {"size": 0, "parameter_size": "135M", "digest": "d"}}
    (run / "manifest.json").write_text(json.dumps(manifest))
    text = render_markdown(build_report(run))
    assert "| 135M parameters |" in text.replace("  ", " ").replace("  ", " ")
