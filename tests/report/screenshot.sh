#!/bin/sh
# Renders an example report and takes a screenshot of it with headless Chromium, for a
# person to look at. Not part of the suite.
#   drift       the rich example drift report (DriftHtmlTest.RendersRichExample)
#   evaluation  real Elec2 models under every gate (EvaluationHtmlTest.ShowsEveryGateChartAndNumber)
#
# Usage: tests/report/screenshot.sh [build-dir] [out-dir] [drift|evaluation]
#   build-dir  a build tree with report_test (default: build)
#   out-dir    where NAME.html and NAME.png go (default: /tmp)
# Needs chromium (Debian: apt-get install -y chromium). Override the page height with
# HEIGHT=6000 to see the whole page.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
out=${2:-/tmp}
name=${3:-drift}
height=${HEIGHT:-2400}
case "$name" in
  drift) filter=DriftHtmlTest.RendersRichExample ;;
  evaluation) filter=EvaluationHtmlTest.ShowsEveryGateChartAndNumber ;;
  *) echo "unknown report '$name' (expected drift or evaluation)" >&2; exit 2 ;;
esac

cmake --build "$build" --target report_test
MLLOOP_HTML_OUT="$out/$name.html" "$build/tests/report/report_test" \
  --gtest_filter="$filter" >/dev/null

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "no chromium found; the page is at $out/$name.html" >&2
  exit 1
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
  --hide-scrollbars --screenshot="$out/$name.png" --window-size=1280,"$height" \
  "file://$out/$name.html" 2>/dev/null
echo "page: $out/$name.html"
echo "screenshot: $out/$name.png"
