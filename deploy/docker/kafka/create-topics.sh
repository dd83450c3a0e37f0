#!/bin/sh
# Creates the NetSecStream Kafka topics; safe to run again (existing topics are left as they are).
# Used by the `kafka-init` service of docker-compose.yml, which runs it inside the apache/kafka image;
# it works against any cluster: KAFKA_BOOTSTRAP=broker:9092 REPLICATION_FACTOR=3 sh create-topics.sh
#
#   netsec.flows       raw Hubble flows published by `netsec collect`;
#                      partitions bound how many `netsec process` replicas share the work (default 12)
#   netsec.alerts      ECS alert documents from `netsec process`, read by `netsec control`
#   netsec.deadletter  records that could not be decoded or delivered, with their reason
set -eu

BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:9092}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
KAFKA_BIN="${KAFKA_BIN:-/opt/kafka/bin}"

# The broker is healthy before this runs under compose, but another cluster may still be starting: wait up to
# about a minute for it to answer.
tries=0
until "$KAFKA_BIN/kafka-broker-api-versions.sh" --bootstrap-server "$BOOTSTRAP" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 30 ]; then
    echo "create-topics: Kafka at $BOOTSTRAP does not answer" >&2
    exit 1
  fi
  sleep 2
done

create() {
  topic="$1"
  partitions="$2"
  shift 2
  echo "create-topics: $topic ($partitions partitions, replication factor $REPLICATION_FACTOR)"
  "$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$topic" --partitions "$partitions" --replication-factor "$REPLICATION_FACTOR" "$@"
}

# Flows are bulky and only needed until processed: one day.
create netsec.flows "${FLOWS_PARTITIONS:-12}" \
  --config retention.ms="${FLOWS_RETENTION_MS:-86400000}"
# Alerts are small and worth keeping: seven days.
create netsec.alerts "${ALERTS_PARTITIONS:-3}" \
  --config retention.ms="${ALERTS_RETENTION_MS:-604800000}"
# Dead letters are kept long enough to look into: fourteen days.
create netsec.deadletter "${DEADLETTER_PARTITIONS:-3}" \
  --config retention.ms="${DEADLETTER_RETENTION_MS:-1209600000}"

# One summary line per topic (partition lines start with a tab).
"$KAFKA_BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --describe --topic 'netsec\..*' | grep '^Topic:' || true
echo "create-topics: done"
