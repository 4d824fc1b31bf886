#!/usr/bin/env bash
# Every citation can be followed inside the repository: no file names a document kept outside
# it, and every section sign resolves to a heading under docs/ (tests/tools/check_citations.py
# states the rule). The checker first proves on a synthetic tree that it catches each kind of
# bad citation, so a broken checker cannot pass.
# aie4-test: group=docs
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python3 "$root/tests/tools/check_citations.py" --self-test
python3 "$root/tests/tools/check_citations.py" "$root"
