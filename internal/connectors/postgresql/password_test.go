package postgresql

import (
	"regexp"
	"strings"
	"testing"
)

// The expected verifier was computed independently (Python's hashlib
// pbkdf2_hmac and hmac, following RFC 5802 section 3).
func TestSCRAMVerifierKnownValue(t *testing.T) {
	salt := make([]byte, 16)
	for i := range salt {
		salt[i] = byte(i)
	}
	got, err := scramVerifierWith("correct horse battery staple", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	want := "SCRAM-SHA-256$4096:AAECAwQFBgcICQoLDA0ODw==$ONYbSJBXtKl6bP6PVqw8pm9e7EiacprLnoUQPFS80Hw=:IPOtHuGJ2HifEQg74W2XXqqCrCyQG55GbPRHa6g6n9w="
	if got != want {
		t.Fatalf("verifier\n%s\nwant\n%s", got, want)
	}
}

func TestSCRAMVerifierFreshSalt(t *testing.T) {
	// A long password: a two-letter one turns up in random base64 by chance.
	const pw = "correct-horse-battery-staple-17"
	a, err := scramVerifier(pw)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := scramVerifier(pw)
	if a == b {
		t.Fatal("two verifiers of one password share a salt")
	}
	if !regexp.MustCompile(`^SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$`).MatchString(a) {
		t.Fatalf("verifier %q is not in PostgreSQL's format", a)
	}
	if strings.Contains(a, pw) {
		t.Fatal("verifier holds the password")
	}
}

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		p, err := GeneratePassword()
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`).MatchString(p) || ValidatePassword(p) != nil {
			t.Fatalf("password %q is not 32 URL-safe characters", p)
		}
		if seen[p] {
			t.Fatal("repeated password")
		}
		seen[p] = true
	}
}

func TestValidatePassword(t *testing.T) {
	for _, ok := range []string{"a", "with space and !@#$%^&*()'\"\\", strings.Repeat("x", MaxPasswordLen)} {
		if err := ValidatePassword(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for p, want := range map[string]string{
		"":                                    "empty",
		strings.Repeat("x", MaxPasswordLen+1): "at most",
		"pässword":                            "printable ASCII (at byte 2)",
		"tab\there":                           "printable ASCII (at byte 4)",
		"nul\x00":                             "printable ASCII",
	} {
		err := ValidatePassword(p)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error containing %q", p, err, want)
			continue
		}
		if len(p) > 1 && strings.Contains(err.Error(), p) {
			t.Errorf("the error echoes the password: %v", err)
		}
	}
}
