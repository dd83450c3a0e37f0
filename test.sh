#!/usr/bin/env bash
# Runs every NetSecStream test: installs the Debian packages the tests need when they are missing,
# points the tests at the shared test data, then runs `dotnet test` on the whole solution.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the test suite needs: docker-compose validates docker-compose.yml without an engine and brings
# python3-yaml for the Kubernetes manifest checks; softflowd (a NetFlow/IPFIX exporter) and nfdump (nfcapd, a
# reference collector) check the NetFlow collector against a real exporter and collector; tshark is the reference
# the pcap collector's L7 extraction is compared with (its agreement test fails in CI without it) and libpcap0.8
# serves the pcap collector's live capture.
APT_PACKAGES=(docker-compose python3-yaml softflowd nfdump tshark libpcap0.8 libhyperscan5)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}"
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  # Other builds on the machine may hold the dpkg lock: wait for it instead of failing.
  $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"
fi

export NETSEC_TESTDATA="${NETSEC_TESTDATA:-$(cd .. && pwd)/shared/data}"
if [ -d "$NETSEC_TESTDATA" ]; then
  echo "test.sh: test data at $NETSEC_TESTDATA"
else
  echo "test.sh: WARNING: no test data at $NETSEC_TESTDATA (set NETSEC_TESTDATA); tests that need it will fail and say so"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "test.sh: deployment files (docker-compose config, Kubernetes manifests)"
bash tests/deploy/check.sh
dotnet test NetSecStream.sln -c Release --logger "console;verbosity=minimal" "$@"
