#!/usr/bin/env bash
# Records what the server answers to a fixed request script: every route shape, method and role
# (ehr, municipality, statistics, citizen-portal, admin), the refusals, 404s and 405s too, so that
# a refactoring can be shown to change nothing for a client:
#
#   scripts/compare-responses.sh https://localhost:8451/fhir var/pki before/
#   … rebuild, fresh demo database (nara migrate && nara demo-load), serve again …
#   scripts/compare-responses.sh https://localhost:8451/fhir var/pki after/
#   diff -r before after
#
# Run it against a freshly loaded demo database: the script writes (creates, updates, deletes) and
# the later answers depend on the earlier ones. One file per request, named NNN-role-what: the
# status line, the response headers (Date dropped) and the body. What legitimately differs from run
# to run is normalised: server-generated ids (UUIDs), instants (lastUpdated, recorded, …),
# Last-Modified, X-Request-Id and the request ids in the audit, change-feed cursors (transaction
# ids) and AuditEvent ids.
set -euo pipefail

if (($# != 3)); then
  echo "usage: $0 BASE_URL PKI_DIR OUT_DIR" >&2
  exit 2
fi
base=${1%/}
pki=$2
out=$3
mkdir -p "$out"
n=0

normalise() {
  sed -E \
    -e 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/<uuid>/g' \
    -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?/<instant>/g' \
    -e 's/_cursor=[0-9]+\.[0-9]+/_cursor=<cursor>/g' \
    -e 's#AuditEvent/[0-9]+#AuditEvent/<n>#g' \
    -e 's/"id":"[0-9]+"/"id":"<n>"/g' \
    -e 's/[0-9a-f]{6}-[0-9a-f]{8}/<request-id>/g'
}

headers() {
  tr -d '\r' | { grep -viE '^(date|x-request-id):' || true; } |
    sed -E -e 's/^(last-modified:).*/\1 <http-date>/I' | normalise
}

# req ROLE NAME METHOD PATH [CONTENT_TYPE BODY]
req() {
  local role=$1 name=$2 method=$3 path=$4 type=${5:-} body=${6:-}
  n=$((n + 1))
  local file
  file=$(printf '%s/%03d-%s-%s' "$out" "$n" "$role" "$name")
  local verb=(-X "$method")
  [[ $method == HEAD ]] && verb=(--head)  # curl would wait for a body after -X HEAD
  local args=(-sS --http1.1 "${verb[@]}" --cert "$pki/clients/$role.pem" --key "$pki/clients/$role.key"
              --cacert "$pki/ca-bundle.pem" -D "$file.h" -o "$file.b")
  if [[ -n $type ]]; then
    args+=(-H "Content-Type: $type" --data-binary "$body")
  elif [[ $method == POST || $method == PUT || $method == PATCH ]]; then
    # Without a length the server waits for a body until its read timeout (30 s).
    args+=(-H 'Content-Length: 0')
  fi
  curl "${args[@]}" "$base$path" || echo "curl failed: $?" >"$file.b"
  {
    echo "$method $path"
    [[ -n $body ]] && echo "$body"
    echo
    headers <"$file.h"
    if [[ $method == HEAD ]]; then headers <"$file.b"; else normalise <"$file.b"; fi  # --head: headers as body
    echo
  } >"$file"
  rm -f "$file.h" "$file.b"
}

fhir='application/fhir+json'
pnr_of() {  # the personnummer of a demo patient, read as admin
  curl -sS --cert "$pki/clients/admin.pem" --key "$pki/clients/admin.key" --cacert "$pki/ca-bundle.pem" \
    "$base/Patient/$1" | jq -r '.identifier[0].value'
}
pnr195=$(pnr_of demo-patient-195)
pnr_system='http://electronichealth.se/identifier/personnummer'

# Reads, searches, history and operations, by every role.
for role in ehr municipality statistics citizen-portal admin; do
  req "$role" metadata GET /metadata
  req "$role" search-patient GET '/Patient?_count=3'
  req "$role" search-patient-by-id GET '/Patient?_id=demo-patient-195'
  req "$role" search-careteam GET '/CareTeam?patient=Patient/demo-patient-195&_include=CareTeam:participant'
  req "$role" search-post POST '/EpisodeOfCare/_search' 'application/x-www-form-urlencoded' 'patient=demo-patient-001'
  req "$role" read-patient GET /Patient/demo-patient-001
  req "$role" read-resident GET /Patient/demo-patient-195
  req "$role" read-org GET /Organization/demo-vc-solna
  req "$role" read-missing GET /Patient/no-such-patient
  req "$role" vread GET /Patient/demo-patient-195/_history/1
  req "$role" vread-missing GET /Patient/demo-patient-195/_history/9
  req "$role" history-instance GET /Patient/demo-patient-195/_history
  req "$role" history-type GET '/Organization/_history?_count=2'
  req "$role" history-system GET '/_history?_count=2&_offset=1'
  req "$role" feed-type GET '/CareTeam/_history?_since=2020-01-01&_count=2'
  req "$role" feed-system GET '/_history?_since=2020-01-01&_count=2'
  req "$role" fixed-contacts GET "/Patient/\$fixed-contacts?identifier=$pnr_system|$pnr195"
  req "$role" list-status-role GET '/PractitionerRole/demo-dr-berg-role/$list-status?date=2026-01-15'
  req "$role" list-status-unit GET '/Organization/demo-vc-solna/$list-status?date=2026-01-15'
  req "$role" measure-search GET /Measure
  req "$role" measure-search-id GET '/Measure?_id=listning-per-lakare'
  req "$role" measure-read GET /Measure/fast-lakarkontakt-andel
  req "$role" measure-evaluate GET '/Measure/fast-lakarkontakt-andel/$evaluate-measure?periodEnd=2026-01-15'
  req "$role" measure-evaluate-subject GET \
    '/Measure/saebo-fast-lakarkontakt-andel/$evaluate-measure?periodEnd=2026-01-15&subject=Organization/demo-kommun-solna'
  req "$role" audit-search GET '/AuditEvent?patient=Patient/demo-patient-001&_count=3'
  req "$role" group-search GET /Group
  req "$role" group-read GET /Group/listed-demo-vc-solna
  req "$role" export-status-unknown GET '/$export-status/no-such-job'
  req "$role" export-file-unknown GET '/$export-file/no-such-job/Patient.ndjson'
done

# Writes: as ehr (a vårdcentral's journal system) and admin.
patient() {  # patient ID PERSONNUMMER FAMILY
  printf '{"resourceType":"Patient",%s"identifier":[{"system":"%s","value":"%s"}],"name":[{"family":"%s","given":["Test"]}],"gender":"female","birthDate":"1950-01-01"}' \
    "${1:+\"id\":\"$1\",}" "$pnr_system" "$2" "$3"
}
for role in ehr admin; do
  case $role in ehr) a=195001012383 b=195001022382 ;; *) a=195001032381 b=195001042380 ;; esac
  req "$role" create POST /Patient "$fhir" "$(patient '' "$a" Skapad)"
  req "$role" update-create PUT "/Patient/cmp-$role" "$fhir" "$(patient "cmp-$role" "$b" Uppdaterad)"
  req "$role" update PUT "/Patient/cmp-$role" "$fhir" "$(patient "cmp-$role" "$b" Andrad)"
  req "$role" patch PATCH "/Patient/cmp-$role" 'application/json-patch+json' '[{"op":"replace","path":"/gender","value":"other"}]'
  req "$role" patch-wrong-type PATCH "/Patient/cmp-$role" "$fhir" '{}'
  req "$role" history-written GET "/Patient/cmp-$role/_history"
  req "$role" conditional-update PUT "/Patient?identifier=$pnr_system|$b" "$fhir" "$(patient '' "$b" Villkorad)"
  req "$role" delete DELETE "/Patient/cmp-$role"
  req "$role" read-deleted GET "/Patient/cmp-$role"
  req "$role" conditional-delete DELETE "/Patient?identifier=$pnr_system|$a"
  req "$role" write-bad-json PUT "/Patient/cmp-$role" "$fhir" '{"resourceType":'
  req "$role" write-wrong-content-type POST /Patient 'text/plain' 'x'
  req "$role" transaction POST / "$fhir" \
    "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[{\"resource\":$(patient "tx-$role" "$b" Transaktion),\"request\":{\"method\":\"PUT\",\"url\":\"Patient/tx-$role\"}},{\"request\":{\"method\":\"GET\",\"url\":\"Patient/demo-patient-001\"}}]}"
  req "$role" batch POST / "$fhir" \
    '{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/demo-patient-002"}},{"request":{"method":"GET","url":"Patient/nope"}},{"request":{"method":"DELETE","url":"Patient/nope"}}]}'
  req "$role" bundle-wrong-content-type POST / 'text/plain' 'x'
