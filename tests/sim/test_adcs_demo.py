"""`flightsw adcs-demo`: the estimator on the simulated scenario, its accuracy against the floor."""

from __future__ import annotations

import re

import pytest

from flightsw import cli
from flightsw.sim.imu import ImuSpecs, attitude_error_floor

pytest.importorskip("flightsw.adcs")


def test_demo_reports_error_table_and_floor(capsys) -> None:
    assert cli.main(["adcs-demo", "--seconds", "20", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "Scenario: 20 s at 100 Hz (seed 2)" in out
    # A table row every 5 s.
    rows = re.findall(r"^\s+(\d+\.\d)\s+(rest|moving|mixed)\s", out, re.MULTILINE)
    assert [float(t) for t, _ in rows] == [5.0, 10.0, 15.0, 20.0]
    final = re.search(r"Final RMSE .*?total ([\d.]+)°", out)
    assert final is not None
    rmse_total = float(final.group(1))
    floor = attitude_error_floor(ImuSpecs(), 100.0).total_deg
    assert f"total {floor:.3f}°" in out
    # Not better than the information bound (within print rounding), and converged: well under 2°.
    assert floor - 0.001 <= rmse_total < 2.0


@pytest.mark.parametrize("precision", ["double", "float"])
def test_demo_runs_in_both_precisions(capsys, precision) -> None:
    assert cli.main(["adcs-demo", "--seconds", "12", "--precision", precision]) == 0
    assert f"C core in {precision} precision" in capsys.readouterr().out


def test_demo_rejects_non_positive_duration(capsys) -> None:
    assert cli.main(["adcs-demo", "--seconds", "0"]) == 2
    assert "--seconds must be positive" in capsys.readouterr().err
