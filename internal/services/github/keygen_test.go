package github

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// A generated key is an OpenSSH ed25519 private key whose public half is
// PublicKey, whose fingerprint is Fingerprint, and which signs.
func TestGenerateKey(t *testing.T) {
	kp, err := generateKey("acme/app")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(kp.PrivateKey, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\n")) {
		t.Fatalf("private key is not an OpenSSH key file: %.40q", kp.PrivateKey)
	}
	if !strings.HasPrefix(kp.PublicKey, "ssh-ed25519 AAAA") || strings.Count(kp.PublicKey, " ") != 1 {
		t.Errorf("public key %q is not \"ssh-ed25519 <base64>\" without a comment", kp.PublicKey)
	}
	signer, err := ssh.ParsePrivateKey(kp.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if got := authorizedKey(signer.PublicKey()); got != kp.PublicKey {
		t.Errorf("the private key's public half is %q, want %q", got, kp.PublicKey)
	}
	if got := ssh.FingerprintSHA256(signer.PublicKey()); got != kp.Fingerprint || !strings.HasPrefix(got, "SHA256:") {
		t.Errorf("fingerprint %q, want %q", kp.Fingerprint, got)
	}
	sig, err := signer.Sign(nil, []byte("data"))
	if err != nil {
		t.Fatal(err)
	}
	if err := signer.PublicKey().Verify([]byte("data"), sig); err != nil {
		t.Error(err)
	}
	other, err := generateKey("acme/app")
	if err != nil {
		t.Fatal(err)
	}
	if other.PublicKey == kp.PublicKey {
		t.Error("two generated keys are equal")
	}
	canon, fp, err := publicKeyInfo(kp.PublicKey + " someone@example")
	if err != nil || canon != kp.PublicKey || fp != kp.Fingerprint {
		t.Errorf("publicKeyInfo = %q %q %v", canon, fp, err)
	}
	if _, _, err := publicKeyInfo("not a key"); err == nil {
		t.Error("publicKeyInfo accepted garbage")
	}
}

// ssh-keygen (OpenSSH itself) reads the generated private key and derives
// the same public key and fingerprint.
func TestGenerateKeyOpenSSH(t *testing.T) {
	bin, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Skip("ssh-keygen is not installed")
	}
	kp, err := generateKey("acme/app")
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(f, kp.PrivateKey, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-y", "-f", f).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -y: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); !strings.HasPrefix(got, kp.PublicKey) {
		t.Errorf("ssh-keygen -y = %q, want %q", got, kp.PublicKey)
	}
	out, err = exec.Command(bin, "-l", "-f", f).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen -l: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), kp.Fingerprint) || !strings.Contains(string(out), "(ED25519)") {
		t.Errorf("ssh-keygen -l = %q, want fingerprint %s", out, kp.Fingerprint)
	}
}
