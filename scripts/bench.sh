#!/usr/bin/env bash
# Runs the benchmarks that BENCHMARKS.md reports and prints them as
# benchstat tables, then the ratios the performance targets are stated in.
#
# The test binary is built once and run COUNT times in rounds: each round
# runs every benchmark once, so the two sides of each comparison (our jar
# and net/http/cookiejar, Save and plain encoding/json, ...) alternate
# through the whole run and see the same machine. The targets are checked
# on ratios of medians and on the median of the ratios within each round.
#
#   scripts/bench.sh                 # COUNT=10 rounds, about 11 minutes on 2 cores
#   COUNT=3 BENCHTIME=200ms scripts/bench.sh   # a quicker look
#
# Environment: COUNT (rounds, default 10), BENCHTIME (per jar benchmark,
# default 500ms), OUT (directory for the raw results, default a new
# temporary directory), RACE=0 to skip the -race run of the parallel
# benchmarks, RESULTS=file to print the tables of an earlier run's
# bench.txt without running anything. Needs benchstat:
# go install golang.org/x/perf/cmd/benchstat@latest
set -euo pipefail
cd "$(dirname "$0")/.."

count=${COUNT:-10}
benchtime=${BENCHTIME:-500ms}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
raw=${RESULTS:-$out/bench.txt}

benchstat=$(command -v benchstat || true)
if [ -z "$benchstat" ] && [ -x "$(go env GOPATH)/bin/benchstat" ]; then
	benchstat=$(go env GOPATH)/bin/benchstat
fi
if [ -z "$benchstat" ]; then
	echo "benchstat not found: go install golang.org/x/perf/cmd/benchstat@latest" >&2
	exit 1
fi

# The groups of benchmarks, each with the -benchtime that suits it: the jar
# benchmarks take well under a microsecond per op, a Save or Load of
# 100,000 cookies a good part of a second, a crawl of 10,000 requests
# longer still.
jar='^Benchmark(Cookies|CookieHeader|SetCookies|SetRawCookies|SetInsecure|LookupScale|Fill)$'
persist='^Benchmark(Save|Load|Memory)$'
crawl='^BenchmarkCrawl$'

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
go version
echo "results: $raw"

# run writes $raw: first a -race run of the RunParallel benchmarks, then
# the rounds.
run() {
	: >"$raw"
	if [ "${RACE:-1}" != 0 ]; then
		echo "== go test -race: the RunParallel benchmarks, 200 ops each"
		go test -race -count=1 -run '^$' -benchtime=200x \
			-bench '^Benchmark(Cookies|CookieHeader|SetCookies|SetRawCookies)$//mode=parallel' . >"$out/race.txt" 2>&1 ||
			{ cat "$out/race.txt"; echo "race run FAILED" >&2; exit 1; }
		echo "no data race ($(grep -c '^Benchmark' "$out/race.txt") parallel benchmarks)"
	fi
	local bin=$out/httpsession.test
	go test -c -o "$bin" .
	local crawls=(memory autosave autosave-10ms)
	for i in $(seq "$count"); do
		echo "== round $i of $count" >&2
		"$bin" -test.run '^$' -test.bench "$jar" -test.benchtime "$benchtime" >>"$raw"
		"$bin" -test.run '^$' -test.bench "$persist" -test.benchtime 3x >>"$raw"
		# Each kind of crawl in a process of its own, in an order that
		# turns round every round: in one process, later crawls ran
		# slower, which favoured whichever kind came first.
		for impl in "${crawls[@]}"; do
			"$bin" -test.run '^$' -test.bench "$crawl/^impl=$impl\$" -test.benchtime 3x >>"$raw"
		done
		crawls=("${crawls[2]}" "${crawls[1]}" "${crawls[0]}")
	done
}
if [ -z "${RESULTS:-}" ]; then
	run
fi

table() {
	echo
	echo "== $1"
	shift
	"$benchstat" "$@" "$raw"
}
table "our jar (ours) against net/http/cookiejar (std)" -col /impl \
	-filter '.name:(Cookies OR CookieHeader OR SetCookies OR SetRawCookies OR SetInsecure OR Fill)'
table "lookups in a jar of 1,000 and of 100,000 cookies" -col /cookies -filter '.name:LookupScale'
table "heap per stored cookie, 100,000 cookies" -col /impl -filter '.name:Memory .unit:B/cookie'
table "Save and Load against encoding/json with the same write, fsync and rename" -col /impl \
	-filter '.name:(Save OR Load)'
table "a crawl of 10,000 requests: autosaving Open session against New" -col /impl -filter '.name:Crawl'

# The targets: label, numerator, denominator, unit, and the largest ratio
# allowed. Both sides of a ratio ran in the same round, minutes apart from
# the other rounds, so each round gives one ratio measured side by side:
# "paired" is the median of those, "medians" the ratio of the two medians.
# A target is met when both are within it.
echo
echo "== targets (over $count rounds)"
awk -v targets="$(
	cat <<'EOF'
