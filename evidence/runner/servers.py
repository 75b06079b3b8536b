"""Throw-away Redis and PostgreSQL servers on 127.0.0.1, started and stopped by the suite."""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
# The flagged LL003/LL006 programs hold up to N/2 connections open at once; PostgreSQL's
# default of 100 would turn the leak into "too many clients" errors before we can count it.
PG_MAX_CONNECTIONS = 400
# PostgreSQL refuses to run as root; this account runs it when we are root.
PG_UNPRIVILEGED_USER = "nobody"


class ServerError(RuntimeError):
    """A server could not be found, started or reached."""


_PR_SET_PDEATHSIG = 1


def _die_with_parent(sig: int) -> Callable[[], None]:
    """A preexec_fn: the kernel sends `sig` to the server when the runner dies.

    Our finally blocks stop the servers on errors and Ctrl-C, but not when the runner itself is
    SIGKILLed (a test timeout, CI's end of job); this keeps servers from outliving it then.
    Runs after Popen's user switch, which would otherwise clear the setting.
    """

    def preexec() -> None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, sig)

    return preexec


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_binary(name: str) -> str | None:
    """PATH first, then Debian's versioned PostgreSQL directory (not on PATH by default)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _stop(process: subprocess.Popen[bytes], sig: int) -> None:
    """Ask politely with `sig`, then kill: stopping must never hang the suite."""
    if process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass(frozen=True)
class RedisServer:
    port: int


@contextlib.contextmanager
def redis_server() -> Iterator[RedisServer]:
    """redis-server in the foreground, no persistence, in a temp dir; stopped on exit."""
    binary = find_binary("redis-server")
    if binary is None:
        raise ServerError("redis-server not found (run evidence/setup.sh)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="leaklint-redis-") as workdir:
        log_path = Path(workdir) / "redis.log"
        command = [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            workdir,
            "--logfile",
            str(log_path),
        ]
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent(signal.SIGTERM)
        )
        try:
            _wait_until(lambda: _redis_ping(port), process, "redis-server", log_path)
            yield RedisServer(port=port)
        finally:
            _stop(process, signal.SIGTERM)


@dataclass(frozen=True)
class PostgresServer:
    port: int
    user: str = "postgres"
    database: str = "postgres"


def _demote_kwargs() -> dict[str, int]:
    """Popen arguments that run PostgreSQL as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return {}
    account = pwd.getpwnam(PG_UNPRIVILEGED_USER)
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _chown_for_postgres(path: str) -> None:
    if os.geteuid() == 0:
        account = pwd.getpwnam(PG_UNPRIVILEGED_USER)
        os.chown(path, account.pw_uid, account.pw_gid)


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A fresh cluster from initdb in a temp dir, trust auth, 127.0.0.1 only; removed on exit."""
    initdb = find_binary("initdb")
    postgres = find_binary("postgres")
    if initdb is None or postgres is None:
        raise ServerError("initdb/postgres not found (run evidence/setup.sh)")
    port = free_port()
    # Under /tmp when we are root: every directory above the cluster must be reachable by the
    # unprivileged account (a root-only $TMPDIR is not), and the socket path must stay short.
    workdir = tempfile.mkdtemp(prefix="leaklint-pg-", dir="/tmp" if os.geteuid() == 0 else None)
    try:
        _chown_for_postgres(workdir)
        data_dir = os.path.join(workdir, "data")
        demote = _demote_kwargs()
        # A neutral environment: a root HOME or locale variables would leak into the cluster.
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": workdir}
        subprocess.run(
            [
                initdb,
                "-D",
                data_dir,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            cwd=workdir,
            timeout=120,
            **demote,
        )
        log_path = Path(workdir) / "postgres.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    postgres,
                    "-D",
                    data_dir,
                    "-p",
                    str(port),
                    "-k",
                    workdir,
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"max_connections={PG_MAX_CONNECTIONS}",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent(signal.SIGINT),
                env=env,
                cwd=workdir,
                **demote,
            )
        try:
            _wait_until(lambda: _pg_ready(log_path, port), process, "postgres", log_path)
            yield PostgresServer(port=port)
        finally:
            # SIGINT is PostgreSQL's "fast" shutdown: it disconnects clients instead of
            # waiting for them, which matters right after a run that leaked connections.
            _stop(process, signal.SIGINT)
    except subprocess.CalledProcessError as error:
        stderr = error.stderr.decode(errors="replace") if error.stderr else ""
        raise ServerError(f"initdb failed: {stderr.strip()}") from error
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _pg_ready(log_path: Path, port: int) -> bool:
    """The log line PostgreSQL writes once it accepts connections, plus an open TCP port."""
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return False
    if "ready to accept connections" not in text:
        return False
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def _wait_until(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], name: str, log_path: Path
) -> None:
    """Poll `ready()` until true; fail fast if the server exits, and fail after a deadline."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"{name} exited with {process.returncode}: {_tail(log_path)}")
        if ready():
            return
        time.sleep(0.1)
    _stop(process, signal.SIGKILL)
    raise ServerError(f"{name} not ready after {START_TIMEOUT_S:.0f}s: {_tail(log_path)}")


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"
