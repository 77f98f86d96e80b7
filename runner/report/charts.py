"""Per-spec charts for ``report.html``: every run's score per model, as inline SVG.

Importing this module needs matplotlib (the ``plots`` extra); ``render`` copes without.
A glance shows what the variance table says in words: a perfect model is one dot at the top,
a bimodal one two clusters, a wild one a scatter.
"""

from __future__ import annotations

import io
from collections import Counter

import matplotlib

matplotlib.use("Agg")  # no display: render to memory only

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from runner.report.build import Report
from runner.report.sections import sample_anchor
from runner.values import printable

_PHASES = (("runs", "o", "repeated runs"), ("best_of", "x", "best-of-N samples"))


def spec_charts(report: Report) -> dict[str, str]:
    """An SVG document per spec with counted samples, keyed by spec id."""
    return {spec: svg for spec in report.detail_specs if (svg := _chart(report, spec))}


def label_text(text: str) -> str:
    """Untrusted text as a chart label: ``printable``, and ``$`` that cannot start mathtext."""
    return printable(text, 60).replace("$", r"\$")


def _chart(report: Report, spec: str) -> str | None:
    counted = [s for s in report.samples if s.spec == spec and s.counted]
    if not counted:
        return None
    order = [r.model for r in report.variance if r.spec == spec]
    models = list(dict.fromkeys([*order, *(s.model for s in counted)]))
    maximum = counted[0].max_points
    plt.rcParams["svg.hashsalt"] = "chorebench"  # the same report twice gives the same bytes
    plt.rcParams["svg.fonttype"] = "none"
    # Drawn for the page's full width (the page scales it to fit).
    figure, axes = plt.subplots(figsize=(11.0, 2.4 + 0.14 * min(maximum, 10)))
    try:
        for shift, (phase, marker, label) in zip((-0.15, 0.15), _PHASES, strict=True):
            xs, ys, urls = [], [], []
            for index, model in enumerate(models):
                seen: Counter[int] = Counter()
                for sample in (s for s in counted if s.model == model and s.phase == phase):
                    # Equal scores side by side, so three identical runs show as three dots.
                    xs.append(index + shift + 0.06 * seen[sample.points])
                    ys.append(sample.points)
                    urls.append(f"#{sample_anchor(sample.key)}")
                    seen[sample.points] += 1
            if xs:
                dots = axes.scatter(
                    xs, ys, marker=marker, s=48, label=label, alpha=0.85, clip_on=False
                )
                dots.set_urls(urls)  # each dot links to its sample's row in the page
        labels = [label_text(model) for model in models]
        axes.set_xticks(range(len(models)), labels, rotation=15, ha="right", fontsize=10)
        axes.set_xlim(-0.6, len(models) - 0.4)
        axes.set_ylim(0, maximum)  # the whole scale, so a low score looks low
        axes.set_ylabel(f"points (of {maximum})", fontsize=10)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # points are whole numbers
        floor = report.floors.get(spec)
        if floor is not None and floor.points:
            axes.axhline(floor.points, color="0.45", linestyle="--", linewidth=1, zorder=0)
            axes.annotate(
                f"floor {floor.points}/{floor.max_points}: {floor.candidate}",
                (1.0, floor.points),
                xycoords=("axes fraction", "data"),
                xytext=(-4, 3),
                textcoords="offset points",
                ha="right",
                fontsize=9,
                color="0.35",
            )
        axes.set_title(
            label_text(f"{spec}: every sample's score per model"), fontsize=11, loc="left"
        )
        axes.grid(axis="y", alpha=0.3)
        axes.legend(fontsize=10, loc="lower right", bbox_to_anchor=(1, 1.0), ncol=2, frameon=False)
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]
