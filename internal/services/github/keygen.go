package github

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// keyPair is a deploy key the provider generated. PrivateKey is the
// OpenSSH private key file ("-----BEGIN OPENSSH PRIVATE KEY-----"): it goes
// to the delivery Secret and nowhere else (never state, plan, logs or
// diagnostics).
type keyPair struct {
	// PublicKey is the authorized_keys form without a comment
	// ("ssh-ed25519 AAAA..."), as GitHub stores and returns it.
	PublicKey string
	// Fingerprint is OpenSSH's SHA256 fingerprint ("SHA256:..."), as
	// `ssh-keygen -l` and GitHub's settings page show it.
	Fingerprint string
	PrivateKey  []byte
}

// generateKey makes a new ed25519 key pair. comment is written into the
// private key file (ssh-keygen's -C), such as the repository it is for.
func generateKey(comment string) (keyPair, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return keyPair{}, fmt.Errorf("generating an ed25519 key: %w", err)
	}
	sp, err := ssh.NewPublicKey(pub)
	if err != nil {
		return keyPair{}, fmt.Errorf("encoding the public key: %w", err)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		// The error never carries key material.
		return keyPair{}, fmt.Errorf("encoding the private key: %w", err)
	}
	return keyPair{
		PublicKey:   authorizedKey(sp),
		Fingerprint: ssh.FingerprintSHA256(sp),
		PrivateKey:  pem.EncodeToMemory(block),
	}, nil
}

func authorizedKey(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}

// publicKeyInfo parses a public key as GitHub returns it ("ssh-ed25519
// AAAA...", maybe with a comment) into its canonical form and SHA256
// fingerprint.
func publicKeyInfo(s string) (canonical, fingerprint string, err error) {
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s))
	if err != nil {
		return "", "", fmt.Errorf("the public key %.40q is not an OpenSSH public key: %w", s, err)
	}
	return authorizedKey(k), ssh.FingerprintSHA256(k), nil
}
