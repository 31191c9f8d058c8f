package postgresql

// Passwords never leave the provider in plain text. PostgreSQL accepts, in
// ALTER ROLE ... PASSWORD and CREATE ROLE ... PASSWORD, a SCRAM-SHA-256
// verifier instead of a password, and stores it as is: this is what psql's
// \password and libpq's PQencryptPasswordConn do. The connector computes the
// verifier itself (RFC 5802 and RFC 7677, as PostgreSQL's
// pg_fe_scram_build_secret: a 16-byte random salt, 4096 iterations), so a
// server that logs every statement (log_statement = all) or tracks them
// (pg_stat_statements) records the verifier, never the password. The
// verifier does not let anyone log in; it only allows guessing the
// password offline, which a generated password (GeneratePassword) defeats.

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
)

// SCRAM parameters, PostgreSQL's defaults (scram_iterations = 4096).
const (
	scramSaltLen    = 16
	scramIterations = 4096
	// MaxPasswordLen bounds a password; PostgreSQL has no limit of its
	// own, but a longer one is a mistake (a file pasted in).
	MaxPasswordLen = 1024
)

// ValidatePassword checks a password the user chose: 1 to MaxPasswordLen
// printable ASCII characters. Other characters are refused because
// PostgreSQL clients normalize them (SASLprep) in different ways, so such a
// password may work from one client and fail from another.
func ValidatePassword(p string) error {
	if p == "" {
		return fmt.Errorf("is empty; set a password, or leave the attribute out for a role without one")
	}
	if len(p) > MaxPasswordLen {
		return fmt.Errorf("is %d characters long; at most %d are allowed", len(p), MaxPasswordLen)
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] > 0x7e {
			// Never echo the password, not even one character of it.
			return fmt.Errorf("holds a character that is not printable ASCII (at byte %d); use letters, digits, spaces and ASCII punctuation only, "+
				"because PostgreSQL clients normalize other characters differently", i+1)
		}
	}
	return nil
}

// scramVerifier is the SCRAM-SHA-256 verifier of password, in PostgreSQL's
// format "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>" (base64).
// The password must pass ValidatePassword: printable ASCII is unchanged by
// SASLprep, so every client derives the same key from it.
func scramVerifier(password string) (string, error) {
	salt := make([]byte, scramSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("generating a SCRAM salt: %w", err)
	}
	return scramVerifierWith(password, salt, scramIterations)
}

func scramVerifierWith(password string, salt []byte, iterations int) (string, error) {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", fmt.Errorf("computing the SCRAM key: %w", err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	serverKey := hmacSHA256(salted, "Server Key")
	b64 := base64.StdEncoding.EncodeToString
	return "SCRAM-SHA-256$" + strconv.Itoa(iterations) + ":" + b64(salt) + "$" + b64(storedKey[:]) + ":" + b64(serverKey), nil
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// passwordAlphabet is URL-safe: a generated password can be put in a
// connection URI or an environment variable without quoting.
const passwordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// GeneratePassword returns 32 random URL-safe characters (192 bits).
func GeneratePassword() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating a password: %w", err)
	}
	for i := range b {
		b[i] = passwordAlphabet[int(b[i])%len(passwordAlphabet)] // 256 % 64 == 0: no bias
	}
	return string(b), nil
}
