#!/usr/bin/env bash
# Figure: change notifications keep up with the write rate (docs/api.md section 10, issue 18).
# N changes of listing committed through the API (as bench/change_listing.sh: each finishes the old
# listing and writes the new one, so two listing-change events) while one admin subscription to
# listing-change, payload full-resource, is delivered by rest-hook to a receiver on loopback that
# checks the server's client certificate (mutual TLS, like any SITHS endpoint).
#   bench/subscriptions.sh [--people N] [--requests R] [--clients C]   default 20 000 people, 2 000, 16
#   bench/subscriptions.sh --smoke                                     500 people, 100 requests
# Prints: changes committed/s (curl --parallel, every request 201), notifications (events) delivered/s
# from the first request to the last event's arrival, delivery latency p50/p99 per event from its
# version's meta.lastUpdated (stamped in the writing transaction just before commit) to its arrival,
# and last the ratio delivered/committed in events/s (1: delivery keeps up). Checks that the receiver got
# events 1..N without gap, N = the EpisodeOfCare versions committed.
source "$(dirname "$0")/common.sh"

people=20000 requests=2000 clients=16
while (($#)); do
  case $1 in
    --people) people=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --smoke) people=500 requests=100; shift ;;
    *) echo "usage: bench/subscriptions.sh [--people N] [--requests R] [--clients C] | --smoke" >&2; exit 2 ;;
  esac
done

bench_start_cluster
bench_load_population registry "$people"
# The server calls endpoints on loopback only, with the dev PKI's registry certificate (bench_serve
# makes the PKI in $BENCH_WORK/pki; the server reads these when it starts).
export NARA_SUBSCRIPTION_ENDPOINT_ALLOWLIST="localhost,127.0.0.1"
export NARA_SUBSCRIPTION_CLIENT_CERT=$BENCH_WORK/pki/clients/nara-server.pem
export NARA_SUBSCRIPTION_CLIENT_KEY=$BENCH_WORK/pki/clients/nara-server.key
bench_serve registry
bench_header "subscriptions, delivery against commits (people $people, $requests changes, $clients at a time)"

# The receiver: HTTPS with a client certificate required (the dev CA), HTTP/1.1 keep-alive; one line
# per event received: number, arrival (epoch seconds), the version's lastUpdated.
cat >"$BENCH_WORK/receiver.py" <<'PY'
import http.server, json, ssl, sys, threading, time
pki, events_path, port_path = sys.argv[1], sys.argv[2], sys.argv[3]
lock = threading.Lock()
out = open(events_path, "a", buffering=1)

class Hook(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        arrived = time.time()
        lines = []
        try:
            bundle = json.loads(body)
            entries = bundle.get("entry", [])
            status = entries[0]["resource"]
            updated = {}
            for entry in entries[1:]:
                resource = entry.get("resource", {})
                if "meta" in resource:
                    updated[entry["fullUrl"].split("/fhir/", 1)[-1].split("/_history")[0]] = resource["meta"]["lastUpdated"]
            for p in status.get("parameter", []):
                if p["name"] != "notification-event":
                    continue
                number = focus = None
                for part in p["part"]:
                    if part["name"] == "event-number":
                        number = part["valueString"]
                    elif part["name"] == "focus":
                        focus = part["valueReference"]["reference"]
                key = focus.split("/fhir/", 1)[-1].split("/_history")[0] if focus else ""
                lines.append("%s %.6f %s\n" % (number, arrived, updated.get(key, "-")))
        except (ValueError, KeyError, IndexError) as e:
            print("receiver: unreadable notification: %s" % e, file=sys.stderr)
        with lock:
            out.writelines(lines)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(pki + "/server.pem", pki + "/server.key")
context.load_verify_locations(pki + "/ca-bundle.pem")
context.verify_mode = ssl.CERT_REQUIRED  # the registry's own client certificate, checked like any SITHS client
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_path + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_path + ".tmp", port_path)
server.serve_forever()
PY
python3 "$BENCH_WORK/receiver.py" "$BENCH_PKI" "$BENCH_WORK/events.txt" "$BENCH_WORK/receiver.port" 2>"$BENCH_WORK/receiver.log" &
receiver_pid=$!
trap 'kill "$receiver_pid" "$BENCH_SERVER_PID" 2>/dev/null; wait "$receiver_pid" "$BENCH_SERVER_PID" 2>/dev/null; bench_cleanup' EXIT
for _ in $(seq 1 50); do [[ -s $BENCH_WORK/receiver.port ]] && break; sleep 0.1; done
[[ -s $BENCH_WORK/receiver.port ]] || { echo "bench: the receiver did not start" >&2; cat "$BENCH_WORK/receiver.log" >&2; exit 1; }
touch "$BENCH_WORK/events.txt"

