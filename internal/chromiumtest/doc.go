// Package chromiumtest holds a differential test that plays generated
// Set-Cookie scenarios to headless Chromium and to httpsession.Jar and
// compares the Cookie headers each sends back. It has no code of its own
// outside the test files; see chromium_test.go.
package chromiumtest
