"""`make run`: migrate, load the demo data, start the side processes and the
development server on http://127.0.0.1:8000; Ctrl-C stops everything.

Run as `.venv/bin/python -m scripts.run_dev` from the project folder. Ports:
`RELAIS_PORT` (8000) for Relais, `RELAIS_FC_SANDBOX_PORT` (9400) for the local
FranceConnect sandbox. A port already taken stops the run at once, with a
message naming the port and the variable that moves it: never "ready" on top of
someone else's server.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PORT = int(os.environ.get("RELAIS_PORT", "8000"))
URL = f"http://{HOST}:{PORT}"


class PortTaken(Exception):
    pass


def sandbox_port() -> int:
    """The FranceConnect sandbox's port: RELAIS_FC_SANDBOX_PORT, 9400 by default."""
    from demo.sandbox import DEFAULT_PORT

    return int(os.environ.get("RELAIS_FC_SANDBOX_PORT") or DEFAULT_PORT)


def check_port_free(port: int, *, what: str, variable: str) -> None:
    """Raise PortTaken, in French, when something already listens on HOST:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: a port left in TIME_WAIT by our previous run is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            raise PortTaken(
                f"Le port {port} ({what}) est déjà utilisé sur {HOST}. "
                f"Arrêtez le programme qui l'occupe, ou choisissez un autre port "
                f"avec la variable {variable}, par exemple : "
                f"{variable}={port + 1} make run"
            ) from None


def say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def dev_environment() -> dict[str, str]:
    """The environment of `make run`: DEBUG on, plain HTTP on loopback."""
    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "1")
    # Authlib refuses http:// URLs unless told; acceptable on loopback only.
    env.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
    env.setdefault("RELAIS_SITE_URL", URL)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True
    )


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    # Own process group: stopping it also stops its children (runserver's
    # autoreloader child, for one).
    return subprocess.Popen(  # noqa: S603 - fixed commands
        args, cwd=BASE_DIR, env=env, start_new_session=True
    )


def start_sidecars(env: dict[str, str]) -> list[subprocess.Popen]:
    """Start the processes that run beside the web server and return them; they
    are stopped on exit. Today: the local FranceConnect sandbox (oidc-provider-
    mock on loopback), unless FC_ISSUER names another provider."""
    from demo.sandbox import dev_sidecar

    command = dev_sidecar(env, port=sandbox_port())
    if command is None:
        say(f"FranceConnect : {env['FC_ISSUER']}")
        return []
    sandbox = spawn(command, env)
    issuer = env["FC_ISSUER"].rstrip("/")
    # Ours must answer, and still be running: an answer from another process on
    # the port would mean another sandbox, with other identities and keys.
    up = wait_for(f"{issuer}/.well-known/openid-configuration", sandbox)
    if not up or sandbox.poll() is not None:
        stop([sandbox])
        raise SidecarFailed(
            f"Le bac à sable FranceConnect n'a pas démarré sur {issuer} "
            "(voir les messages ci-dessus). Relais ne démarre pas sans lui."
        )
    say(f"Bac à sable FranceConnect : {issuer}")
    return [sandbox]


class SidecarFailed(Exception):
    pass


def check_ports(env: dict[str, str]) -> None:
    """Every port `make run` needs must be free before anything starts."""
    check_port_free(PORT, what="Relais", variable="RELAIS_PORT")
    if not env.get("FC_ISSUER"):
        check_port_free(
            sandbox_port(),
            what="bac à sable FranceConnect",
            variable="RELAIS_FC_SANDBOX_PORT",
        )


def stop(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
    for process in reversed(processes):
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until_up(server: subprocess.Popen, timeout: float = 30) -> bool:
    return wait_for(f"{URL}/healthz", server, timeout)


def wait_for(url: str, process: subprocess.Popen, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    env = dev_environment()
    # Explicit handlers: SIGINT may be ignored when started in the background.
    signal.signal(signal.SIGINT, _terminate)
    signal.signal(signal.SIGTERM, _terminate)
    processes: list[subprocess.Popen] = []
    try:
        check_ports(env)
        manage("migrate", "--noinput", env=env)
        manage("seed_demo", env=env)
        processes += start_sidecars(env)
        server = spawn(
            [sys.executable, "manage.py", "runserver", f"{HOST}:{PORT}"], env
        )
        processes.append(server)
        # Back-channel logouts to the online services (the demo one included).
        processes.append(
            spawn([sys.executable, "manage.py", "send_backchannel_logouts"], env)
        )
        if not wait_until_up(server) or server.poll() is not None:
            say(f"Relais n'a pas démarré sur {URL} (voir les messages ci-dessus).")
            return 1
        say(f"\nRelais est prêt : {URL}/  (administration : {URL}/admin/)")
        say("Identifiants de démonstration ci-dessus. Ctrl-C pour arrêter.")
        return server.wait()
    except (PortTaken, SidecarFailed) as error:
        sys.stderr.write(f"{error}\n")
        return 1
    except KeyboardInterrupt:
        say("\nArrêt de Relais.")
        return 0
    except subprocess.CalledProcessError as error:
        say(f"Échec de la commande : {' '.join(map(str, error.cmd))}")
        return error.returncode or 1
    finally:
        stop(processes)


if __name__ == "__main__":
    sys.exit(main())
