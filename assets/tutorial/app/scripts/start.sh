#!/bin/bash
# ApplicationStart: writes the tutorial's page for this revision, with the
# instance's id and address read from instance metadata (IMDSv2, a token
# first), and serves it.
#
# For a try on another machine: APP_DIR (where `version` is), WEB_ROOT
# (where index.html goes), IMDS (the metadata service) and SERVE=no.
set -euo pipefail
app_dir=${APP_DIR:-/opt/bluegreen-tutorial}
web_root=${WEB_ROOT:-/var/www/html}
imds=${IMDS:-http://169.254.169.254}
version=$(tr -dc '0-9A-Za-z.-' < "$app_dir/version")
token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$imds/latest/api/token")
meta() { curl -fsS -H "X-aws-ec2-metadata-token: $token" "$imds/latest/meta-data/$1"; }
page="<h1>application version: $version</h1><h1>instance-id: $(meta instance-id)</h1><h1>local-ipv4: $(meta local-ipv4)</h1>"
printf '<!doctype html>\n<html><head><title>bluegreen tutorial</title></head><body>%s</body></html>\n' "$page" > "$web_root/index.html"
if [ "${SERVE:-yes}" = yes ]; then
  systemctl enable --now httpd
  systemctl restart httpd
fi
