package postgresql

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/clock"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// A write-only password the provider cannot rotate itself: past
// rotate_after the plan warns on password_wo_version, saying to set a new
// password and bump the version; shortly before, it warns that it is soon
// due; otherwise it is quiet.
func TestWriteOnlyRotationWarnings(t *testing.T) {
	changed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		now  time.Time
		want string // "" for no warning
	}{
		{"fresh", changed.Add(24 * time.Hour), ""},
		{"soon", changed.Add(25 * 24 * time.Hour), "is due for rotation in"},
		{"due", changed.Add(31 * 24 * time.Hour), "set a new password_wo and change password_wo_version (now 3)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &roleResource{pd: framework.NewProviderData(clock.Fixed(c.now), nhi.DefaultPolicy(), nhi.DefaultMarkerPrefix, nil)}
			m := &roleModel{Name: types.StringValue("orders_app"), PasswordWOVersion: types.Int64Value(3), PasswordChangedAt: types.StringValue(nhi.FormatTime(changed))}
			var diags diag.Diagnostics
			r.warnRotation(m, m, 30*24*time.Hour, &diags)
			if c.want == "" {
				if len(diags) != 0 {
					t.Fatalf("want no diagnostics, got %v", diags)
				}
				return
			}
			if len(diags) != 1 || diags[0].Severity() != diag.SeverityWarning {
				t.Fatalf("want one warning, got %v", diags)
			}
			d := diags[0]
			text := d.Summary() + " " + d.Detail()
			if !strings.Contains(text, c.want) || !strings.Contains(text, "PostgreSQL role orders_app") {
				t.Errorf("warning %q lacks %q", text, c.want)
			}
			if p, ok := d.(diag.DiagnosticWithPath); !ok || p.Path().String() != "password_wo_version" {
				t.Errorf("warning is not on password_wo_version: %v", d)
			}
		})
	}
}

func TestCredentialID(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if got := credentialID("orders_app", at); got != "orders_app/password@2026-03-01T12:00:00Z" {
		t.Errorf("credentialID = %q", got)
	}
	m := roleModel{Name: types.StringValue("orders_app"), PasswordChangedAt: types.StringNull()}
	if got := m.stateCredentialID(); got != "" {
		t.Errorf("no password change recorded, but stateCredentialID = %q", got)
	}
}

// After a failed update that generated a password, the state recorded
// (RecordCurrent) shows whether the password was set: a change the prior
// state does not show means it was (deliver it now); none, or no record,
// means unknown (delivered false: the next plan sets a fresh one).
func TestPasswordWasChanged(t *testing.T) {
	at := func(s string) roleModel {
		v := types.StringNull()
		if s != "" {
			v = types.StringValue(s)
		}
		return roleModel{Name: types.StringValue("orders_app"), PasswordChangedAt: v}
	}
	prior := at("2026-03-01T12:00:00Z")
	for _, tc := range []struct {
		st   roleModel
		want bool
	}{
		{at("2026-04-01T12:00:00Z"), true},
		{at("2026-03-01T12:00:00Z"), false},
		{at(""), false},
	} {
		if got := passwordWasChanged(&tc.st, &prior); got != tc.want {
			t.Errorf("recorded %s: passwordWasChanged = %v, want %v", tc.st.PasswordChangedAt, got, tc.want)
		}
	}
}
