#!/usr/bin/env bash
# Runs a program and checks its exit code, for the command-line tests.
# Usage: tests/expect-exit.sh CODE PROGRAM [ARGS...]
# Prints the program's output, so that ctest can match the message with
# PASS_REGULAR_EXPRESSION, and fails unless the program exits with CODE.
set -uo pipefail

expected=${1:?usage: expect-exit.sh CODE PROGRAM [ARGS...]}
shift
"$@" 2>&1
actual=$?
echo "exit code $actual"
if [ "$actual" != "$expected" ]; then
  echo "expect-exit.sh: expected exit code $expected" >&2
  exit 1
fi
