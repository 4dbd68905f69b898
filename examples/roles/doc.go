// Package roles is an example of an integration test suite that acts as
// several users (roles): its TestMain starts the demo site and opens an
// httpsession.Pool with an admin, an editor and a viewer, and each test
// takes the role it needs with AcquireName, parallel tests included. Each
// role logs in once for the whole suite, and, since the pool keeps them
// in a directory, once for every run of the suite while their logins last
// (here the demo site starts afresh each run, so once per run). It has no
// code of its own; see roles_test.go.
//
// Run the tests with
//
//	go test -race ./examples/roles
package roles
