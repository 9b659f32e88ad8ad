#!/bin/bash
# BeforeInstall: the web server, and no version file of an older revision
# (CodeDeploy refuses to write over a file it did not install).
set -euo pipefail
dnf install -y httpd
rm -f /opt/bluegreen-tutorial/version
