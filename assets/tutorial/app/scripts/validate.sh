#!/bin/bash
# ValidateService: the page served here says this revision's version, or
# the hook fails (and with it the deployment, before any traffic moves).
#
# For a try on another machine: APP_DIR, PAGE (the page's URL) and TRIES.
set -uo pipefail
app_dir=${APP_DIR:-/opt/bluegreen-tutorial}
page_url=${PAGE:-http://localhost/}
version=$(tr -dc '0-9A-Za-z.-' < "$app_dir/version")
for attempt in $(seq 1 "${TRIES:-30}"); do
  if curl -fsS --max-time 2 "$page_url" | grep -q "application version: $version<"; then
    echo "the page says application version: $version"
    exit 0
  fi
  sleep 1
done
echo "the page at $page_url does not say application version: $version" >&2
exit 1