done

# Paths that do not exist, bad ids and bad parameters, and a method each path does not take (405 + Allow).
role=ehr
req $role unknown-type GET /Nonsense
req $role unknown-path GET /Patient/demo-patient-001/nonsense
req $role unknown-path-deep GET /Patient/demo-patient-001/_history/1/more
req $role bad-id GET '/Patient/bad%20id'
req $role bad-vid GET /Patient/demo-patient-001/_history/0
req $role bad-cursor GET '/_history?_cursor=x'
req $role bad-count GET '/_history?_count=-1'
req $role fixed-contacts-no-identifier GET '/Patient/$fixed-contacts'
req $role list-status-bad-date GET '/Organization/demo-vc-solna/$list-status?date=x'
req $role list-status-wrong-type GET '/Patient/demo-patient-001/$list-status'
req $role measure-unknown GET /Measure/nope
req $role measure-bad-id GET '/Measure/bad%20id'
req $role measure-deep GET /Measure/fast-lakarkontakt-andel/x
req admin measure-evaluate-unknown GET '/Measure/nope/$evaluate-measure?periodEnd=2026-01-15'
req admin measure-evaluate-no-period GET '/Measure/fast-lakarkontakt-andel/$evaluate-measure'
req admin measure-evaluate-bad-subject GET '/Measure/fast-lakarkontakt-andel/$evaluate-measure?periodEnd=2026-01-15&subject=Patient/x'
req admin measure-evaluate-report-type GET '/Measure/fast-lakarkontakt-andel/$evaluate-measure?periodEnd=2026-01-15&reportType=subject-list'
req admin audit-bad-param GET '/AuditEvent?foo=bar'
req admin audit-bad-date GET '/AuditEvent?date=nope'
req $role search-post-wrong-type POST /Patient/_search 'application/json' '{}'
for method in PUT DELETE PATCH; do req $role "405-base-$method" "$method" /; done
req $role 405-base-GET GET /
req $role 405-metadata POST /metadata
req $role 405-metadata-DELETE DELETE /metadata
req $role 405-history PUT /_history
req $role 405-history-type POST /Patient/_history
req $role 405-history-instance DELETE /Patient/demo-patient-001/_history
req $role 405-vread PUT /Patient/demo-patient-001/_history/1
req $role 405-audit POST /AuditEvent "$fhir" '{}'
req $role 405-measure POST /Measure "$fhir" '{}'
req $role 405-measure-read PUT /Measure/fast-lakarkontakt-andel "$fhir" '{}'
req $role 405-measure-evaluate POST '/Measure/fast-lakarkontakt-andel/$evaluate-measure'
req $role 405-type PATCH /Patient
req $role 405-type-OPTIONS OPTIONS /Patient
req $role 405-type-HEAD HEAD /Patient
req $role 405-instance POST /Patient/demo-patient-001 "$fhir" '{}'
req $role 405-search GET /Patient/_search
req $role 405-fixed-contacts POST '/Patient/$fixed-contacts'
req $role 405-list-status POST '/Organization/demo-vc-solna/$list-status'
req $role 405-export DELETE '/$export'
req $role 405-group POST /Group "$fhir" '{}'

# The audit log last, as admin: what every request above wrote to it, in order.
req admin audit-all GET '/AuditEvent?_count=1000'
req admin audit-agent GET '/AuditEvent?agent=SE2321000016-9001&_count=5'

# Bulk export kick-offs very last: the jobs run in the background and would otherwise race the
# audit listing above.
for role in ehr statistics admin; do
  req "$role" export-system GET '/$export?_type=Organization'
  req "$role" export-patient GET '/Patient/$export?_type=Patient'
  req "$role" export-group GET '/Group/listed-demo-vc-solna/$export'
  req "$role" export-group-unknown GET '/Group/nope/$export'
done
echo "compare-responses: $n requests recorded in $out"
