#!/bin/bash
# ApplicationStop: the web server stops; the new revision starts it again.
set -euo pipefail
systemctl stop httpd || true
