//go:build !unix

package httpsession

// processAlive reports whether a process with that id runs. Without a
// cheap way to tell, every holder of a lease is taken to run until the
// lease's deadline.
func processAlive(int) bool { return true }
