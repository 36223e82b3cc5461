"""`fengkong scorecard train` and `fengkong scorecard psi` as an analyst runs them: files in,
a document, a report and a closing JSON line out; a clear message for every bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from fengkong.cli import app
from fengkong.scoring.document import load_document, score
from fengkong.scoring.reference import german_credit_path


def fengkong(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fengkong", *args], capture_output=True,
                          text=True, timeout=300)


def last_json(stdout: str) -> dict[str, Any]:
    figures = json.loads(stdout.rstrip("\n").rsplit("\n", 1)[-1])
    assert isinstance(figures, dict)
    return figures


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("card")
    done = fengkong("scorecard", "train", "--data", str(german_credit_path()),
                    "--target", "creditability", "--seed", "4", "--out", str(out),
                    "--name", "german_credit")
    assert done.returncode == 0, done.stderr
    return last_json(done.stdout), out


def test_train_ends_with_the_figures_and_the_documents_path(trained: Any) -> None:
    figures, out = trained
    assert {"train_auc", "test_auc", "test_ks", "scorecard"} <= set(figures)
    assert 0.7 < figures["test_auc"] < figures["train_auc"] < 0.95
    assert Path(figures["scorecard"]) == out / "german_credit.scorecard.json"
    document = load_document(Path(figures["scorecard"]))
    assert document["development"]["test_auc"] == figures["test_auc"]
    assert document["development"]["seed"] == 4
    applicant = pd.read_csv(german_credit_path()).iloc[0].drop("creditability").to_dict()
    assert 300 < score(document, applicant).score < 800


def test_train_writes_a_chart_and_an_html_report_embedding_it(trained: Any) -> None:
    figures, out = trained
    png = Path(figures["chart"]).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    page = Path(figures["report"]).read_text(encoding="utf-8")
    assert "data:image/png;base64," in page
    assert "status_of_existing_checking_account" in page and "IV below 0.02" in page
    assert f"{figures['test_auc']:.4f}" in page
    report = json.loads((out / "report.json").read_text())
    assert report["test_auc"] == figures["test_auc"]
    assert sum(c["selected"] for c in report["characteristics"]) == figures["characteristics"]


def test_train_reads_parquet_and_honours_the_scaling_options(tmp_path: Path) -> None:
    frame = pd.read_csv(german_credit_path())
    frame["creditability"] = (frame["creditability"] == "bad").astype(int)
    frame.to_parquet(tmp_path / "cases.parquet")
    result = CliRunner().invoke(app, [
        "scorecard", "train", "--data", str(tmp_path / "cases.parquet"), "--target",
        "creditability", "--out", str(tmp_path / "out"), "--pdo", "40", "--base-points",
        "300", "--base-odds", "10", "--test-size", "0.25"])
    assert result.exit_code == 0, result.output
    figures = last_json(result.stdout)
    document = json.loads(Path(figures["scorecard"]).read_text())
    assert document["name"] == "cases"
    assert document["scaling"] == {"base_points": 300, "base_odds": 10, "pdo": 40}
    assert document["development"]["bad_value"] == 1
    assert figures["test_rows"] == 250


@pytest.fixture(scope="module")
def small_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad")
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"age": rng.integers(18, 70, 300),
                          "flag": rng.choice(["good", "bad", "unknown"], 300)})
    frame.to_csv(folder / "three.csv", index=False)
    frame.iloc[:30].assign(flag=["good", "bad"] * 15).to_csv(folder / "tiny.csv", index=False)
    return folder


@pytest.mark.parametrize(("args", "words"), [
    (["--data", "{dir}/none.csv", "--target", "flag"], "no such data file"),
    (["--data", "{german}", "--target", "outcome"], "no column 'outcome'"),
    (["--data", "{dir}/three.csv", "--target", "flag"], "exactly two classes"),
    (["--data", "{dir}/tiny.csv", "--target", "flag"], "too few rows"),
    (["--data", "{german}", "--target", "creditability", "--bad-value", "ugly"],
     "'ugly' is not a value"),
    (["--data", "{german}", "--target", "creditability", "--pdo", "0"], "pdo must be"),
    (["--data", "{german}", "--target", "creditability", "--test-size", "1.5"], "test size"),
])
def test_train_refuses_bad_input_with_a_message(small_files: Path, tmp_path: Path,
                                                args: list[str], words: str) -> None:
    filled = [a.format(dir=small_files, german=german_credit_path()) for a in args]
    result = CliRunner().invoke(app, ["scorecard", "train", *filled, "--out",
                                      str(tmp_path / "out")])
    assert result.exit_code == 2
    assert words in " ".join(result.stderr.split())
    assert result.stdout == ""
    assert not (tmp_path / "out").exists()


def test_psi_of_the_development_population_is_stable(trained: Any, tmp_path: Path) -> None:
    figures, _ = trained
    done = fengkong("scorecard", "psi", "--scorecard", figures["scorecard"], "--data",
                    str(german_credit_path()))
    assert done.returncode == 0, done.stderr
    stability = last_json(done.stdout)
    assert stability["alert"] is False and stability["score_status"] == "stable"
    assert stability["rows"] == 1000
    assert all(v < 0.1 for v in stability["characteristics"].values())
    assert "Population stability" in done.stdout and "no alert" in done.stdout


def test_psi_of_a_moved_population_alerts_and_still_exits_zero(trained: Any,
                                                               tmp_path: Path) -> None:
    figures, _ = trained
    frame = pd.read_csv(german_credit_path())
    risky = frame[frame["duration_in_month"] >= 30]
    risky.to_csv(tmp_path / "live.csv", index=False)
    result = CliRunner().invoke(app, ["scorecard", "psi", "--scorecard", figures["scorecard"],
                                      "--data", str(tmp_path / "live.csv")])
    assert result.exit_code == 0, result.output
    stability = last_json(result.stdout)
    assert stability["alert"] is True
    assert stability["characteristics"]["duration_in_month"] >= 0.25
    assert "ALERT" in result.stdout


def test_psi_refuses_data_without_the_scorecards_columns(trained: Any, tmp_path: Path) -> None:
    figures, _ = trained
    pd.DataFrame({"age_in_years": [30, 40]}).to_csv(tmp_path / "live.csv", index=False)
    result = CliRunner().invoke(app, ["scorecard", "psi", "--scorecard", figures["scorecard"],
                                      "--data", str(tmp_path / "live.csv")])
    assert result.exit_code == 2
    assert "lacks the scorecard's columns" in result.stderr
    missing = CliRunner().invoke(app, ["scorecard", "psi", "--scorecard",
                                       str(tmp_path / "none.json"), "--data",
                                       str(tmp_path / "live.csv")])
    assert missing.exit_code == 2 and "cannot read the scorecard" in missing.stderr
