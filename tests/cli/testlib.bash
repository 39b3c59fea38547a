# Shared by the command-line tests (tests/cli/*.sh; CTest runs each as
# `bash SCRIPT PATH/TO/astrocnn`). Not a test itself: CTest only runs *.sh.
#   source "$(dirname "$0")/testlib.bash" "$@"
set -uo pipefail
bin="$1"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)  # the source tree
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# expect_error STATUS PATTERN -- ARGS...: runs the binary, checks the exit
# status, that stderr is exactly one line, and that it contains PATTERN.
expect_error() {
  local want="$1" pattern="$2"; shift 3
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local status=$?
  [ "$status" -eq "$want" ] || fail "'$*' exited $status, expected $want; stderr: $(cat "$tmp/err")"
  [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "'$*' printed $(wc -l <"$tmp/err") stderr lines, expected 1: $(cat "$tmp/err")"
  grep -q -- "$pattern" "$tmp/err" || fail "'$*' stderr lacks '$pattern': $(cat "$tmp/err")"
}

# run_ok LOG ARGS...: runs the binary, output to LOG; fails the test unless it exits 0.
run_ok() {
  local log="$1"; shift
  "$bin" "$@" >"$log" 2>&1 || fail "'$*' exited $?: $(tail -5 "$log")"
}

# Whether this build reads and writes HDF5 (data files, checkpoints) and draws curves.png.
have_hdf5() { "$bin" info >"$tmp/info.txt" && grep -q "^hdf5: *yes" "$tmp/info.txt"; }
have_cairo() { "$bin" info >"$tmp/info.txt" && grep -q "^plots: *curves.png" "$tmp/info.txt"; }

# expect_png_signature FILE: fails unless FILE starts with the PNG signature.
expect_png_signature() {
  [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "$1 is not a PNG"
}

# A Python with h5py (to write malformed files), or empty.
# The first Python interpreter that imports every module named, or nothing.
# Looks at $ASTROCNN_PYTHON, the repository's .venv (make python-peers),
# python3 on PATH and Debian's /usr/bin/python3, in that order.
python_with() {
  local p
  for p in "${ASTROCNN_PYTHON:-}" "$REPO/.venv/bin/python3" python3 /usr/bin/python3; do
    [ -n "$p" ] || continue
    command -v "$p" >/dev/null 2>&1 || continue
    if "$p" -c "import $(IFS=,; echo "$*")" >/dev/null 2>&1; then
      echo "$p"
      return
    fi
  done
}

h5py_python() { python_with h5py numpy; }

# CSV column COLUMN (1-based) of the rows of metrics.csv whose split is SPLIT.
metric_column() { awk -F, -v s="$2" -v c="$3" '$2 == s { print $c }' "$1"; }
