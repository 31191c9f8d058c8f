#!/usr/bin/env bash
# make bench-merge: `drift merge` of a fleet's shard reports, as the merge
# job of a CI matrix runs it. No server: the shards are synthetic JSON
# reports written by the reporter's own code (drift.Evaluate, report.JSON;
# TestWriteMergeBenchShards in internal/driftcmd/merge_bench_test.go).
#
# NHI_BENCH_MERGE_SHARDS reports (default 100) of NHI_BENCH_MERGE_IDENTITIES
# identities each (default 10,000: 1,000,000 in all). Shard i scans a
# cluster (environment prod for even i, staging for odd i) and an account
# that shards 2k and 2k+1 share: 1% of each shard's identities are the same
# IAM users (same unique IDs) seen by a prod and a staging job, so the merge
# counts them once and reports each as NHI015. One service account in ten is
# undeclared (NHI001).
#
# Measured, back to back with the page cache warm (the shards are read once
# before): the floor, `cat` of the same bytes through a pipe; the merge with
# a Markdown summary on stdout (one pass over the reports: findings held,
# identities streamed into the index); and the merge writing the JSON report
# (a second pass, which lists every identity once). Wall time from the
# shell, peak RSS from GNU time. The merged report is checked: identities,
# NHI015 and NHI001 counts as seeded, complete, exit 0 with --fail-on none.
#
# Writes its own section of BENCHMARKS.md, between <!-- merge --> and
# <!-- /merge --> (after <!-- /postgres -->); the hand-written reading
# between <!-- merge notes --> and <!-- /merge --> is kept.
#   NHI_BENCH_MERGE_SHARDS=100 NHI_BENCH_MERGE_IDENTITIES=10000 scripts/bench-merge.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
SHARDS="${NHI_BENCH_MERGE_SHARDS-100}"
PER="${NHI_BENCH_MERGE_IDENTITIES-10000}"

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

go build -o bin/terraform-provider-nhi .
DIR="$root/.nhi-dev/bench-merge"
rm -rf "$DIR" && mkdir -p "$DIR"
secs() { awk "BEGIN { print $(date +%s.%N) - $1 }"; }

echo "bench-merge: writing $SHARDS shard reports of $PER identities" >&2
start=$(date +%s.%N)
NHI_BENCH_MERGE_DIR="$DIR/shards" NHI_BENCH_MERGE_SHARDS="$SHARDS" NHI_BENCH_MERGE_IDENTITIES="$PER" \
  go test -tags benchshards ./internal/driftcmd -run '^TestWriteMergeBenchShards$' -count=1 -timeout 60m >/dev/null
