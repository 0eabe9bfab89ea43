"""ESC/POS printing, free of Flask: slips as data, raster layout, backends by URL, print worker.

python-escpos (3.1) keeps a pickle of its printer capabilities in ESCPOS_CAPABILITIES_PICKLE_DIR
and calls tempfile.mkdtemp() for that folder's default even when the variable is set, so every
process that printed left an empty or pickle-holding folder in /tmp. Importing this package
installs an import hook: when escpos.capabilities loads, its folder is `escpos-cache` in the
instance folder (LOBBY_INSTANCE_PATH, else ./instance) unless the variable names one, the
pickle there is written whole (a temporary file renamed over it: processes starting together
never read half of one), and no temporary folder is made.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import pickle
import platform
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

_CAPABILITIES = "escpos.capabilities"


def escpos_cache_dir() -> Path:
    """Where python-escpos keeps its capabilities pickle."""
    configured = os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR")
    if configured:
        return Path(configured)
    instance = os.environ.get("LOBBY_INSTANCE_PATH") or Path(__file__).resolve().parents[1] / (
        "instance"
    )
    return Path(instance) / "escpos-cache"


def _prepare_pickle(folder: Path, capabilities_json: Any) -> None:
    """Write the pickle python-escpos would write, atomically, unless a fresh one is there."""
    import yaml

    target = folder / f"{platform.python_version()}.capabilities.pickle"
    source = Path(os.environ.get("ESCPOS_CAPABILITIES_FILE") or capabilities_json)
    if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
        return
    with source.open() as f:
        data = yaml.safe_load(f)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump(data, out, protocol=2)
        os.replace(tmp, target)
    except BaseException:
        os.unlink(tmp)
        raise


class _CapabilitiesLoader(importlib.abc.Loader):
    def __init__(self, inner: Any, origin: str) -> None:
        self._inner, self._origin = inner, origin

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        folder = escpos_cache_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _prepare_pickle(folder, Path(self._origin).parent / "capabilities.json")
        except Exception:  # a read-only instance folder: let python-escpos do as it does
            self._inner.exec_module(module)
            return
        real_mkdtemp = tempfile.mkdtemp
        tempfile.mkdtemp = lambda *a, **k: str(folder)  # type: ignore[assignment]
        try:
            self._inner.exec_module(module)
        finally:
            tempfile.mkdtemp = real_mkdtemp


class _EscposCacheInInstance(importlib.abc.MetaPathFinder):
    def find_spec(
        self, name: str, path: Any = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != _CAPABILITIES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or spec.origin is None:
            return spec
        spec.loader = _CapabilitiesLoader(spec.loader, spec.origin)
        return spec


if _CAPABILITIES not in sys.modules and not any(
    isinstance(f, _EscposCacheInInstance) for f in sys.meta_path
):
    sys.meta_path.insert(0, _EscposCacheInInstance())
