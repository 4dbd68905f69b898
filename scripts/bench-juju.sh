#!/usr/bin/env bash
# Compares Save and Load with github.com/juju/persistent-cookiejar on 10,000
# cookies (scripts/testdata/bench-juju/juju_test.go: under testdata, so that
# no module builds it), as BENCHMARKS.md reports. The module
# proxy does not serve juju/persistent-cookiejar or its github.com/juju/go4
# dependency, so this builds a throwaway module, outside the repository,
# around local checkouts of both:
#
#   JUJU_COOKIEJAR=/path/to/persistent-cookiejar JUJU_GO4=/path/to/go4 scripts/bench-juju.sh
#
# Environment: COUNT (default 10), BENCHTIME (default 20x). Prints the raw
# results and, if benchstat is installed, the tables.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
: "${JUJU_COOKIEJAR:?a checkout of github.com/juju/persistent-cookiejar}"
: "${JUJU_GO4:?a checkout of github.com/juju/go4}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$JUJU_COOKIEJAR" "$work/cookiejar"
cp -r "$JUJU_GO4" "$work/go4"
rm -rf "$work/cookiejar/.git" "$work/go4/.git"
printf 'module github.com/juju/persistent-cookiejar\n\ngo 1.23\n' >"$work/cookiejar/go.mod"
printf 'module github.com/juju/go4\n\ngo 1.23\n' >"$work/go4/go.mod"
mkdir "$work/bench"
cp "$root/scripts/testdata/bench-juju/juju_test.go" "$work/bench/"
cd "$work/bench"
cat >go.mod <<MOD
module jujubench

go 1.23

replace github.com/httpsession/httpsession => $root
replace github.com/juju/persistent-cookiejar => $work/cookiejar
replace github.com/juju/go4 => $work/go4
MOD
go get github.com/httpsession/httpsession@v0.0.0 github.com/juju/persistent-cookiejar@v0.0.0 github.com/juju/go4@v0.0.0 gopkg.in/retry.v1@v1.0.3 gopkg.in/errgo.v1@v1.0.1 >/dev/null 2>&1 || true
go mod tidy >/dev/null
go test -run '^$' -bench . -count "${COUNT:-10}" -benchtime "${BENCHTIME:-20x}" | tee "$work/bench.txt"
if command -v benchstat >/dev/null 2>&1; then
	grep 'impl=juju' "$work/bench.txt" | sed 's#/impl=juju##' >"$work/juju.txt"
	grep 'impl=ours' "$work/bench.txt" | sed 's#/impl=ours##' >"$work/ours.txt"
	benchstat juju="$work/juju.txt" ours="$work/ours.txt"
fi
