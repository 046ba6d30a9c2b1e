#!/usr/bin/env bash
# The README's test command (`.ci/run` calls it): runs every test project and ends with one line "N passed, N failed".
#
# The job-storage tests need a real PostgreSQL server (its binaries under /usr/lib/postgresql/*/bin) and the Runs page
# test a headless Chromium. Run as root, the script installs whichever is missing with apt-get; run as another user,
# it prints the exact install command and stops (exit 3) before building anything. It then starts a throwaway
# PostgreSQL cluster (127.0.0.1 only, trust auth, a free port) for the duration of the tests and exports
# BATCHREC_TEST_PG, runs `dotnet test BatchRec.sln -c Release` (extra arguments are passed on, e.g. --filter) and
# exits with dotnet's status (non-zero also when no test ran).
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null 2>&1; then
  echo "tests/run.sh: the .NET 10 SDK is missing (no 'dotnet' on PATH); install it first: https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
  exit 3
fi

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | while read -r d; do [ -x "$d/initdb" ] && echo "$d"; done | tail -1; }
has_chromium() { [ -x /usr/bin/chromium ] || [ -x /usr/bin/chromium-browser ]; }

need=()
[ -n "$(pg_bin)" ] || need+=(postgresql)
has_chromium || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests/run.sh: the tests need ${need[*]}, which is not installed. Install it, then run this again:" >&2
    echo "    sudo apt-get install -y ${need[*]}" >&2
    exit 3
  fi
  echo "tests/run.sh: installing ${need[*]} (apt-get)"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; }; then
    echo "tests/run.sh: 'apt-get install -y ${need[*]}' failed; install it by hand, then run this again" >&2
    exit 3
  fi
fi

# A throwaway cluster. initdb and postgres refuse to run as root, hence runuser -u postgres.
B=$(pg_bin)
D=$(mktemp -d /tmp/batchrec-tests-pg.XXXXXX)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_started=0
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$D"
chmod 700 "$D"
if as_pg "$B/initdb" -D "$D" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null; then
  # another checkout's tests may hold a port: try a few
  for attempt in 1 2 3 4 5; do
    P=$((50000 + RANDOM % 10000))
    if as_pg "$B/pg_ctl" -D "$D" -l "$D/server.log" -w -o "-c listen_addresses=127.0.0.1 -c port=$P -k $D -c max_connections=200" start >/dev/null 2>&1; then
      pg_started=1
      export BATCHREC_TEST_PG="Host=127.0.0.1;Port=$P;Username=postgres;Database=postgres"
      break
    fi
  done
fi
if [ "$pg_started" -eq 0 ]; then
  echo "tests/run.sh: could not start a PostgreSQL cluster; the tests start their own on a free port" >&2
  cat "$D/server.log" >&2 2>/dev/null
fi
log=$(mktemp /tmp/batchrec-tests-log.XXXXXX)
cleanup() {
  [ "$pg_started" -eq 1 ] && as_pg "$B/pg_ctl" -D "$D" -m fast stop >/dev/null
  pg_started=0
  rm -rf "$D" "$log"
}
trap cleanup EXIT

# libtorch's OpenMP threads busy-wait by default; several test processes (the multi-host tests) would then starve
# each other on 2 cores. Passive waiting changes no result.
export OMP_WAIT_POLICY=PASSIVE

# -m:1: one test project at a time (the host tests start PostgreSQL-backed hosts and time their hand-overs; beside the
# jobs tests' training on 2 cores they would only slow each other down)
dotnet test BatchRec.sln -c Release -m:1 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Each test project prints one summary line: "Passed!  - Failed:     0, Passed:    33, Skipped: ..." (or "Failed!  - ...").
passed=0; failed=0
while read -r f p; do
  passed=$((passed + p)); failed=$((failed + f))
done < <(grep -oE 'Failed: +[0-9]+, Passed: +[0-9]+' "$log" | sed -E 's/Failed: +([0-9]+), Passed: +([0-9]+)/\1 \2/')
projects=$(grep -cE '^(Passed|Failed)! +- ' "$log" || true)
expected=$(ls tests/*/*.csproj tests/*/*.fsproj 2>/dev/null | wc -l)
if [ $# -eq 0 ] && [ "$projects" -lt "$expected" ]; then
  echo "tests/run.sh: expected a summary from each of the $expected test projects, got $projects" >&2
  [ "$status" -eq 0 ] && status=1
fi
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "tests/run.sh: no test was executed" >&2
  status=1
fi
cleanup
trap - EXIT
echo "${passed} passed, ${failed} failed"
exit $status
