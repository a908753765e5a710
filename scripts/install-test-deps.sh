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
  python3-matplotlib # matplotlib.path: the sts-ct training script's RTSTRUCT rasteriser, compared with MedNode's
  python3-pil       # Pillow: independent PNG/JPEG decoder for the WADO-RS rendered tests
  python3-nibabel   # nibabel: writes the NIfTI files of the upload tests independently of MedNode (tests/MedNode.Web.Tests/Admin/make_uploads.py)
  chromium          # headless browser for the OHIF viewer tests (Playwright drives /usr/bin/chromium)
  nodejs            # dicomweb-client tests
  prometheus        # promtool: validates /metrics (tests/MedNode.Host.Tests ObservabilityTests)
  openssl           # throwaway CA and certificates, s_client (DICOM TLS and HTTPS tests, TestPki.cs; signs JWTs independently of .NET in Security/AuthenticationTests)
  curl              # HTTPS client for TlsServeTests
  docker-compose    # `docker-compose config` validates docker-compose.yml (DeploymentTests; no Docker engine is needed)
  libxml2-utils     # xmllint: validates the PS3.15 audit messages against conformance/schemas/dicom-audit-message.rng
  rsyslog           # rsyslogd: a real syslog server (RFC 5424 over UDP and TCP) for the audit export tests
  rsyslog-openssl   # rsyslog's OpenSSL stream driver: syslog over TLS (RFC 5425) for the audit export tests
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

# npm peers under the gitignored .test-deps/ (tests find them via SharedData.RepoRoot): dicomweb-client and dcmjs in Node,
# and the prebuilt OHIF viewer (npm pack, package/dist) for the browser tests. Skipped when already present.
if ! command -v npm >/dev/null 2>&1; then
  # Debian's nodejs comes without npm (NodeSource's includes it).
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
if command -v npm >/dev/null 2>&1; then
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  node_dir="$root/.test-deps/node"
  if [ ! -d "$node_dir/node_modules/dicomweb-client" ] || [ ! -d "$node_dir/node_modules/xhr2" ] || [ ! -d "$node_dir/node_modules/dcmjs" ]; then
    mkdir -p "$node_dir"
    [ -f "$node_dir/package.json" ] || echo '{"name":"mednode-test-deps","private":true}' > "$node_dir/package.json"
    (cd "$node_dir" && npm install --no-audit --no-fund --silent dicomweb-client@0.11 xhr2 dcmjs@0.52)
  fi
  ohif_dir="$root/.test-deps/ohif"
  if [ ! -f "$ohif_dir/package/dist/index.html" ]; then
    mkdir -p "$ohif_dir"
    (cd "$ohif_dir" && rm -rf package ./*.tgz && npm pack --silent @ohif/app@3.13.2 >/dev/null && tar -xzf ./*.tgz package/dist && rm -f ./*.tgz)
  fi
fi