backport=http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition
subscription=$(bench_curl_as admin -f -X POST -H "Content-Type: application/fhir+json" \
  "https://localhost:$BENCH_PORT/fhir/Subscription" --data-binary @- <<JSON | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
{"resourceType":"Subscription","status":"requested","reason":"bench","criteria":"https://fhir.nara-registry.org/SubscriptionTopic/listing-change",
 "channel":{"type":"rest-hook","endpoint":"https://localhost:$(cat "$BENCH_WORK/receiver.port")/hook","payload":"application/fhir+json",
  "_payload":{"extension":[{"url":"$backport/backport-payload-content","valueCode":"full-resource"}]},
  "extension":[{"url":"$backport/backport-max-count","valueUnsignedInt":100}]}}
JSON
)
# The handshake makes it active.
for _ in $(seq 1 100); do
  status=$(bench_curl_as admin "https://localhost:$BENCH_PORT/fhir/Subscription/$subscription" |
           python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')
  [[ $status == active ]] && break
  sleep 0.1
done
[[ $status == active ]] || { echo "bench: Subscription/$subscription stayed $status" >&2; tail -n 5 "$BENCH_WORK/serve.log" >&2; exit 1; }

# Residents to move, as bench/change_listing.sh chooses them.
bench_listing_moves "$requests"
config=$BENCH_WORK/requests.curl

t0=$(bench_now)
curl -s --show-error --parallel --parallel-max "$clients" -K "$config" >"$BENCH_WORK/codes.txt" 2>"$BENCH_WORK/curl.err" || true
t1=$(bench_now)
created=$(grep -c '^201$' "$BENCH_WORK/codes.txt" || true)
if ((created != requests)); then
  echo "bench: $created of $requests changes answered 201 ($(sort "$BENCH_WORK/codes.txt" | uniq -c | tr '\n' ' '))" >&2
  exit 1
fi
# Every EpisodeOfCare version committed since the subscription became active is one event for it.
committed=$(psql -X -At "$(bench_url registry)" -c "
  SELECT count(*) FROM resource_version WHERE res_type = 'EpisodeOfCare'
  AND last_updated >= (SELECT created FROM subscription WHERE id = '$subscription')")
# Wait (bounded) until every event up to the committed count has arrived.
for _ in $(seq 1 600); do
  have=$(cut -d' ' -f1 "$BENCH_WORK/events.txt" | sort -un | wc -l)
  ((have >= committed)) && break
  sleep 0.2
done
python3 - "$BENCH_WORK/events.txt" "$committed" "$t0" "$t1" "$requests" <<'PY'
import datetime, sys
path, committed, t0, t1, requests = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
first_arrival, latencies, numbers = {}, [], set()
for line in open(path):
    number, arrived, updated = line.split()
    number, arrived = int(number), float(arrived)
    numbers.add(number)
    if number in first_arrival:
        continue  # sent again (at least once): the first arrival counts
    first_arrival[number] = arrived
    if updated != "-":
        stamped = datetime.datetime.fromisoformat(updated.replace("Z", "+00:00")).timestamp()
        latencies.append(arrived - stamped)
missing = sorted(set(range(1, committed + 1)) - numbers)
if missing or max(numbers, default=0) != committed:
    print("bench: events 1..%d expected, %d missing (first %s), highest %d" %
          (committed, len(missing), missing[:5], max(numbers, default=0)), file=sys.stderr)
    sys.exit(1)
latencies.sort()
def pct(p):
    return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000
commit_s = t1 - t0
deliver_s = max(first_arrival.values()) - t0
commit_rate = requests / commit_s
event_commit_rate = committed / commit_s
deliver_rate = committed / deliver_s
print("changes committed: %d in %.2f s = %.1f changes/s (%d listing-change events, %.1f events/s committed)" %
      (requests, commit_s, commit_rate, committed, event_commit_rate))
print("notifications delivered: %d events 1..%d without gap in %.2f s = %.1f events/s" %
      (committed, committed, deliver_s, deliver_rate))
print("delivery latency (lastUpdated -> arrival): p50 %.0f ms, p99 %.0f ms" % (pct(50), pct(99)))
print("ratio delivered/committed (events/s; 1: delivery keeps up with the writes, a short run is held down by the last events latency): %.2f" % (deliver_rate / event_commit_rate))
PY
