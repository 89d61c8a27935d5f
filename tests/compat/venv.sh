#!/usr/bin/env bash
# Makes a virtualenv with the Django and Starlette that tests/compat/compare.py
# runs, unless one with exactly tests/compat/requirements.txt is already there.
#
#   tests/compat/venv.sh VENV_DIR
#
# cargo test --test compat calls it with a directory under target/. Exit status 3
# means python3 (or its venv module) is missing; any other failure is printed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${1:?usage: venv.sh VENV_DIR}
requirements="$here/requirements.txt"
stamp="$venv/requirements.installed"

if [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$stamp"; then
  exit 0
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "python3 not installed" >&2
  exit 3
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "python3-venv not installed (python3 -m venv needs it)" >&2
  exit 3
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
cp "$requirements" "$stamp"
