//go:build !darwin && !windows

package browsercookies

import "context"

// platformKeys: on Linux and the other Unix systems Chromium keeps its
// v11 password in the Secret Service.
func platformKeys(d *decryptor, s *source) {
	apps := secretApps(s.browser)
	d.keyringPasswords = func(ctx context.Context) ([][]byte, error) {
		return secretServicePasswords(ctx, apps)
	}
}
