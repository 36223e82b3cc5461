"""The development report of a trained scorecard: the score distribution chart (PNG), a
self-contained HTML page embedding it, and the same figures as JSON."""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fengkong.scoring.document import bin_labels, parse_scorecard
from fengkong.scoring.train import Trained


@dataclass(frozen=True)
class ReportFiles:
    scorecard: Path
    chart: Path
    html: Path
    figures: Path


def write_outputs(trained: Trained, out: Path) -> ReportFiles:
    """The scorecard document and its report, into `out` (created if need be)."""
    out.mkdir(parents=True, exist_ok=True)
    name = trained.document["name"]
    files = ReportFiles(scorecard=out / f"{name}.scorecard.json",
                        chart=out / "score_distribution.png", html=out / "report.html",
                        figures=out / "report.json")
    files.scorecard.write_text(json.dumps(trained.document, indent=2) + "\n", encoding="utf-8")
    draw_chart(trained, files.chart)
    files.figures.write_text(json.dumps(figures(trained), indent=2) + "\n", encoding="utf-8")
    files.html.write_text(html_report(trained, files.chart.read_bytes()), encoding="utf-8")
    return files


def figures(trained: Trained) -> dict[str, Any]:
    return {**trained.summary(),
            "characteristics": [
                {"feature": c.feature, "type": c.kind, "iv": round(c.iv, 6), "bins": c.bins,
                 "selected": c.selected, "note": c.note} for c in trained.model.candidates],
            "score_bands": trained.document["development"]["score_bands"]}


def draw_chart(trained: Trained, path: Path) -> None:
    """Left: scores of goods and bads in each part; right: their cumulative shares on the test
    part, where the widest gap is the KS."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (spread, cumulative) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=100)
    scores = np.concatenate([trained.train_scores, trained.test_scores])
    edges = np.histogram_bin_edges(scores, bins=30)
    for part, values, y, style in (("train", trained.train_scores, trained.train_y, "step"),
                                   ("test", trained.test_scores, trained.test_y, "bar")):
        for label, flag, colour in (("good", 0, "#2a7ab9"), ("bad", 1, "#d1492e")):
            spread.hist(values[y == flag], bins=edges, density=True, histtype=style,
                        alpha=0.45 if style == "bar" else 0.9, color=colour,
                        label=f"{label} ({part})")
    spread.set(title="Score distribution", xlabel="score (higher = lower risk)",
               ylabel="density")
    spread.legend(fontsize=8)
    _cumulative(cumulative, trained.test_scores, trained.test_y, trained.test.ks)
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)


def _cumulative(axes: Any, scores: np.ndarray, y: np.ndarray, ks: float) -> None:
    grid = np.unique(scores)
    bads = np.searchsorted(np.sort(scores[y == 1]), grid, side="right") / max(y.sum(), 1)
    goods = np.searchsorted(np.sort(scores[y == 0]), grid, side="right") / max(
        len(y) - y.sum(), 1)
    axes.plot(grid, bads, color="#d1492e", label="bads")
    axes.plot(grid, goods, color="#2a7ab9", label="goods")
    widest = int(np.argmax(bads - goods))
    axes.vlines(grid[widest], goods[widest], bads[widest], color="black", linestyles="dashed",
                label=f"KS {ks:.3f}")
    axes.set(title="Cumulative share at or below a score (test)", xlabel="score",
             ylabel="share")
    axes.legend(fontsize=8)


def html_report(trained: Trained, png: bytes) -> str:
    document = trained.document
    dev = document["development"]
    image = base64.b64encode(png).decode("ascii")
    parts = [
        f"<h1>Scorecard {_e(document['name'])}</h1>",
        f"<p>Target <code>{_e(dev['target'])}</code>, bad = <code>{_e(dev['bad_value'])}"
        f"</code>; {len(trained.train_rows)} training and {len(trained.test_rows)} test rows "
        f"(seed {dev['seed']}); base score {document['base_score']:.2f}; scaling "
        f"{_e(json.dumps(document['scaling']))}.</p>",
        _table(["", "AUC", "KS", "Gini"], [
            [part, f"{s.auc:.4f}", f"{s.ks:.4f}", f"{s.gini:.4f}"]
            for part, s in (("train", trained.train), ("test", trained.test))]),
        f'<img alt="score distribution" src="data:image/png;base64,{image}">',
        "<h2>Characteristics by information value</h2>",
        _table(["feature", "type", "IV", "bins", "selected", "note"], [
            [c.feature, c.kind, f"{c.iv:.4f}", str(c.bins), "yes" if c.selected else "",
             c.note] for c in trained.model.candidates]),
        "<h2>Points</h2>", *_points(document),
        "<h2>Development score bands</h2>",
        _table(["from", "below", "share"], [
            ["" if b["lower"] is None else f"{b['lower']:.2f}",
             "" if b["upper"] is None else f"{b['upper']:.2f}", f"{b['share']:.3f}"]
            for b in dev["score_bands"]]),
    ]
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Scorecard "
            f"{_e(document['name'])}</title><style>{_STYLE}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")


def _points(document: dict[str, Any]) -> list[str]:
    card = parse_scorecard(document)
    shares = document["development"]["bin_shares"]
    out = []
    for raw, c in zip(document["characteristics"], card.characteristics, strict=True):
        out.append(f"<h3>{_e(c.feature)} <small>({_e(c.reason_code)})</small></h3>")
        out.append(_table(["bin", "points", "development share"], [
            [label, f"{points:.2f}", f"{share:.3f}"] for label, points, share in
            zip(bin_labels(c, raw["bins"]), c.points, shares[c.feature], strict=True)]))
    return out


def _table(head: list[str], rows: list[list[str]]) -> str:
    cells = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def _e(value: Any) -> str:
    return html.escape(str(value))


_STYLE = ("body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem;color:#222}"
          "table{border-collapse:collapse;margin:.5rem 0 1rem}"
          "td,th{border:1px solid #ccc;padding:.2rem .6rem;text-align:left}"
          "th{background:#f3f3f3}img{max-width:100%}small{color:#777}")
