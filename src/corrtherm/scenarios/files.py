"""Safe files: atomic writes that never follow symlinks, output directories with a manifest,
and ``.npy`` arrays checked from their header before they are loaded.

* :func:`atomic_write` writes through a fresh temporary file in the target's directory
  (``O_EXCL``: a planted file or symlink under the temporary name is never opened) and renames
  it over the target. ``rename`` replaces a symlink at the target instead of writing through
  it, so nothing outside the directory is ever modified, and an interrupted write never leaves
  a complete-looking file.
* :class:`OutputDir` is an output directory (``--out``) that corrtherm owns file by file: it
  keeps a manifest (``.corrtherm-manifest.json``) of the files it wrote. ``--force`` removes
  exactly those files of the earlier run (never a file corrtherm did not write) before the new
  ones are written, so a directory never mixes two runs; a run that was killed leaves its
  temporary files and an *incomplete* manifest, which the next run cleans up by itself.
* :func:`load_npy` reads an array's shape and dtype with :mod:`numpy.lib.format` before
  loading it, so a header that claims a 100000 x 100000 array is refused without allocating.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..core._validate import describe_value
from ..core.errors import CorrthermError, ScenarioError
from ..core.limits import require_memory

__all__ = [
    "as_path",
    "atomic_write",
    "OutputDir",
    "load_npy",
    "npy_header",
    "MANIFEST",
    "RUN_OUTPUTS",
]

#: Name of the manifest of files corrtherm wrote into an output directory.
MANIFEST = ".corrtherm-manifest.json"
#: Every file ``corrtherm run`` may write (the names a new run reserves).
RUN_OUTPUTS = ("results.nc", "energy.png", "currents.png", "information.png", "flows.png")
# temporary files of atomic_write (and of version 0.1: ".results.nc.partial")
_PARTIAL = re.compile(r"^\.[^/]+\.partial$")


def as_path(value: Any, name: str, error: type[CorrthermError] = ScenarioError) -> Path:
    """A user's path argument (str or os.PathLike) as a Path; anything else is ``error``."""
    if isinstance(value, str | os.PathLike) and not isinstance(value, bytes):
        p = Path(value)
        if str(p) and "\x00" not in str(p):
            return p
    raise error(f"{name}: got {describe_value(value)}; expected a file or directory path")


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on a new temporary file next to ``path``, then rename it to ``path``.

    Refuses (``ScenarioError``) a ``path`` that is a directory, an existing device, FIFO or
    socket, or lies in a directory that does not exist. The temporary file is removed if
    ``write`` fails or the process is interrupted before the rename.
    """
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        raise ScenarioError(f"{path}: is a directory; expected a file name to write to")
    if path.exists() and not path.is_symlink() and not path.is_file():
        # a device, FIFO or socket: the rename below would replace the node itself (as root,
        # --out /dev/null would turn /dev/null into a regular file)
        raise ScenarioError(
            f"{path}: is not a regular file (a device, FIFO or socket); expected a file name "
            "to write to"
        )
    if not path.parent.is_dir():
        raise ScenarioError(
            f"{path}: the directory {path.parent} does not exist; expected a file name in an "
            "existing directory"
        )
    tmp = _new_temporary(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path


def _new_temporary(path: Path) -> Path:
    """A new, empty file ``.NAME.<random>.partial`` next to ``path`` (mode 0666 & ~umask, like
    any file the user writes). O_EXCL | O_NOFOLLOW: an existing name or symlink is never used."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.partial"
        try:
            os.close(os.open(tmp, flags, 0o666))
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"{path.parent}: cannot create a temporary file")


def _plain_name(name: Any) -> bool:
    return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name


