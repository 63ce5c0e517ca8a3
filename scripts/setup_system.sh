#!/usr/bin/env bash
# System packages the tests need: Java 17 for the local Spark test. Installs only what is missing.
set -euo pipefail
need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
  else
    echo "Please install: ${need[*]} (e.g. sudo apt-get install ${need[*]})" >&2
  fi
fi
