#!/bin/sh
# Renders the rich example drift report (DriftHtmlTest.RendersRichExample) and takes a
# screenshot of it with headless Chromium, for a person to look at. Not part of the suite.
#
# Usage: tests/report/screenshot.sh [build-dir] [out-dir]
#   build-dir  a build tree with report_test (default: build)
#   out-dir    where drift.html and drift.png go (default: /tmp)
# Needs chromium (Debian: apt-get install -y chromium). Override the page height with
# HEIGHT=6000 to see the whole page.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
out=${2:-/tmp}
height=${HEIGHT:-2400}

cmake --build "$build" --target report_test
MLLOOP_HTML_OUT="$out/drift.html" "$build/tests/report/report_test" \
  --gtest_filter=DriftHtmlTest.RendersRichExample >/dev/null

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "no chromium found; the page is at $out/drift.html" >&2
  exit 1
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
  --hide-scrollbars --screenshot="$out/drift.png" --window-size=1280,"$height" \
  "file://$out/drift.html" 2>/dev/null
echo "page: $out/drift.html"
echo "screenshot: $out/drift.png"
