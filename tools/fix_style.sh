#!/usr/bin/env bash
# Apply the project's style once, on the whole tree: ruff's safe autofixes, then the formatter.
# Run it on a clean tree and commit the result on its own (a pure style commit is easy to review
# and to skip in `git blame` via .git-blame-ignore-revs). What it prints at the end needs a hand.
set -euo pipefail
cd "$(dirname "$0")/.."
RUFF="${RUFF:-$( [ -x .venv/bin/ruff ] && echo .venv/bin/ruff || echo ruff )}"
"$RUFF" check --fix --exit-zero --quiet .   # imports sorted, stale noqa removed, pyupgrade, ...
"$RUFF" format .                            # layout (after the fixes: a fix can lengthen a line)
"$RUFF" check --fix --exit-zero --quiet .   # fixes the formatter's layout made visible
echo "--- left for a hand (not autofixable):"
"$RUFF" check --output-format concise . || true
