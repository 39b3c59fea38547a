#!/usr/bin/env bash
# A rank that dies or hangs makes the whole run stop within seconds with a
# clear error and a non-zero status, instead of leaving the other ranks
# waiting in an allreduce forever. The failures come from the test hook
# ASTROCNN_TEST_FAIL_RANK (tools/commands/cmd_train.cpp): that rank exits, or hangs,
# at its second step.
# Usage: mpi_rank_failure.sh PATH/TO/astrocnn
source "$(dirname "$0")/mpi_testlib.bash" "$@"

run=(train --model small -n 200 --size 32 --epochs 2 --batch-size 12 --threads 1)

# expect_job_failure NAME PATTERN: the last `mpirun` (status $status, $seconds
# long, output in $tmp/NAME.log) failed quickly, printing PATTERN, and never
# finished training.
expect_job_failure() {
  local log="$tmp/$1.log"
  [ "$status" -ne 0 ] || fail "$1: mpirun exited 0"
  [ "$status" -ne 124 ] || fail "$1: still running after 60 s (a rank waits forever): $(tail -5 "$log")"
  [ "$seconds" -le 30 ] || fail "$1: the job took $seconds s to stop"
  grep -q -- "$2" "$log" || fail "$1: the output lacks '$2': $(cat "$log")"
  grep -q "^best epoch" "$log" && fail "$1: the run finished although a rank failed"
  return 0
}

# A rank that dies (exits without finalising MPI): mpirun ends the others.
start=$SECONDS
ASTROCNN_TEST_FAIL_RANK=1 timeout 60 mpirun -np 2 "$bin" "${run[@]}" --out "$tmp/died" >"$tmp/died.log" 2>&1
status=$? seconds=$((SECONDS - start))
expect_job_failure died "rank 1: ASTROCNN_TEST_FAIL_RANK: exiting at step 2"

# A rank that hangs: the others give up after ASTROCNN_MPI_TIMEOUT seconds.
start=$SECONDS
ASTROCNN_TEST_FAIL_RANK=1 ASTROCNN_TEST_FAIL_MODE=hang ASTROCNN_MPI_TIMEOUT=5 \
  timeout 60 mpirun -np 2 "$bin" "${run[@]}" --out "$tmp/hung" >"$tmp/hung.log" 2>&1
status=$? seconds=$((SECONDS - start))
expect_job_failure hung "rank 0 waited 5 s for the other ranks in MPI_"

# An error on the ranks (here the same bad option on both) ends the job with
# status 2 and the usual one-line message, without waiting for anything.
start=$SECONDS
timeout 60 mpirun -np 2 "$bin" train --epochs 0 --out "$tmp/bad" >"$tmp/bad.log" 2>&1
status=$? seconds=$((SECONDS - start))
expect_job_failure bad "astrocnn: error: --epochs: must be an integer in \[1, 1e+06\], got .0."
[ "$status" -eq 2 ] || fail "a bad option under mpirun exited $status, expected 2"
echo "ok"
