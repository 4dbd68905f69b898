//go:build !darwin && !windows

package browsercookies

import (
	"context"
	"slices"
)

// platformKeys: on Linux and the other Unix systems Chromium keeps its
// v11 password in the Secret Service.
func platformKeys(d *decryptor, s *source) {
	apps := secretApps(s.browser)
	d.keyringPasswords = func(ctx context.Context) ([][]byte, error) {
		return secretServicePasswords(ctx, apps)
	}
}

// secretApps returns the Secret Service applications whose passwords may
// decrypt b's values: b's own, or for a database of an unknown browser
// every one there is.
func secretApps(b *browser) []string {
	if b != nil && b.secretApp != "" {
		return []string{b.secretApp}
	}
	var apps []string
	for _, b := range browsers {
		if b.secretApp != "" && !slices.Contains(apps, b.secretApp) {
			apps = append(apps, b.secretApp)
		}
	}
	return apps
}
