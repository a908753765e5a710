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
  postgresql        # PostgresPeer: the index and DICOMweb tests on a real PostgreSQL server
  orthanc           # a real PACS peer (tests/MedNode.TestSupport/OrthancPeer.cs): DIMSE, storage commitment
  orthanc-dicomweb  # Orthanc's DICOMweb plugin (Orthanc as DICOMweb client of mednode serve)
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

# npm packages for interop tests, under the gitignored .test-deps/node (tests find it via SharedData.RepoRoot).
# This machine's Node (with npm) may come from outside Debian; install Debian's only when there is none.
if ! command -v npm >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
node_prefix="$(cd "$(dirname "$0")/.." && pwd)/.test-deps/node"
npm_pkgs=(
  dcmjs@0.52        # reads MedNode's SEG and TID 1500 SR as OHIF does
)
for p in "${npm_pkgs[@]}"; do
  if [ ! -f "$node_prefix/node_modules/${p%@*}/package.json" ]; then
    npm install --no-audit --no-fund --loglevel=error --prefix "$node_prefix" "${npm_pkgs[@]}"
    break
  fi
done
