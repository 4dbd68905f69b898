package browsercookies

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/windows"
)

// platformKeys: on Windows the v10 key is in the user-data directory's
// Local State (os_crypt.encrypted_key: "DPAPI" and a DPAPI blob of the
// AES-256 key); values without a prefix are DPAPI blobs themselves.
func platformKeys(d *decryptor, s *source) {
	d.dpapi = dpapiDecrypt
	d.windowsKey = func(context.Context) ([]byte, error) {
		if s.userData == "" {
			return nil, errors.New("the user-data directory (Local State) is not known")
		}
		data, err := os.ReadFile(filepath.Join(s.userData, "Local State"))
		if err != nil {
			return nil, err
		}
		return localStateKey(data, dpapiDecrypt)
	}
}

// dpapiDecrypt decrypts a DPAPI blob of the current user.
func dpapiDecrypt(blob []byte) ([]byte, error) {
	if len(blob) == 0 {
		return nil, errors.New("empty DPAPI blob")
	}
	in := windows.DataBlob{Size: uint32(len(blob)), Data: &blob[0]}
	var out windows.DataBlob
	if err := windows.CryptUnprotectData(&in, nil, nil, 0, nil, windows.CRYPTPROTECT_UI_FORBIDDEN, &out); err != nil {
		return nil, fmt.Errorf("CryptUnprotectData: %w", err)
	}
	defer windows.LocalFree(windows.Handle(unsafe.Pointer(out.Data)))
	return append([]byte(nil), unsafe.Slice(out.Data, out.Size)...), nil
}
