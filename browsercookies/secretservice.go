//go:build !darwin && !windows

package browsercookies

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/godbus/dbus/v5"
)

// The Secret Service (org.freedesktop.secrets: GNOME Keyring, KeePassXC,
// KWallet 5.97 and later) over D-Bus, as libsecret uses it. Chromium stores
// its password as an item with the attribute application=chromium (chrome,
// brave, ...), labelled "Chromium Safe Storage", under the schema
// chrome_libsecret_os_crypt_password_v2.
const (
	secretsService   = "org.freedesktop.secrets"
	secretsPath      = dbus.ObjectPath("/org/freedesktop/secrets")
	secretsInterface = "org.freedesktop.Secret.Service"
)

// secretServicePasswords returns the passwords the session's Secret
// Service holds for the applications apps, first those of the first app.
// It never prompts: a locked item that would need the user's password is
// an error.
func secretServicePasswords(ctx context.Context, apps []string) ([][]byte, error) {
	// A hang guard: the service may be activated on demand, but Read
	// must not wait on a bus that never answers.
	ctx, cancel := context.WithTimeout(ctx, busTimeout)
	defer cancel()
	pws, err := secretServiceCalls(ctx, apps)
	if err != nil && ctx.Err() != nil {
		// The bus was closed under a call: say why.
		return nil, fmt.Errorf("the D-Bus session bus or the Secret Service did not answer: %w", ctx.Err())
	}
	return pws, err
}

// busTimeout bounds the talk with the Secret Service, activation included.
const busTimeout = 20 * time.Second

func secretServiceCalls(ctx context.Context, apps []string) ([][]byte, error) {
	addr, err := sessionBusAddress()
	if err != nil {
		return nil, err
	}
	conn, err := dbus.Dial(addr, dbus.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("the D-Bus session bus: %w", err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return nil, fmt.Errorf("D-Bus session bus: %w", err)
	}
	if err := conn.Hello(); err != nil {
		return nil, fmt.Errorf("D-Bus session bus: %w", err)
	}
	svc := conn.Object(secretsService, secretsPath)
	var algOut dbus.Variant
	var session dbus.ObjectPath
	// "plain": the secret crosses the local session bus as it is, as
	// with secret-tool; the bus is the user's own.
	if err := svc.CallWithContext(ctx, secretsInterface+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&algOut, &session); err != nil {
		return nil, fmt.Errorf("no Secret Service: %w", err)
	}
	defer conn.Object(secretsService, session).CallWithContext(ctx, "org.freedesktop.Secret.Session.Close", 0)
	var pws [][]byte
	var errs []error
	for _, app := range apps {
		var unlocked, locked []dbus.ObjectPath
		if err := svc.CallWithContext(ctx, secretsInterface+".SearchItems", 0, map[string]string{"application": app}).Store(&unlocked, &locked); err != nil {
			errs = append(errs, fmt.Errorf("the Secret Service search for application=%s: %w", app, err))
			continue
		}
		if len(locked) > 0 {
			var now []dbus.ObjectPath
			var prompt dbus.ObjectPath
			err := svc.CallWithContext(ctx, secretsInterface+".Unlock", 0, locked).Store(&now, &prompt)
			switch {
			case err != nil:
				errs = append(errs, fmt.Errorf("the Secret Service: unlocking the item of application=%s: %w", app, err))
			case len(now) == 0 && prompt != "/":
				errs = append(errs, fmt.Errorf("the Secret Service: the item of application=%s is locked (unlock the keyring first)", app))
			}
			unlocked = append(unlocked, now...)
		}
		if len(unlocked) == 0 {
			continue
		}
		var secrets map[dbus.ObjectPath]struct {
			Session     dbus.ObjectPath
			Parameters  []byte
			Value       []byte
			ContentType string
		}
		if err := svc.CallWithContext(ctx, secretsInterface+".GetSecrets", 0, unlocked, session).Store(&secrets); err != nil {
			errs = append(errs, fmt.Errorf("the Secret Service: reading the secret of application=%s: %w", app, err))
			continue
		}
		for _, item := range unlocked {
			if s, ok := secrets[item]; ok && len(s.Value) > 0 {
				pws = append(pws, s.Value)
			}
		}
	}
	if len(pws) == 0 {
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return nil, fmt.Errorf("the Secret Service holds no password for application=%v", apps)
	}
	return pws, nil
}

// sessionBusAddress returns the address of the user's session bus: the one
// in DBUS_SESSION_BUS_ADDRESS, else the systemd user bus in
// XDG_RUNTIME_DIR. Unlike the D-Bus library's default, it never launches a
// bus of its own (dbus-launch), which would hold no keyring anyway.
func sessionBusAddress() (string, error) {
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" {
		return addr, nil
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if p := filepath.Join(dir, "bus"); exists(p) {
			return "unix:path=" + p, nil
		}
	}
	return "", errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set and there is no $XDG_RUNTIME_DIR/bus)")
}
