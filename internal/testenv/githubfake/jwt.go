package githubfake

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// verifyJWT checks a GitHub App JWT as GitHub documents it ("Generating a
// JSON Web Token (JWT) for a GitHub App"): RS256, signed with the App's
// private key, iss the App's ID (or client ID), iat not in the future
// (60 s of skew allowed), exp in the future and at most 10 minutes from
// now. It returns the App ID.
func (s *Server) verifyJWT(tok string) (int64, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return 0, errors.New("not a JWT")
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if err := decodePart(parts[0], &hdr); err != nil {
		return 0, err
	}
	if hdr.Alg != "RS256" {
		return 0, fmt.Errorf("alg %q, want RS256", hdr.Alg)
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat int64           `json:"iat"`
		Exp int64           `json:"exp"`
	}
	if err := decodePart(parts[1], &claims); err != nil {
		return 0, err
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	appID, err := strconv.ParseInt(iss, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("iss %q is not an App ID", iss)
	}
	s.mu.Lock()
	a := s.apps[appID]
	s.mu.Unlock()
	if a == nil {
		return 0, fmt.Errorf("no App %d", appID)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return 0, errors.New("bad signature encoding")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(a.key, crypto.SHA256, sum[:], sig); err != nil {
		return 0, errors.New("signature does not verify with the App's public key")
	}
	now := time.Now().Unix()
	switch {
	case claims.Iat == 0 || claims.Exp == 0:
		return 0, errors.New("iat and exp are required")
	case claims.Iat > now+60:
		return 0, errors.New("'Issued at' claim ('iat') must be an Integer representing a time in the past")
	case claims.Exp <= now:
		return 0, errors.New("'Expiration time' claim ('exp') is too far in the past")
	case claims.Exp > now+600:
		// GitHub's rule: exp no more than 10 minutes after its own now.
		return 0, errors.New("'Expiration time' claim ('exp') is too far in the future")
	}
	return appID, nil
}

func decodePart(p string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return errors.New("bad JWT encoding")
	}
	return json.Unmarshal(b, v)
}

// installationToken exchanges an App's JWT for an installation token.
func (s *Server) installationToken(w http.ResponseWriter, r *http.Request, _ *caller) {
	a := r.Header.Get("Authorization")
	if !strings.HasPrefix(a, "Bearer ") {
		writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
		return
	}
	appID, err := s.verifyJWT(strings.TrimPrefix(a, "Bearer "))
	if err != nil {
		writeError(w, http.StatusUnauthorized, err.Error())
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("installation_id"), 10, 64)
	s.mu.Lock()
	in := s.installations[id]
	if in == nil || in.AppID != appID {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	if in.SuspendedAt != nil {
		s.mu.Unlock()
		writeError(w, http.StatusForbidden, "This installation has been suspended")
		return
	}
	tok := "ghs_" + randHex(18)
	exp := time.Now().Add(s.tokenLifetime)
	s.tokens[tok] = issued{installation: id, expires: exp}
	perms := map[string]string{}
	for k, v := range in.Permissions {
		perms[k] = v
	}
	sel := in.RepositorySelection
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"token": tok, "expires_at": exp.UTC().Format(time.RFC3339Nano), "permissions": perms, "repository_selection": sel})
}

// Issued is how many installation tokens the fake has issued.
func (s *Server) Issued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tokens)
}

// RevokeInstallationTokens makes every installation token issued so far
// invalid (401 "Bad credentials"), as a revocation on GitHub does.
func (s *Server) RevokeInstallationTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.tokens {
		v.expires = time.Time{}
		s.tokens[k] = v
	}
}
