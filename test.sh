#!/usr/bin/env bash
# Runs every NetSecStream test: installs the Debian packages the tests need when they are missing,
# points the tests at the shared test data, then runs `dotnet test` on the whole solution.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the test suite needs: docker-compose validates docker-compose.yml without an engine and brings
# python3-yaml for the Kubernetes manifest checks; softflowd (a NetFlow/IPFIX exporter) and nfdump (nfcapd, a
# reference collector) check the NetFlow collector against a real exporter and collector; tshark is the reference
# the pcap collector's L7 extraction is compared with (its agreement test fails in CI without it) and libpcap0.8
# serves the pcap collector's live capture; syslog-ng-core is the real syslog receiver (TCP, TLS, UDP) the syslog sink's
# tests start as their own child process (its syslog-ng tests fail in CI without it); chromium is the browser the
# control UI's Playwright tests drive (Playwright's own browser download needs the internet; those tests fail without it).
APT_PACKAGES=(docker-compose python3-yaml softflowd nfdump tshark libpcap0.8 libhyperscan5 syslog-ng-core chromium)

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

# The rule loader as users run it: ET Open through the built CLI, at least 90% of its enabled rules must load and
# every other one must have a diagnostic (issue 5).
if [ -d "$NETSEC_TESTDATA/rules/et-open" ]; then
  echo "test.sh: netsec rules check on ET Open"
  dotnet src/NetSecStream.Cli/bin/Release/net10.0/netsec.dll rules check "$NETSEC_TESTDATA/rules/et-open" --json > /tmp/netsec-et-open-check.json
  python3 - /tmp/netsec-et-open-check.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
pct = 100.0 * r["loaded"] / max(r["total"], 1)
print(f"ET Open: {r['total']} enabled rules, {r['loaded']} loaded ({pct:.2f}%), {r['failed']} failed, {r['elapsed_s']} s")
assert r["loaded"] + r["failed"] == r["total"], "a rule neither loaded nor got a diagnostic"
assert len(r["errors"]) == r["failed"], "a failed rule has no diagnostic"
assert pct >= 90.0, f"only {pct:.2f}% of ET Open loads (target 90%)"
PY
else
  echo "test.sh: no ET Open rules under $NETSEC_TESTDATA/rules/et-open"
  if [ "${CI:-}" = "true" ]; then exit 1; fi
fi

# The signature engine against Suricata's own expectations: every suricata-verify case under the shared data goes
# through the built CLI (rules check, replay --rules, EVE output) and is compared with its alert checks (issue 5).
# SURICATA_VERIFY_MIN_PASS is the bar this build holds; the issue's target is 0.85 of the cases whose rules load.
VERIFY_TOOL="$NETSEC_TESTDATA/../tools/suricata-verify.py"
[ -f "$VERIFY_TOOL" ] || VERIFY_TOOL="$(cd .. && pwd)/shared/tools/suricata-verify.py"
if [ -d "$NETSEC_TESTDATA/suricata-verify/tests" ] && [ -f "$VERIFY_TOOL" ]; then
  echo "test.sh: suricata-verify cases through the CLI"
  NETSEC="dotnet src/NetSecStream.Cli/bin/Release/net10.0/netsec.dll" MIN_PASS_RATE="${SURICATA_VERIFY_MIN_PASS:-0.85}" \
    python3 "$VERIFY_TOOL" "$NETSEC_TESTDATA/suricata-verify/tests"
else
  echo "test.sh: WARNING: suricata-verify not run: no cases under $NETSEC_TESTDATA/suricata-verify/tests or no $VERIFY_TOOL"
fi

