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

from runner.report.build import Report

_PHASES = (("runs", "o", "repeated runs"), ("best_of", "x", "best-of-N samples"))


def spec_charts(report: Report) -> dict[str, str]:
    """An SVG document per spec with counted samples, keyed by spec id."""
    return {spec: svg for spec in report.specs if (svg := _chart(report, spec))}


def _chart(report: Report, spec: str) -> str | None:
    counted = [s for s in report.samples if s.spec == spec and s.counted]
    if not counted:
        return None
    order = [r.model for r in report.variance if r.spec == spec]
    models = list(dict.fromkeys([*order, *(s.model for s in counted)]))
    maximum = counted[0].max_points
    plt.rcParams["svg.hashsalt"] = "chorebench"  # the same report twice gives the same bytes
    plt.rcParams["svg.fonttype"] = "none"
    figure, axes = plt.subplots(figsize=(max(5.0, 1.3 * len(models) + 2), 3.4))
    try:
        for shift, (phase, marker, label) in zip((-0.15, 0.15), _PHASES, strict=True):
            xs, ys = [], []
            for index, model in enumerate(models):
                seen: Counter[int] = Counter()
                for sample in (s for s in counted if s.model == model and s.phase == phase):
                    # Equal scores side by side, so three identical runs show as three dots.
                    xs.append(index + shift + 0.06 * seen[sample.points])
                    ys.append(sample.points)
                    seen[sample.points] += 1
            if xs:
                axes.scatter(xs, ys, marker=marker, s=36, label=label, alpha=0.8)
        axes.set_xticks(range(len(models)), models, rotation=20, ha="right", fontsize=8)
        axes.set_ylim(-0.5, maximum + 0.5)
        axes.set_ylabel(f"points (of {maximum})")
        axes.set_title(f"{spec}: every sample's score per model", fontsize=10)
        axes.grid(axis="y", alpha=0.3)
        axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2)
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]
