import os
import shutil
import subprocess
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_test_runs_the_contract_steps_in_order():
    result = subprocess.run(
        ["make", "-n", "test"],  # noqa: S607 - dry run, prints the commands
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    steps = [
        "ruff format --check",
        "ruff check",
        "makemigrations --check --dry-run",
        "pytest",
    ]
    positions = [result.stdout.find(step) for step in steps]
    assert -1 not in positions, result.stdout
    assert positions == sorted(positions)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_starts_the_dev_runner():
    result = subprocess.run(
        ["make", "-n", "run"],  # noqa: S607
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "-m scripts.run_dev" in result.stdout


def test_ci_script_is_strict_and_calls_the_readme_test_command():
    script = BASE_DIR / ".ci" / "run"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert "set -euo pipefail" in text
    assert "\nmake test\n" in text
    assert "make test" in (BASE_DIR / "README.md").read_text()
    syntax = subprocess.run(["bash", "-n", str(script)], check=False)  # noqa: S603, S607
    assert syntax.returncode == 0


def test_dev_runner_asks_for_debug_and_has_the_sidecar_hook(monkeypatch):
    from scripts import run_dev

    monkeypatch.delenv("DJANGO_DEBUG", raising=False)
    env = run_dev.dev_environment()
    assert env["DJANGO_DEBUG"] == "1"
    assert env["RELAIS_SITE_URL"] == run_dev.URL
    assert callable(run_dev.start_sidecars)
