package browsercookies

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
)

// platformKeys: on macOS Chromium keeps its password in the login Keychain
// as a generic password, service "NAME Safe Storage", account NAME. It is
// read with the security command, which asks the user to allow it.
func platformKeys(d *decryptor, s *source) {
	name := "Chrome"
	if s.browser != nil && s.browser.keychain != "" {
		name = s.browser.keychain
	}
	d.macPassword = func(ctx context.Context) ([]byte, error) {
		out, err := exec.CommandContext(ctx, "security", "find-generic-password", "-w",
			"-a", name, "-s", name+" Safe Storage").Output()
		if err != nil {
			return nil, fmt.Errorf("security find-generic-password for %q: %w", name+" Safe Storage", err)
		}
		return bytes.TrimRight(out, "\n"), nil
	}
}