gen_s=$(secs "$start")
shards=("$DIR"/shards/*.json)
bytes=$(cat "${shards[@]}" | wc -c)
mb=$(awk "BEGIN { printf \"%.0f\", $bytes / 1048576 }")

echo "bench-merge: floor (cat)" >&2
cat "${shards[@]}" > /dev/null # warm the page cache
start=$(date +%s.%N)
cat "${shards[@]}" | wc -c > /dev/null
floor_s=$(secs "$start")

run_merge() { # format, output file; prints "seconds rss_mb exit"
  local rc=0 start
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$DIR/rss-$1.txt" bin/terraform-provider-nhi drift merge --expect "$SHARDS" \
    --format "$1" --fail-on none "${shards[@]}" > "$2" || rc=$?
  echo "$(secs "$start") $(( $(tail -n1 "$DIR/rss-$1.txt") / 1024 )) $rc"
}
echo "bench-merge: merge, Markdown summary" >&2
read -r md_s md_rss md_rc < <(run_merge markdown "$DIR/merged.md")
echo "bench-merge: merge, JSON report" >&2
read -r json_s json_rss json_rc < <(run_merge json "$DIR/merged.json")

# What the merge must find.
shared=$(( PER / 100 ))
want_ids=$(( SHARDS * (PER - shared) + (SHARDS / 2) * shared + (SHARDS % 2) * shared ))
want_env=$(( (SHARDS / 2) * shared ))
want_undeclared=$(( SHARDS * ( (PER - shared + 9) / 10 ) ))
# The counts come from the reports themselves (jq would hold the whole
# merged report): the Markdown summary, the JSON report's findings, and the
# merged report merged again, which must say the same.
got_ids=$(sed -n 's/.* in \([0-9]*\) identities across.*/\1/p' "$DIR/merged.md")
got_env=$(grep -c '"rule_id": "NHI015"' "$DIR/merged.json" || true)
got_undeclared=$(grep -c '"rule_id": "NHI001"' "$DIR/merged.json" || true)
complete=$(sed -n '3s/^  "complete": \([a-z]*\),$/\1/p' "$DIR/merged.json")
again_rc=0
bin/terraform-provider-nhi drift merge --format markdown --fail-on none "$DIR/merged.json" > "$DIR/remerged.md" || again_rc=$?
check="ok"
if [[ "$got_ids" != "$want_ids" || "$got_env" != "$want_env" || "$got_undeclared" != "$want_undeclared" || "$complete" != true ||
      "$md_rc" != 0 || "$json_rc" != 0 || "$again_rc" != 0 || "$(sed -n 3p "$DIR/remerged.md")" != "$(sed -n 3p "$DIR/merged.md")" ]]; then
  check="FAILED: identities $got_ids (want $want_ids), NHI015 $got_env (want $want_env), NHI001 $got_undeclared (want $want_undeclared), complete $complete, exits $md_rc $json_rc $again_rc"
  echo "bench-merge: $check" >&2
fi
out_mb=$(awk "BEGIN { printf \"%.0f\", $(wc -c < "$DIR/merged.json") / 1048576 }")
ratio() { awk "BEGIN { printf \"%.0f\", $1 / $floor_s }"; }

section="$DIR/section.md"
cat > "$section" <<EOF
<!-- merge -->
## Merging shard reports

Produced by \`make bench-merge\` (\`scripts/bench-merge.sh\`) on $(date -u +%F), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) of memory,
$(go version | awk '{ print $3 }'). $SHARDS synthetic shard reports of $PER identities each ($(( SHARDS * PER )) in all, $mb MB of JSON,
written in ${gen_s%.*} s): shard i scans a cluster (prod for even i, staging for odd i) and an account shared with its neighbour, so 1% of
the identities are seen by two shards in two environments. Page cache warm; wall time; peak RSS from GNU time.

| run | time (s) | x floor | peak RSS (MB) | what it read and wrote |
|---|---|---|---|---|
| floor: \`cat shards/*.json \| wc -c\` | $(printf %.2f "$floor_s") | 1 | 2 | $mb MB read |
| \`drift merge --format markdown\` | $(printf %.2f "$md_s") | $(ratio "$md_s") | $md_rss | one pass: $got_ids identities, $(( got_env + got_undeclared )) findings |
| \`drift merge --format json\` | $(printf %.2f "$json_s") | $(ratio "$json_s") | $json_rss | two passes; $out_mb MB written |

Merged report: $got_ids identities counted once each ($want_ids expected), NHI015 $got_env, NHI001 $got_undeclared, complete: $complete;
merged again, the merged report says the same. Check: $check.

EOF
notes="<!-- merge notes -->
<!-- /merge -->"
if [[ -f BENCHMARKS.md ]] && grep -q '^<!-- merge notes -->$' BENCHMARKS.md; then
  notes=$(sed -n '/^<!-- merge notes -->$/,/^<!-- \/merge -->$/p' BENCHMARKS.md)
fi
printf '%s\n' "$notes" >> "$section"
if grep -q '^<!-- merge -->$' BENCHMARKS.md; then
  awk -v f="$section" '
    /^<!-- merge -->$/ { while ((getline l < f) > 0) print l; skip = 1; next }
    skip && /^<!-- \/merge -->$/ { skip = 0; next }
    !skip { print }
  ' BENCHMARKS.md > "$DIR/BENCHMARKS.md"
elif grep -q '^<!-- /postgres -->$' BENCHMARKS.md; then
  awk -v f="$section" '
    { print }
    /^<!-- \/postgres -->$/ { print ""; while ((getline l < f) > 0) print l }
  ' BENCHMARKS.md > "$DIR/BENCHMARKS.md"
else
  { cat BENCHMARKS.md; echo; cat "$section"; } > "$DIR/BENCHMARKS.md"
fi
cat "$DIR/BENCHMARKS.md" > BENCHMARKS.md
sed -n '/^<!-- merge -->$/,/^<!-- \/merge -->$/p' BENCHMARKS.md
[[ "$check" == ok ]]
