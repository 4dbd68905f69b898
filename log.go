package httpsession

import (
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// logTransport logs each request and response at debug level, with no
// cookie value and no credentials: URLs show no password and no query
// value (redact.go).
type logTransport struct {
	logger *slog.Logger
	next   http.RoundTripper
}

func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if !t.logger.Enabled(ctx, slog.LevelDebug) {
		return t.next.RoundTrip(req)
	}
	start := time.Now()
	t.logger.LogAttrs(ctx, slog.LevelDebug, "http request",
		slog.String("method", req.Method),
		slog.String("url", redactURL(req.URL)),
		slog.Any("cookies", cookieHeaderNames(req.Header.Values("Cookie"))),
		slog.Bool("authorization", req.Header.Get("Authorization") != ""),
	)
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.logger.LogAttrs(ctx, slog.LevelDebug, "http error",
			slog.String("method", req.Method),
			slog.String("url", redactURL(req.URL)),
			slog.Duration("elapsed", time.Since(start)),
			slog.String("error", redactText(err.Error())),
		)
		return nil, err
	}
	t.logger.LogAttrs(ctx, slog.LevelDebug, "http response",
		slog.String("method", req.Method),
		slog.String("url", redactURL(req.URL)),
		slog.Int("status", resp.StatusCode),
		slog.Duration("elapsed", time.Since(start)),
		slog.Any("set_cookies", setCookieNames(resp.Header.Values("Set-Cookie"))),
	)
	return resp, nil
}

// cookieHeaderNames returns the names of the cookies in Cookie headers.
func cookieHeaderNames(lines []string) []string {
	var names []string
	for _, line := range lines {
		for _, c := range parseCookieHeader(line) {
			names = append(names, c.Name)
		}
	}
	return names
}

// setCookieNames returns the cookie names of Set-Cookie lines.
func setCookieNames(lines []string) []string {
	names := make([]string, 0, len(lines))
	for _, line := range lines {
		pair, _, _ := strings.Cut(line, ";")
		name, _, ok := strings.Cut(pair, "=")
		if !ok {
			name = ""
		}
		names = append(names, trimWSP(name))
	}
	return names
}
