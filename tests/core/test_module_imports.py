"""Every module of the project imports on its own, first, in a fresh process: an import cycle
through a package's `__init__` (`reports.vouchers` → `export` → `reports.journals` →
`reports.vouchers`) only shows when the cycle's module is the first imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

# A process that imports the libraries once, then forks a child per module to import it first.
_EACH_ALONE = r"""
import importlib, importlib.util, os, pathlib, signal, sys
import beancount.loader, click, pydantic  # the libraries, imported once
for library in ("fava.application", "beanquery", "openpyxl", "xlrd", "beangulp", "reportlab"):
    try:
        importlib.import_module(library)
    except ImportError:
        pass
names = []  # found on disk: walking the packages would import them first
for package in ("xtaccounts", "importers"):
    root = pathlib.Path(importlib.util.find_spec(package).origin).parent
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts[-1] != "__main__":
            names.append(".".join(parts))
assert not [m for m in sys.modules if m.split(".")[0] in ("xtaccounts", "importers")]
failed = []
for name in names:
    pid = os.fork()
    if pid == 0:
        signal.alarm(60)  # a module whose import hangs is named, not waited for
        try:
            importlib.import_module(name)
        except BaseException as exc:
            print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            os._exit(1)
        os._exit(0)
    if os.waitpid(pid, 0)[1]:
        failed.append(name)
print(len(names), failed)
"""


@pytest.mark.slow
def test_each_module_imports_alone() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _EACH_ALONE], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    count, failed = done.stdout.split(" ", 1)
    assert int(count) > 150
    assert failed.strip() == "[]", done.stderr
