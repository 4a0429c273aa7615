#!/usr/bin/env bash
# CI for the VS Code extension, from a clean clone: install the pinned npm
# packages, build the client, run the grammar's scope assertions and the unit
# tests, package the .vsix and check what is inside it. Needs Node.js 20+ and
# npm, and the npm registry (or a warm npm cache) for `npm ci`.
set -euo pipefail
cd "$(dirname "$0")"

echo "== usim VS Code extension: node $(node --version), npm $(npm --version)"
npm ci --no-audit --no-fund
npm run build
npm run test:grammar
npm run test:unit

version=$(node -p 'require("./package.json").version')
vsix="usim-$version.vsix"
rm -f "$vsix"
npm run package
test -f "$vsix" || { echo "test.sh: npm run package wrote no $vsix" >&2; exit 1; }
node tests/check-vsix.mjs "$vsix"

echo "== usim VS Code extension: all checks passed ($vsix)"
