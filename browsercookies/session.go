package browsercookies

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/httpsession/httpsession"
)

// Session returns a session logged in as the browser profile spec is (see
// Read for its forms): a session made by httpsession.New with opts, holding
// the profile's cookies. It is the one call from "logged in in my browser"
// to a logged-in Session.
//
// As with httpsession.Open, the cookies that could not be read (or that the
// jar refuses) are reported in a *httpsession.FileError returned together
// with the working session; any other error returns no session. Give
// httpsession.WithJar to fill a jar of your own (a file's, through
// httpsession.Open's Jar, or redisjar's), or save the session's jar with
// Jar().Save to keep the login for the next run.
func Session(ctx context.Context, spec string, opts ...httpsession.Option) (*httpsession.Session, error) {
	rows, path, readErr := readRows(ctx, spec)
	var fe *httpsession.FileError
	if readErr != nil && !errors.As(readErr, &fe) {
		return nil, readErr
	}
	s, err := httpsession.New(opts...)
	if err != nil {
		return nil, err
	}
	jar := s.Jar()
	for _, r := range rows {
		if err := jar.Set(r.c); err != nil {
			// Read has checked every cookie as the jar does; a jar with
			// other rules (its own public suffix list) may still refuse.
			if fe == nil {
				fe = &httpsession.FileError{Path: path}
			}
			fe.Lines = append(fe.Lines, httpsession.LineError{Line: r.line, Err: describe(&r.c, err)})
		}
	}
	if fe != nil {
		slices.SortStableFunc(fe.Lines, func(a, b httpsession.LineError) int { return cmp.Compare(a.Line, b.Line) })
		return s, fe
	}
	return s, nil
}
