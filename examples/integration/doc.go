// Package integration is an example of integration tests that log in once
// and share the session: its TestMain starts the demo site, logs in with an
// httpsession.Session, and every test, parallel ones included, sends its
// requests with that session instead of logging in again. It has no code
// of its own; see integration_test.go.
//
// Run the tests with
//
//	go test -race ./examples/integration
package integration
