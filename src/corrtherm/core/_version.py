"""The installed corrtherm version, for results metadata (no import of the top-level package)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """Version of the installed distribution, or "0.0.0+unknown" when run from a source tree."""
    try:
        return version("corrtherm")
    except PackageNotFoundError:
        return "0.0.0+unknown"
