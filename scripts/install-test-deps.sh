#!/usr/bin/env bash
# Installs the real peers and native libraries that MedNode's tests use (Debian packages).
# Idempotent: packages already present are not reinstalled.
set -euo pipefail
pkgs=(
  dcmtk             # echoscu, storescu, storescp, dcmdump, dcm2json, dsrdump, codecs
  dicom3tools       # dciodvfy
  libgdcm-tools     # gdcmconv (reference decoder)
  libopenjp2-7      # JPEG 2000 / HTJ2K codec (P/Invoke)
  libcharls2        # JPEG-LS codec (P/Invoke)
  python3           # TRX summary in scripts/test.sh
  python3-pydicom   # independent UID table and second decoder for the character set golden tests
  prometheus        # promtool: validates /metrics (tests/MedNode.Host.Tests ObservabilityTests)
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
