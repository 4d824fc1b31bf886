#!/usr/bin/env bash
# Docs that cannot drift: every program's and every ./aie4 subcommand's --help is compared with
# docs/command-line.md, both ways (options, log categories, accepted values); the checker first
# proves on a made-up program that it catches each kind of difference.
# aie4-test: group=docs builds=bench-mailbox,bench-queue,aie4-array-bench,aie4-array-demo
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${AIE4EMU_BUILD:-$root/build}
python3 "$root/tests/tools/check_help_docs.py" --self-test
python3 "$root/tests/tools/check_help_docs.py" "$root" "$build"