# The unsupervised workload baseline (issue 6): the committed model evaluates on labelled generator attacks it was not
# trained on and must keep its overall ROC AUC at 0.95 or better; a feature export in both formats works.
echo "test.sh: netsec evaluate on the workload baseline, netsec export csv and parquet"
dotnet src/NetSecStream.Cli/bin/Release/net10.0/netsec.dll evaluate --model models/workload-baseline --scenario attack-heavy --seed 3 --events 100000 --json > /tmp/netsec-baseline-eval.json
python3 - /tmp/netsec-baseline-eval.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("workload baseline: ROC AUC %.4f, recall at 1%% FPR %.3f; %s" % (r["roc_auc"], r["recall_at_1pct_fpr"],
      ", ".join("%s %.3f" % (k, v["roc_auc"]) for k, v in r["by_attack_type"].items())))
assert r["roc_auc"] >= 0.95, "workload baseline ROC AUC below 0.95"
PY
EXPORT_OUT="$(mktemp -d)"
dotnet src/NetSecStream.Cli/bin/Release/net10.0/netsec.dll export --format csv --out "$EXPORT_OUT/f.csv" --scenario demo --events 5000 --seed 7
dotnet src/NetSecStream.Cli/bin/Release/net10.0/netsec.dll export --format parquet --out "$EXPORT_OUT/f.parquet" --scenario demo --events 5000 --seed 7
rm -rf "$EXPORT_OUT"

# The behaviour model's loop as data scientists run it (issue 6): the committed NSL-KDD model evaluates, and a small
# training run (first 3,000 rows, 3 folds) writes a model folder that evaluates too.
if [ -f "$NETSEC_TESTDATA/datasets/nsl-kdd/KDDTrain+_20Percent.txt" ]; then
  echo "test.sh: netsec evaluate and a small netsec train on NSL-KDD"
  NSL="$NETSEC_TESTDATA/datasets/nsl-kdd/KDDTrain+_20Percent.txt"
  dotnet src/NetSecStream.Cli/bin/Release/net10.0/netsec.dll evaluate --model models/nsl-kdd --data "$NSL" --json
  TRAIN_OUT="$(mktemp -d)"
  dotnet src/NetSecStream.Cli/bin/Release/net10.0/netsec.dll train --dataset nsl-kdd --data "$NSL" --out "$TRAIN_OUT" --max-rows 3000 --folds 3
  dotnet src/NetSecStream.Cli/bin/Release/net10.0/netsec.dll evaluate --model "$TRAIN_OUT" --data "$NSL" > /dev/null
  rm -rf "$TRAIN_OUT"
else
  echo "test.sh: no NSL-KDD training data under $NETSEC_TESTDATA/datasets/nsl-kdd"
  if [ "${CI:-}" = "true" ]; then exit 1; fi
fi

# The committed flow-dataset models (issue 6, flow schema features) evaluate on their shared samples through the CLI.
# These are the rows they were trained on, so the 0.9 accuracy bar only catches a broken reader, mapping or model file.
for pair in cic-ids2017:cic-ids2017-improved-sample unsw-nb15:unsw-nb15-sample iot-23:iot-23; do
  FLOW_MODEL="${pair%%:*}"
  FLOW_DATA="$NETSEC_TESTDATA/datasets/${pair#*:}"
  if [ -d "$FLOW_DATA" ]; then
    echo "test.sh: netsec evaluate models/$FLOW_MODEL on $FLOW_DATA"
    dotnet src/NetSecStream.Cli/bin/Release/net10.0/netsec.dll evaluate --model "models/$FLOW_MODEL" --data "$FLOW_DATA" --json --strict > "/tmp/netsec-evaluate-$FLOW_MODEL.json"
    python3 - "/tmp/netsec-evaluate-$FLOW_MODEL.json" "$FLOW_MODEL" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]}: {m['rows']} rows, accuracy {m['accuracy']}, recall {m['recall']}, false positive rate {m['false_positive_rate']}, ROC AUC {m.get('roc_auc')}")
assert m["accuracy"] >= 0.9, f"{sys.argv[2]}: accuracy {m['accuracy']} below 0.9 on its own sample"
PY
  else
    echo "test.sh: no $FLOW_MODEL data under $FLOW_DATA"
    if [ "${CI:-}" = "true" ]; then exit 1; fi
  fi
done
