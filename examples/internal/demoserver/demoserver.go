// Package demoserver holds the small web servers the httpsession examples
// talk to: a server on a random free port of 127.0.0.1 (Start), HMAC-signed
// cookie values (Sign, Verify) and a site with a form login (LoginSite);
// and what every example program does first (Setup): parse its flags and
// choose its cookie file, by default one of the user's own in the user's
// cache directory (DefaultFile).
//
// Each example program starts its server afresh on every run, so the
// servers keep no state between runs: everything a later run needs comes
// back in the client's cookies, which is why they are signed under a fixed
// demo key.
package demoserver

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"time"
)

// Server is an HTTP server listening on a random free port of 127.0.0.1.
type Server struct {
	// URL is the server's base URL, such as "http://127.0.0.1:41235",
	// without a trailing slash.
	URL string

	srv *http.Server
}

// Start starts a server that answers with h.
func Start(h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		// Serve returns http.ErrServerClosed once Close has been called.
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("demoserver: %v", err)
		}
	}()
	return &Server{URL: "http://" + ln.Addr().String(), srv: srv}, nil
}

// Close stops the server, waiting a little for requests in progress.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}
