#!/usr/bin/env bash
# Refresh the chart library the dashboard ships (no CDN at run time, so it works offline).
# Usage: scripts/update-vendor.sh [VERSION]   (default: the version pinned below)
# Fetches the published npm package in a temporary directory and copies its built,
# minified UMD file and licence into src/adlens/web/static/vendor/.
set -euo pipefail
VERSION="${1:-4.5.1}"
cd "$(dirname "$0")/.."
target="src/adlens/web/static/vendor"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "chart.js@${VERSION}" >/dev/null && tar xzf chart.js-*.tgz)
mkdir -p "$target"
# Drop the source-map comment: the map is not shipped.
sed '/^\/\/# sourceMappingURL=/d' "$tmp/package/dist/chart.umd.min.js" >"$target/chart.umd.min.js"
cp "$tmp/package/LICENSE.md" "$target/chart.js.LICENSE.md"
printf 'chart.js %s (npm), dist/chart.umd.min.js\n' "$VERSION" >"$target/VERSIONS"
echo "vendored chart.js ${VERSION} into ${target}"
