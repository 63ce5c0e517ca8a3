#!/usr/bin/env bash
# System packages the tests need, installed only when missing (quiet, idempotent; `make test` runs it, `make run`
# needs none of them):
#   Java 17 for the local Spark test; Debian's chromium (driven by Playwright through executable_path, never
#   a browser download) and a CJK font for the browser tests; poppler-utils (pdftotext) for the PDF report test.
set -euo pipefail
need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
dpkg-query -W -f='${Status}' fonts-wqy-microhei 2>/dev/null | grep -q "ok installed" || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "Please install: ${need[*]} (e.g. sudo apt-get install ${need[*]})" >&2
  fi
fi