Cookies, distinct sites|Cookies/work=sites/mode=serial/impl=ours|Cookies/work=sites/mode=serial/impl=std|ns/op|0.5
Cookies, distinct sites, parallel|Cookies/work=sites/mode=parallel/impl=ours|Cookies/work=sites/mode=parallel/impl=std|ns/op|0.5
Cookies, platform subdomains|Cookies/work=platform/mode=serial/impl=ours|Cookies/work=platform/mode=serial/impl=std|ns/op|0.05
Cookies, platform subdomains, parallel|Cookies/work=platform/mode=parallel/impl=ours|Cookies/work=platform/mode=parallel/impl=std|ns/op|0.05
Cookies allocs, distinct sites|Cookies/work=sites/mode=serial/impl=ours|Cookies/work=sites/mode=serial/impl=std|allocs/op|1
Cookies allocs, platform subdomains|Cookies/work=platform/mode=serial/impl=ours|Cookies/work=platform/mode=serial/impl=std|allocs/op|1
Cookies allocs, 100k cookies|Cookies/work=100k/mode=serial/impl=ours|Cookies/work=100k/mode=serial/impl=std|allocs/op|1
Lookup at 100k / at 1k cookies, same URLs|LookupScale/lookups=same/impl=ours/cookies=100000|LookupScale/lookups=same/impl=ours/cookies=1000|ns/op|1.3
Lookup at 100k / at 1k cookies, spread URLs|LookupScale/lookups=spread/impl=ours/cookies=100000|LookupScale/lookups=spread/impl=ours/cookies=1000|ns/op|-
  (std jar, same URLs)|LookupScale/lookups=same/impl=std/cookies=100000|LookupScale/lookups=same/impl=std/cookies=1000|ns/op|-
  (std jar, spread URLs)|LookupScale/lookups=spread/impl=std/cookies=100000|LookupScale/lookups=spread/impl=std/cookies=1000|ns/op|-
SetCookies, distinct sites|SetCookies/work=sites/mode=serial/impl=ours|SetCookies/work=sites/mode=serial/impl=std|ns/op|0.8
SetCookies, distinct sites, parallel|SetCookies/work=sites/mode=parallel/impl=ours|SetCookies/work=sites/mode=parallel/impl=std|ns/op|0.8
SetCookies, platform subdomains|SetCookies/work=platform/mode=serial/impl=ours|SetCookies/work=platform/mode=serial/impl=std|ns/op|0.8
SetCookies, platform subdomains, parallel|SetCookies/work=platform/mode=parallel/impl=ours|SetCookies/work=platform/mode=parallel/impl=std|ns/op|0.8
SetCookies, 100k cookies|SetCookies/work=100k/mode=serial/impl=ours|SetCookies/work=100k/mode=serial/impl=std|ns/op|0.8
SetCookies, 100k cookies, parallel|SetCookies/work=100k/mode=parallel/impl=ours|SetCookies/work=100k/mode=parallel/impl=std|ns/op|0.8
Save 10,000 / json+write|Save/cookies=10000/impl=ours|Save/cookies=10000/impl=json|ns/op|1.5
Save 100,000 / json+write|Save/cookies=100000/impl=ours|Save/cookies=100000/impl=json|ns/op|1.5
Load 10,000 / json|Load/cookies=10000/impl=ours|Load/cookies=10000/impl=json|ns/op|1.5
Load 100,000 / json|Load/cookies=100000/impl=ours|Load/cookies=100000/impl=json|ns/op|1.5
Crawl, autosave every 1s / no file|Crawl/impl=autosave|Crawl/impl=memory|ns/op|1.05
Crawl, autosave every 10ms / no file|Crawl/impl=autosave-10ms|Crawl/impl=memory|ns/op|-
Heap per cookie, ours / std|Memory/impl=ours|Memory/impl=std|B/cookie|-
EOF
)" '
function median(list,    v, n, i, j, t) {
	n = split(list, v, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j-1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j-1]; v[j-1] = t }
	return n % 2 ? v[(n+1)/2] : (v[n/2] + v[n/2+1]) / 2
}
# paired returns the median of the ratios of the i-th values of a and b.
function paired(a, b,    x, y, n, i, r) {
	n = split(a, x, " ")
	if (split(b, y, " ") != n) return ""
	r = ""
	for (i = 1; i <= n; i++) r = r " " (y[i] > 0 ? x[i] / y[i] : 0)
	return median(r)
}
/^Benchmark/ {
	name = substr($1, 10)
	sub(/-[0-9]+$/, "", name)
	for (i = 3; i < NF; i += 2) vals[name, $(i+1)] = vals[name, $(i+1)] " " $i
}
END {
	printf "%-58s %7s %7s %8s  %s\n", "target", "paired", "medians", "limit", "met"
	n = split(targets, lines, "\n")
	for (k = 1; k <= n; k++) {
		split(lines[k], f, "|")
		a = vals[f[2], f[4]]; b = vals[f[3], f[4]]
		if (a == "" || b == "") { printf "%-58s %7s\n", f[1], "no data"; continue }
		p = paired(a, b)
		r = median(a) / median(b)
		met = f[5] == "-" ? "" : (r <= f[5] + 0 && p != "" && p <= f[5] + 0 ? "yes" : "NO")
		printf "%-58s %7s %7.3f %8s  %s\n", f[1] " (" f[4] ")", p == "" ? "-" : sprintf("%.3f", p), r,
			f[5] == "-" ? "" : "<= " f[5], met
	}
}' "$raw"
