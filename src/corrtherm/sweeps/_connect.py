"""Getting a Dask cluster safely: a scheduler that must *answer*, and the script guard.

* :func:`probe_scheduler` opens a plain TCP connection to a ``--scheduler`` address and waits
  for the Dask comm handshake, which a scheduler sends first on every new connection (an
  8-byte little-endian length, then a msgpack message with ``compression`` and
  ``pickle-protocol``). A server that accepts and stays silent, an HTTP server, or any other
  protocol is refused within :data:`CONNECT_TIMEOUT` seconds, before ``distributed.Client``
  (whose timeout covers only the TCP connect, and which reads a garbage length prefix as a
  multi-exabyte allocation) ever talks to it.
* :func:`connect_scheduler` then creates the client with the whole connection bounded in time.
* :func:`check_main_guard`: a local cluster starts worker processes with ``spawn``, which
  re-imports the calling script; a script that calls ``run_sweep`` at top level (without
  ``if __name__ == "__main__":``) would start a cluster inside every worker. Detected from the
  call stack and the script's syntax tree before any process is started.
"""

from __future__ import annotations

import ast
import contextlib
import multiprocessing
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from ..core.errors import SweepError

__all__ = ["CONNECT_TIMEOUT", "probe_scheduler", "connect_scheduler", "check_main_guard"]

#: Seconds a scheduler has to answer the handshake, and again to complete the client connection.
CONNECT_TIMEOUT = 8.0
#: Largest handshake message accepted from a scheduler (a real one is ~100 bytes).
_MAX_HANDSHAKE = 1 << 16
_DEFAULT_PORT = 8786
_EXPECTED = "expected the address of a running Dask scheduler, e.g. tcp://host:8786"


def _recv(sock: socket.socket, n: int, deadline: float) -> bytes:
    data = b""
    while len(data) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(left)
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionResetError("the server closed the connection")
        data += chunk
    return data


def probe_scheduler(address: str, timeout: float | None = None) -> None:
    """Raise :class:`SweepError` unless a Dask scheduler answers at ``address`` in time.

    Only ``tcp://`` (or scheme-less ``host:port``) addresses are probed; other transports
    (``tls://``, ``ws://``, ``ucx://``) are left to :func:`connect_scheduler`'s time bound.
    """
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    where = f"--scheduler {address!r}"
    if not isinstance(address, str) or not address.strip():
        raise SweepError(f"{where}: empty address; {_EXPECTED}")
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, loc = parse_address(address.strip())
        if scheme != "tcp":
            return
        host, port = parse_host_port(loc, default_port=_DEFAULT_PORT)
    except (ValueError, TypeError) as exc:
        raise SweepError(f"{where}: not an address ({exc}); {_EXPECTED}") from None
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            (n,) = struct.unpack("<Q", _recv(sock, 8, deadline))
            body = _recv(sock, n, deadline) if 0 < n <= _MAX_HANDSHAKE else b""
    except TimeoutError:
        raise SweepError(
            f"{where}: no Dask handshake within {timeout:g} s (the server accepted the "
            f"connection but did not answer like a Dask scheduler); {_EXPECTED}"
        ) from None
    except (OSError, ValueError, OverflowError) as exc:
        msg = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise SweepError(f"{where}: cannot connect ({msg}); {_EXPECTED}") from None
    if b"pickle-protocol" not in body:
        raise SweepError(
            f"{where}: the server answered, but not with the Dask protocol (is it an HTTP or "
            f"another service's port?); {_EXPECTED}"
        )


@contextlib.contextmanager
def connect_scheduler(address: str, timeout: float | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` for ``address``, or :class:`SweepError` within ~2 x timeout."""
    from distributed import Client

    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    box: dict[str, Any] = {}

    def connect() -> None:
        try:
            box["client"] = Client(address, timeout=f"{timeout}s")
        except BaseException as exc:  # reported in the caller's thread
            box["error"] = exc

    th = threading.Thread(target=connect, name="corrtherm-connect", daemon=True)
    th.start()
    th.join(2 * timeout)
    if th.is_alive():
        raise SweepError(
            f"--scheduler {address!r}: the connection did not complete within "
            f"{2 * timeout:g} s; {_EXPECTED}"
        )
    if "error" in box:
        exc = box["error"]
        msg = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise SweepError(f"--scheduler {address!r}: cannot connect ({msg}); {_EXPECTED}")
    with box["client"] as c:
        yield c


# ============================================================================ the script guard
def _guarded(tree: ast.Module, lineno: int) -> bool:
    """Whether line ``lineno`` of a module lies inside ``if __name__ == "__main__":``."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        t = node.test
        if (
            isinstance(t, ast.Compare)
            and len(t.ops) == 1
            and isinstance(t.ops[0], ast.Eq)
            and {_name(t.left), _name(t.comparators[0])} == {"__name__", "'__main__'"}
        ):
            end = node.end_lineno or node.lineno
            if node.lineno <= lineno <= end:
                return True
    return False


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return repr(node.value)
    return ""


def check_main_guard() -> None:
    """Refuse to start a local cluster from unguarded top-level code of a script."""
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        # we are a worker being spawned, re-running the parent's script: stop right here
        raise SweepError(
            "run_sweep: called while a worker process imports the script; put the call under "
            '`if __name__ == "__main__":`'
        )
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or not path or not str(path).endswith(".py"):
        return  # interactive sessions and notebooks are not re-imported by workers
    frame = sys._getframe(1)
    while frame is not None and not (
        frame.f_code.co_name == "<module>" and frame.f_globals is vars(main)
    ):
        frame = frame.f_back
    if frame is None:
        return
    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return
    if not _guarded(tree, frame.f_lineno):
        raise SweepError(
            f"run_sweep: called at the top level of {path} (line {frame.f_lineno}); the local "
            "Dask cluster starts worker processes that re-import this script, so the call must "
            'sit under `if __name__ == "__main__":` (indent the sweep below that line)'
        )
