package inventory

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
)

// sealerAESKey is the fixed AES-256 key sealer v0.8 encrypts the SSH
// passwords of its saved Clusterfile with (base64 of 32 ASCII bytes, in
// sealer's utils/hash/aes.go); every later sealer still decrypts a password
// marked "encrypted: true" with it. The key is public, so the ciphertext
// protects nothing: runbook treats the plain text as the secret it is.
const sealerAESKey = "ZU9WbzRMVXRQZ2pzTGowR2hNWUpIZjRkWld4aWVRWko="

// decryptSealerPasswd returns the plain text of a password sealer v0.8
// saved with "encrypted: true": base64 of AES-256-CBC ciphertext, the IV
// being the key's first block, padded PKCS#7.
func decryptSealerPasswd(s string) (string, error) {
	key, err := base64.StdEncoding.DecodeString(sealerAESKey)
	if err != nil {
		return "", fmt.Errorf("sealer key: %w", err)
	}
	ct, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("not base64: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", fmt.Errorf("sealer key: %w", err)
	}
	bs := block.BlockSize()
	if len(ct) == 0 || len(ct)%bs != 0 {
		return "", fmt.Errorf("%d bytes of ciphertext is not a whole number of %d-byte AES blocks", len(ct), bs)
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, key[:bs]).CryptBlocks(pt, ct)
	// sealer does not check the padding; checking it here turns a password
	// that was never encrypted with this key into an error instead of
	// garbage sent to every host.
	n := int(pt[len(pt)-1])
	if n == 0 || n > bs {
		return "", errors.New("bad padding: not encrypted with sealer's key")
	}
	for _, b := range pt[len(pt)-n:] {
		if int(b) != n {
			return "", errors.New("bad padding: not encrypted with sealer's key")
		}
	}
	return string(pt[:len(pt)-n]), nil
}