class OutputDir:
    """An output directory whose corrtherm-written files are listed in a manifest.

    ``OutputDir(out, force, option="--out")`` checks the directory (see the module docstring),
    removes temporary files of killed runs and creates it. :meth:`begin` (after the computation
    succeeded) records an incomplete manifest and removes the earlier run's files;
    :meth:`finish` records the new files. :meth:`discard` removes the directory again if this
    object created it and nothing was written (a run that failed leaves no trace).
    """

    def __init__(
        self, out: str | Path, force: bool, outputs: Iterable[str] = RUN_OUTPUTS, option="--out"
    ):
        self.path = Path(out)
        self.option = option
        self.outputs = tuple(outputs)
        where = f"{option} {self.path}"
        if self.path.exists() and not self.path.is_dir():
            raise ScenarioError(f"{where}: exists and is not a directory")
        self.created = False
        self.previous: list[str] = []
        self._lock_fd = -1
        if not self.path.is_dir():
            try:
                self.path.mkdir(parents=True)
                self.created = True
            except FileExistsError:
                pass
            except OSError as exc:
                raise ScenarioError(
                    f"{where}: cannot create directory ({exc.strerror or exc})"
                ) from None
        self._lock(where)
        try:
            self._check_existing(force, where)
            if not os.access(self.path, os.W_OK | os.X_OK):
                raise ScenarioError(f"{where}: directory is not writable")
        except BaseException:
            self.discard()
            raise

    def _lock(self, where: str) -> None:
        """One corrtherm command per directory: two runs would interleave their files."""
        self._lock_fd = lock_directory(
            self.path,
            ScenarioError(
                f"{where}: in use by another running corrtherm command; expected one command "
                f"per output directory (wait for it, or choose another {self.option})"
            ),
        )

    def _check_existing(self, force: bool, where: str) -> None:
        self._remove_partials()  # safe: we hold the directory's lock
        manifest = self._read_manifest()
        ours = set(manifest.get("files", [])) if manifest else set()
        complete = bool(manifest.get("complete")) if manifest else False
        others = [p.name for p in self.path.iterdir() if p.name != MANIFEST]
        self.previous = sorted(n for n in ours if _plain_name(n))
        foreign = [n for n in others if n not in ours]
        blocking = foreign + ([n for n in others if n in ours] if complete else [])
        if blocking and not force:
            raise ScenarioError(
                f"{where}: directory exists and is not empty; use --force to "
                "overwrite it or choose another " + self.option
            )
        for name in self.outputs:
            p = self.path / name
            if p.is_dir() and not p.is_symlink():
                raise ScenarioError(
                    f"{where}: {name} is a directory; expected a file corrtherm can "
                    "replace (remove it or choose another " + self.option + ")"
                )

    # ------------------------------------------------------------------ manifest
    def _read_manifest(self) -> dict | None:
        p = self.path / MANIFEST
        if p.is_symlink() or not p.is_file():
            return None
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("files"), list) else None

    def _write_manifest(self, files: Iterable[str], complete: bool) -> None:
        text = json.dumps({"files": sorted(set(files)), "complete": complete}, indent=1)
        atomic_write(self.path / MANIFEST, lambda t: t.write_text(text, encoding="utf-8"))

    def _remove_partials(self) -> None:
        for p in self.path.iterdir():
            if _PARTIAL.match(p.name) and (p.is_symlink() or p.is_file()):
                with contextlib.suppress(OSError):
                    p.unlink()

    # ------------------------------------------------------------------ writing
    def begin(self) -> None:
        """Start writing: mark the directory incomplete, remove the earlier run's files."""
        self._write_manifest([*self.previous, *self.outputs], complete=False)
        for name in self.previous:
            p = self.path / name
            if p.is_symlink() or p.is_file():  # unlink removes a link, never its target
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()

    def finish(self, written: Iterable[str | Path]) -> None:
        """Record the files of this run as complete and release the directory."""
        self._write_manifest([Path(w).name for w in written], complete=True)
        self.close()

    def discard(self) -> None:
        """Remove the directory if this object created it and it is still empty; release it."""
        if self.created:
            with contextlib.suppress(OSError):
                self.path.rmdir()
        self.close()

    def close(self) -> None:
        self._lock_fd = unlock_directory(self._lock_fd)


def lock_directory(path: Path, busy: CorrthermError) -> int:
    """An exclusive ``flock`` on the directory itself (a lock file inside would be listed as
    content); raises ``busy`` when another process holds it. Returns the descriptor that holds
    the lock: :func:`unlock_directory` releases it, and so does the death of the process (a
    killed run never leaves a stale lock)."""
    import fcntl

    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise busy from None
    return fd


def unlock_directory(fd: int) -> int:
    """Release a lock of :func:`lock_directory` (a no-op for fd < 0); returns -1, the value to
    keep instead of the closed descriptor, whose number the system may reuse."""
    if fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)  # releases the flock
    return -1


# ============================================================================ .npy arrays
def npy_header(path: str | Path) -> tuple[tuple[int, ...], np.dtype, bool]:
    """(shape, dtype, fortran_order) of a ``.npy`` file, read from its header only."""
    from numpy.lib import format as npf

    with open(path, "rb") as fh:
        version = npf.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = npf.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = npf.read_array_header_2_0(fh)
        else:  # pragma: no cover - read_magic accepts only the versions above
            raise ValueError(f"unsupported .npy format version {version}")
    return tuple(int(n) for n in shape), np.dtype(dtype), bool(fortran)


def load_npy(path: str | Path, shape: tuple[int | None, ...], where: str) -> np.ndarray:
    """Load a numeric ``.npy`` array of the given shape, checking the header first.

    A ``None`` in ``shape`` accepts any length along that axis (``(None, None)``: any matrix).
    """
    if not Path(path).exists():
        # relative paths are resolved against the scenario file: say where it was looked for
        raise ScenarioError(f"{where}: {path} does not exist; expected a .npy file")
    if not Path(path).is_file():  # a FIFO or device would block or never end
        raise ScenarioError(f"{where}: {path} is not a regular file; expected a .npy file")
    try:
        found, dtype, _ = npy_header(path)
    except (OSError, ValueError, EOFError) as exc:
        msg = " ".join(str(exc).split())[:200]
        raise ScenarioError(f"{where}: cannot read {path} as a .npy array ({msg})") from None
    if dtype.kind not in "iufc" or dtype.hasobject:
        raise ScenarioError(
            f"{where}: {path} holds {dtype} entries; expected real or complex numbers"
        )
    if len(found) != len(shape) or any(w is not None and n != w for n, w in zip(found, shape)):
        want = tuple("any" if w is None else w for w in shape)
        want_text = "a matrix" if set(want) == {"any"} and len(want) == 2 else str(want)
        raise ScenarioError(f"{where}: {path} has shape {found}; expected {want_text}")
    n = int(np.prod(found, dtype=object))
    require_memory(n * (dtype.itemsize + 16), f"{where}: the array {path}", "a smaller array")
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        msg = " ".join(str(exc).split())[:200]
        raise ScenarioError(f"{where}: cannot read {path} ({msg})") from None
    return np.asarray(arr, dtype=complex)
