package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSummary(t *testing.T) {
	events := strings.Join([]string{
		`{"Action":"output","Package":"m/p","Test":"TestA","Output":"=== RUN   TestA\n"}`,
		`{"Action":"output","Package":"m/p","Test":"TestA","Output":"    a_test.go:10: redis-server not installed (apt-get install redis-server)\n"}`,
		`{"Action":"output","Package":"m/p","Test":"TestA","Output":"--- SKIP: TestA (0.00s)\n"}`,
		`{"Action":"skip","Package":"m/p","Test":"TestA"}`,
		`{"Action":"output","Package":"m/p","Test":"TestB","Output":"    b_test.go:3: runs processes\n"}`,
		`{"Action":"skip","Package":"m/p","Test":"TestB"}`,
		`{"Action":"output","Package":"m/p","Test":"TestC","Output":"    c_test.go:9: boom\n"}`,
		`{"Action":"fail","Package":"m/p","Test":"TestC"}`,
		`{"Action":"output","Package":"m/p","Test":"TestD","Output":"quiet\n"}`,
		`{"Action":"pass","Package":"m/p","Test":"TestD"}`,
		`{"Action":"output","Package":"m/p","Output":"FAIL\tm/p\t0.1s\n"}`,
		`not json: a build error`,
	}, "\n")
	var out strings.Builder
	status := run(strings.NewReader(events), &out, "m", false)
	assert.Equal(t, 1, status, "a test failed")
	text := out.String()
	assert.Contains(t, text, "boom", "a failed test's output")
	assert.NotContains(t, text, "quiet", "a passed test's output is not shown")
	assert.Contains(t, text, "FAIL\tm/p")
	assert.Contains(t, text, "not json: a build error")
	assert.Contains(t, text, "== m: 2 skipped: p.TestA (redis-server not installed (apt-get install redis-server)); p.TestB (runs processes)")

	out.Reset()
	skipOnly := strings.Join(strings.Split(events, "\n")[:6], "\n")
	assert.Equal(t, 0, run(strings.NewReader(skipOnly), &out, "m", false))
	assert.Equal(t, 1, run(strings.NewReader(skipOnly), &out, "m", true), "CI: a peer that is not installed fails")
}
