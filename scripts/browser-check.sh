#!/usr/bin/env bash
# Browser check of report.html (issue 4): runs `omni merge` on the bundled sample, opens the
# report in headless Chromium (scripts/browser-check/check.mjs, playwright-core pinned in
# package-lock.json) and fails if the page is blank, has a script or console error, or requests
# any network resource. Leaves a full-page screenshot and a print PDF in target/browser-check/out/.
#
# Needs Debian's `chromium` and Node.js with npm; installs them with apt-get when missing and
# running as root (CI), else says what to install.
#   scripts/browser-check.sh              # check
#   scripts/browser-check.sh --update-docs  # also copy the screenshot to docs/report-screenshot.png
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
        echo "browser-check: please install: $*" >&2
        exit 1
    fi
}

CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
if [ -z "$CHROMIUM" ]; then
    need_apt chromium
    CHROMIUM="$(command -v chromium)"
fi
command -v npm >/dev/null || need_apt nodejs npm
export CHROMIUM

(cd scripts/browser-check && npm ci --no-audit --no-fund --loglevel=error)

out=target/browser-check/out
rm -rf "$out"
cargo build --locked --quiet
./target/debug/omni merge testdata/sample -o "$out" --quiet
node scripts/browser-check/check.mjs "$out/report.html" "$out/report.png" "$out/report.pdf"

if [ "${1:-}" = "--update-docs" ]; then
    cp "$out/report.png" docs/report-screenshot.png
    echo "browser-check: updated docs/report-screenshot.png"
fi
