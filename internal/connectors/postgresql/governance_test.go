package postgresql

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

func TestGovernanceRoundTrip(t *testing.T) {
	exp := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	in := governance{
		Governance: nhi.Governance{
			Owner: "team:payments", Purpose: "Reads <orders> & refunds", Scopes: []string{"database:CONNECT@app", "table:SELECT@app.public.orders"},
			ExpiresAt: exp, OnExpiry: nhi.OnExpiryDisable,
		},
		DisabledAt:        exp.Add(time.Hour),
		PasswordChangedAt: exp.Add(-24 * time.Hour),
		CreateToken:       "abc",
	}
	s := encodeGovernance("nhi.dev", in)
	want := `{"managed_by":"nhi.dev","version":1,"owner":"team:payments","purpose":"Reads <orders> & refunds",` +
		`"scopes":["database:CONNECT@app","table:SELECT@app.public.orders"],"expires_at":"2027-03-31T00:00:00Z","on_expiry":"disable",` +
		`"disabled_at":"2027-03-31T01:00:00Z","password_changed_at":"2027-03-30T00:00:00Z","create_token":"abc"}`
	if s != want {
		t.Fatalf("encoded\n%s\nwant\n%s", s, want)
	}
	out, ok, err := decodeGovernance("nhi.dev", "r", s)
	if err != nil || !ok {
		t.Fatalf("decode: ok=%v err=%v", ok, err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Fatalf("round trip\n%+v\nwant\n%+v", out, in)
	}
}

func TestGovernanceOptionalFieldsOmitted(t *testing.T) {
	s := encodeGovernance("nhi.dev", governance{Governance: nhi.Governance{Owner: "o", Purpose: "p"}})
	if want := `{"managed_by":"nhi.dev","version":1,"owner":"o","purpose":"p","scopes":[]}`; s != want {
		t.Fatalf("encoded %s, want %s", s, want)
	}
	g, ok, err := decodeGovernance("nhi.dev", "r", s)
	if err != nil || !ok || g.Scopes == nil || len(g.Scopes) != 0 || !g.ExpiresAt.IsZero() || !g.DisabledAt.IsZero() {
		t.Fatalf("decode: %+v ok=%v err=%v", g, ok, err)
	}
}

func TestGovernanceUndeclared(t *testing.T) {
	for _, c := range []string{
		"",
		"Reporting user, ask Bob",
		`["managed_by"]`,
		`{"owner":"x"}`,
		`{"managed_by":"other.example","version":1,"owner":"x"}`,
		`{"managed_by":"other.example","version":99}`,
		`{"managed_by":7,"version":1}`,
		`{"managed_by":"nhi.dev","version":1`, // truncated: not a document
	} {
		g, ok, err := decodeGovernance("nhi.dev", "r", c)
		if ok || err != nil || !reflect.DeepEqual(g, governance{}) {
			t.Errorf("%q: ok=%v err=%v g=%+v, want undeclared without error", c, ok, err, g)
		}
	}
}

func TestGovernanceMarkerIsThePrefix(t *testing.T) {
	s := encodeGovernance("corp.example", governance{Governance: nhi.Governance{Owner: "o", Purpose: "p"}})
	if _, ok, _ := decodeGovernance("nhi.dev", "r", s); ok {
		t.Fatal("a document of another prefix was read as managed")
	}
	if _, ok, err := decodeGovernance("corp.example", "r", s); !ok || err != nil {
		t.Fatalf("own prefix: ok=%v err=%v", ok, err)
	}
}

func TestGovernanceFutureVersion(t *testing.T) {
	_, ok, err := decodeGovernance("nhi.dev", "app_reader", `{"managed_by":"nhi.dev","version":2,"owner":"x","new_field":{"a":1}}`)
	if ok || err == nil {
		t.Fatalf("ok=%v err=%v, want an error", ok, err)
	}
	if !errors.Is(err, ErrUnsupportedGovernance) || !strings.Contains(err.Error(), "upgrade") || !strings.Contains(err.Error(), `"app_reader"`) ||
		!strings.Contains(err.Error(), "version 2") {
		t.Fatalf("error does not say to upgrade: %v", err)
	}
}

func TestGovernanceMalformed(t *testing.T) {
	for c, want := range map[string]string{
		`{"managed_by":"nhi.dev"}`:                                    `no integer "version"`,
		`{"managed_by":"nhi.dev","version":"1"}`:                      `no integer "version"`,
		`{"managed_by":"nhi.dev","version":0}`:                        "version 0",
		`{"managed_by":"nhi.dev","version":1,"expires_at":"soon"}`:    `invalid "expires_at"`,
		`{"managed_by":"nhi.dev","version":1,"scopes":"role:x"}`:      "is not valid",
		`{"managed_by":"nhi.dev","version":1,"disabled_at":"2027-1"}`: `invalid "disabled_at"`,
	} {
		_, ok, err := decodeGovernance("nhi.dev", "r", c)
		if ok || err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "COMMENT ON ROLE") {
			t.Errorf("%s: ok=%v err=%v, want an error containing %q and the way out", c, ok, err, want)
		}
	}
}

func TestGovernanceUnknownKeysOfVersion1Ignored(t *testing.T) {
	g, ok, err := decodeGovernance("nhi.dev", "r", `{"managed_by":"nhi.dev","version":1,"owner":"o","purpose":"p","scopes":["role:b","role:a","role:a"],"extra":true}`)
	if err != nil || !ok || !reflect.DeepEqual(g.Scopes, []string{"role:a", "role:b"}) {
		t.Fatalf("g=%+v ok=%v err=%v", g, ok, err)
	}
}
