# Shared by scripts/demo and scripts/test: create .venv if missing and install the project.
# Idempotent: the install is skipped while pyproject.toml is unchanged since the last one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
EXTRAS="${1:-}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.xtaccounts-installed${EXTRAS:+-$EXTRAS}"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing xtaccounts${EXTRAS:+[$EXTRAS]} into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${EXTRAS:+[$EXTRAS]}"
  echo "$want" > "$stamp"
fi
# The package's bytecode, compiled ahead: an editable install leaves it to the first import,
# and where PYTHONDONTWRITEBYTECODE is set every command would compile the sources again
# (a fifth of one write's time). Only changed sources are compiled; a stale file is ignored.
.venv/bin/python -m compileall -q -j 0 xtaccounts importers
