"""`make run` (scripts/run_dev.py) stops at once, in French, when a port it needs
is taken, naming the port and the variable that moves it; it never says "ready"
on top of someone else's server."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture
def taken_port():
    """A loopback port that something else listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_dev(tmp_path, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FC_ISSUER", "RELAIS_PORT", "RELAIS_FC_SANDBOX_PORT")
    }
    # Were it to go on, it would migrate this throwaway database, nothing else.
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'run.sqlite3'}"
    environment.update(env)
    return subprocess.run(  # noqa: S603 - our interpreter and our script
        [sys.executable, "-m", "scripts.run_dev"],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_taken_sandbox_port_stops_the_run_and_names_the_variable(tmp_path, taken_port):
    result = run_dev(
        tmp_path,
        RELAIS_PORT=str(free_port()),
        RELAIS_FC_SANDBOX_PORT=str(taken_port),
    )
    assert result.returncode == 1
    assert f"Le port {taken_port} (bac à sable FranceConnect) est déjà utilisé" in (
        result.stderr
    )
    assert "RELAIS_FC_SANDBOX_PORT=" in result.stderr
    assert "prêt" not in result.stdout
    assert not (tmp_path / "run.sqlite3").exists()  # stopped before migrating


def test_taken_relais_port_stops_the_run_and_names_the_variable(tmp_path, taken_port):
    result = run_dev(tmp_path, RELAIS_PORT=str(taken_port))
    assert result.returncode == 1
    assert f"Le port {taken_port} (Relais) est déjà utilisé" in result.stderr
    assert "RELAIS_PORT=" in result.stderr


def test_sandbox_port_is_read_from_the_environment(monkeypatch):
    from scripts import run_dev

    monkeypatch.setenv("RELAIS_FC_SANDBOX_PORT", "9411")
    assert run_dev.sandbox_port() == 9411
    monkeypatch.delenv("RELAIS_FC_SANDBOX_PORT")
    assert run_dev.sandbox_port() == 9400
