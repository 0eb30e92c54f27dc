#!/usr/bin/env bash
# Inside the clean root (clean-root-check.sh): the README's npm start, as a newcomer runs it, then
# what the README promises of it. Ports are free ones, so that the check runs beside other tests.
set -euo pipefail
fail() { echo "clean-root: FAILED: $*" >&2; [ -f /tmp/start.log ] && tail -40 /tmp/start.log >&2; exit 1; }

ports=$(node -e '
  const net = require("node:net");
  const take = () => new Promise((resolve) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); }); });
  (async () => { const ports = []; for (let i = 0; i < 5; i++) ports.push(await take()); console.log(ports.join(" ")); })();
')
read -r ingest dedup writer ratelimit storm <<<"$ports"

# npm start in its own process group, as a terminal's foreground job is (Ctrl-C reaches every
# process in it), logging to $1, until it says it is running; its pid (npm's) in $job.
start_system() {
  INGEST_PORT=$ingest DEDUP_PORT=$dedup CRD_WRITER_PORT=$writer RATELIMIT_PORT=$ratelimit STORM_PORT=$storm METRICS_PORT=0 \
    setsid npm start >"$1" 2>&1 &
  job=$!
  until grep -q '^alertgate is running\.' "$1"; do
    kill -0 "$job" 2>/dev/null || fail "npm start exited before it was running (log: $1)"
    sleep 0.5
  done
}

# A new machine's Node is older than the supported line: the project's scripts fetch Node 24 from
# the npm registry themselves. Proved once into an empty cache (npm start below finds the
# mounted cache's copy).
started=$SECONDS
fresh=$(mktemp -d)
fetched=$(ALERTGATE_CACHE="$fresh" bash -c 'source tools/scripts/use-node.sh && node --version') || fail "tools/scripts/use-node.sh could not fetch Node 24"
case "$fetched" in v24.*) ;; *) fail "tools/scripts/use-node.sh gave Node $fetched, not 24" ;; esac
rm -rf "$fresh"
echo "clean-root: the machine's Node $(node --version); Node $fetched fetched into an empty cache in $((SECONDS - started)) s"

started=$SECONDS
start_system /tmp/start.log
grep -q '^npm start: Node v24\.' /tmp/start.log || fail "npm start did not run on Node 24"
echo "clean-root: npm start ready in $((SECONDS - started)) s (npm packages and redis-server installed)"

report=$(npm run -s redis-report 2>&1) || fail "npm run redis-report failed: $report"
grep -q 'every key has a TTL' <<<"$report" || fail "npm run redis-report did not report: $report"

node -e '
  const body = { version: "4", status: "firing", receiver: "alertgate", groupKey: "clean-root", alerts: [
    { status: "firing", labels: { alertname: "CleanRootCheck", namespace: "default", severity: "warning" }, annotations: {}, startsAt: new Date().toISOString() } ] };
  fetch(`http://127.0.0.1:${process.argv[1]}/api/v1/signals/alertmanager`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    .then(async (r) => { const text = await r.text(); if (r.status !== 200 || !text.includes("\"created\"")) { console.error(r.status, text); process.exit(1); } });
' "$ingest" || fail "the alert was not answered created"
ls var/remediationrequests/default/cleanrootcheck-*.yaml >/dev/null 2>&1 || fail "no resource file for the alert under var/remediationrequests/default"

# The root has its own process namespace: any process left but this script's is a leak. A stop
# that takes minutes is a hang, not slowness.
left() { for cmdline in /proc/[0-9]*/cmdline; do tr '\0' ' ' <"$cmdline" 2>/dev/null; echo; done | grep -E '[s]tart-system|[r]edis-server|[d]ist/apps' || true; }
# After $1 (what stopped it), npm has exited and, within two minutes, everything it started.
all_stopped() {
  wait "$job" || true
  for _ in $(seq 240); do [ -z "$(left)" ] && break; sleep 0.5; done
  [ -z "$(left)" ] || fail "still running after $1: $(left)"
}

kill -INT -- "-$job"
all_stopped "Ctrl-C"
[ ! -e var/endpoints.json ] || fail "var/endpoints.json is left after Ctrl-C"
# Each service drained: the terminal's SIGINT and start-system's SIGTERM are one stop, not two.
! grep -q 'second signal' /tmp/start.log || fail "a service took Ctrl-C for a second signal and exited without draining"

# A SIGTERM to npm alone (a supervisor, a closed terminal) stops everything too.
start_system /tmp/start-term.log
kill -TERM "$job"
all_stopped "a SIGTERM to npm"
