package framework

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

func setStrings(t *testing.T, s types.Set) []string {
	t.Helper()
	if s.IsUnknown() || s.IsNull() {
		t.Fatalf("set is unknown or null: %v", s)
	}
	var out []string
	if d := s.ElementsAs(context.Background(), &out, false); d.HasError() {
		t.Fatal(d)
	}
	sort.Strings(out)
	return out
}

// upper is a canonical form for tests: scopes compare case-insensitively.
func upper(in []string) ([]string, error) {
	out := make([]string, len(in))
	for i, s := range in {
		if s == "bad" {
			return nil, errors.New(`"bad" is not a scope`)
		}
		out[i] = strings.ToUpper(s)
	}
	return nhi.SortedUnique(out), nil
}

func TestPlanStatusAndScopes(t *testing.T) {
	active := GovernancePlan{Known: true, Decision: nhi.ExpiryDecision{Status: nhi.StatusActive}}
	disable := GovernancePlan{Known: true, Decision: nhi.ExpiryDecision{Status: nhi.StatusDisabled, Disable: true}}

	var diags diag.Diagnostics
	st, sc := PlanStatusAndScopes(GovernancePlan{}, []string{"a"}, nil, &diags)
	if !st.IsUnknown() || !sc.IsUnknown() {
		t.Errorf("expiry not known: status %v, scopes %v; want both unknown", st, sc)
	}
	st, sc = PlanStatusAndScopes(disable, []string{"a"}, nil, &diags)
	if st.ValueString() != "disabled" || len(setStrings(t, sc)) != 0 {
		t.Errorf("disable: status %v, scopes %v; want disabled and none", st, sc)
	}
	st, sc = PlanStatusAndScopes(active, nil, nil, &diags)
	if st.ValueString() != "active" || !sc.IsUnknown() {
		t.Errorf("scopes unknown: status %v, scopes %v", st, sc)
	}
	_, sc = PlanStatusAndScopes(active, []string{"b", "a", "b"}, nil, &diags)
	if got := setStrings(t, sc); fmt.Sprint(got) != "[a b]" {
		t.Errorf("scopes = %v, want [a b]", got)
	}
	_, sc = PlanStatusAndScopes(active, []string{"b", "a"}, upper, &diags)
	if got := setStrings(t, sc); fmt.Sprint(got) != "[A B]" {
		t.Errorf("canonical scopes = %v, want [A B]", got)
	}
	if diags.HasError() {
		t.Fatal(diags)
	}
	PlanStatusAndScopes(active, []string{"bad"}, upper, &diags)
	d := one(t, diags, diag.SeverityError)
	if d.Summary() != "Invalid scope" || d.Detail() != `scopes "bad" is not a scope` || attrPath(d) != "scopes" {
		t.Errorf("diagnostic = %q / %q at %q", d.Summary(), d.Detail(), attrPath(d))
	}
}

func TestGovernanceSpec(t *testing.T) {
	var diags diag.Diagnostics
	g := GovernanceSpec(gov("2027-03-31", "warn", "a"), &diags)
	if diags.HasError() || g.Owner != "team:platform" || g.Purpose != "tests" || g.OnExpiry != nhi.OnExpiryWarn ||
		!g.ExpiresAt.Equal(time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)) || fmt.Sprint(g.Scopes) != "[a]" {
		t.Errorf("spec = %+v (%v)", g, diags)
	}
	GovernanceSpec(gov("someday", "warn"), &diags)
	d := one(t, diags, diag.SeverityError)
	if d.Summary() != "Invalid expiry" || !strings.HasPrefix(d.Detail(), `expires_at "someday"`) || attrPath(d) != "expires_at" {
		t.Errorf("diagnostic = %q / %q at %q", d.Summary(), d.Detail(), attrPath(d))
	}
}

func TestReadScopes(t *testing.T) {
	ctx := context.Background()
	var diags diag.Diagnostics
	prior := StringSet([]string{"b", "a"})
	declared := nhi.Identity{Declared: true, Governance: nhi.Governance{Scopes: []string{"a", "b"}}, EffectiveScopes: []string{"a", "b", "c"}}
	if got := ReadScopes(ctx, prior, declared, nil, &diags); !got.Equal(prior) {
		t.Errorf("same scopes: %v, want the prior set kept", got)
	}
	changed := declared
	changed.Governance.Scopes = []string{"a"}
	if got := setStrings(t, ReadScopes(ctx, prior, changed, nil, &diags)); fmt.Sprint(got) != "[a]" {
		t.Errorf("changed scopes: %v, want [a]", got)
	}
	written := StringSet([]string{"A", "b"})
	if got := ReadScopes(ctx, written, declared, upper, &diags); !got.Equal(written) {
		t.Errorf("equal in canonical form: %v, want the prior set kept", got)
	}
	if got := setStrings(t, ReadScopes(ctx, StringSet([]string{"bad"}), declared, upper, &diags)); fmt.Sprint(got) != "[a b]" {
		t.Errorf("prior not canonical: %v, want the found scopes", got)
	}
	if got := setStrings(t, ReadScopes(ctx, types.SetNull(types.StringType), declared, nil, &diags)); fmt.Sprint(got) != "[a b]" {
		t.Errorf("no prior (import): %v, want the found scopes", got)
	}
	undeclared := nhi.Identity{EffectiveScopes: []string{"x"}}
	if got := setStrings(t, ReadScopes(ctx, prior, undeclared, nil, &diags)); fmt.Sprint(got) != "[x]" {
		t.Errorf("undeclared: %v, want its effective scopes", got)
	}
	if diags.HasError() {
		t.Fatal(diags)
	}
}

func TestReadLabels(t *testing.T) {
	ctx := context.Background()
	var diags diag.Diagnostics
	empty := types.MapValueMust(types.StringType, nil)
	if got := ReadLabels(ctx, empty, nil, &diags); !got.Equal(empty) {
		t.Errorf("explicitly empty: %v, want kept", got)
	}
	if got := ReadLabels(ctx, types.MapUnknown(types.StringType), nil, &diags); !got.IsNull() {
		t.Errorf("none found: %v, want null", got)
	}
	got := ReadLabels(ctx, empty, map[string]string{"team": "a"}, &diags)
	if m := StringMap(ctx, got, &diags); len(m) != 1 || m["team"] != "a" {
		t.Errorf("found: %v", got)
	}
	if diags.HasError() {
		t.Fatal(diags)
	}
}

func TestValidateLabels(t *testing.T) {
	var diags diag.Diagnostics
	m := types.MapValueMust(types.StringType, map[string]attr.Value{"ok": types.StringValue("1"), "nhi/x": types.StringValue("2"), "later": types.StringUnknown()})
	ValidateLabels(m, "tags", "Invalid tag", func(k, _ string) error {
		if strings.HasPrefix(k, "nhi/") || k == "later" {
			return fmt.Errorf("key %q is reserved", k)
		}
		return nil
	}, &diags)
	d := one(t, diags, diag.SeverityError)
	if d.Summary() != "Invalid tag" || d.Detail() != `tags key "nhi/x" is reserved` || attrPath(d) != `tags["nhi/x"]` {
		t.Errorf("diagnostic = %q / %q at %q", d.Summary(), d.Detail(), attrPath(d))
	}
}

func TestRotationDueValue(t *testing.T) {
	created := time.Date(2026, 1, 1, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	if got := RotationDueValue(created, 30*24*time.Hour).ValueString(); got != "2026-01-31T08:00:00Z" {
		t.Errorf("due = %q", got)
	}
	if got := RotationDueValue(created, 0); !got.IsNull() {
		t.Errorf("no period: %v, want null", got)
	}
}

// fakeProv records which write was asked for.
type fakeProv struct {
	calls []string
	at    time.Time
	err   error
	found string
}

func (f *fakeProv) Get(_ context.Context, ref nhi.Ref) (string, error) {
	f.calls = append(f.calls, "get "+ref.String())
	if f.err != nil {
		return "", f.err
	}
	return f.found, nil
}
func (f *fakeProv) Create(context.Context, string) (string, error) { return "", nil }
func (f *fakeProv) Update(_ context.Context, s string) (string, error) {
	f.calls = append(f.calls, "update "+s)
	return s, nil
}
func (f *fakeProv) Disable(_ context.Context, s string, at time.Time) (string, error) {
	f.calls = append(f.calls, "disable "+s)
	f.at = at
	return s, nil
}
func (f *fakeProv) Delete(context.Context, nhi.Ref) error { return nil }

func TestApplyUpdate(t *testing.T) {
	ctx := context.Background()
	p := &fakeProv{}
	if _, err := ApplyUpdate[string, string](ctx, pd(nhi.DefaultPolicy()), p, "s", types.StringValue("active")); err != nil {
		t.Fatal(err)
	}
	if _, err := ApplyUpdate[string, string](ctx, pd(nhi.DefaultPolicy()), p, "s", types.StringValue("disabled")); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(p.calls) != "[update s disable s]" || !p.at.Equal(now) {
		t.Errorf("calls %v at %v; want an update, then a disable at the evaluation time %v", p.calls, p.at, now)
	}
}

type recordModel struct {
	ID   types.String `tfsdk:"id"`
	Name types.String `tfsdk:"name"`
}

func TestRecordCurrent(t *testing.T) {
	ctx := context.Background()
	s := schema.Schema{Attributes: map[string]schema.Attribute{
		"id": schema.StringAttribute{Computed: true}, "name": schema.StringAttribute{Required: true},
	}}
	typ := s.Type().TerraformType(ctx)
	prior := tftypes.NewValue(typ, map[string]tftypes.Value{"id": tftypes.NewValue(tftypes.String, "ci/a"), "name": tftypes.NewValue(tftypes.String, "old")})
	newModel := func() *recordModel { return &recordModel{} }
	readInto := func(_ context.Context, m *recordModel, found string, _ *diag.Diagnostics) {
		m.Name = types.StringValue(found)
	}

	run := func(p *fakeProv) (*resource.UpdateResponse, recordModel) {
		req := resource.UpdateRequest{State: tfsdk.State{Schema: s, Raw: prior}}
		resp := &resource.UpdateResponse{State: tfsdk.State{Schema: s, Raw: prior}}
		RecordCurrent(ctx, req, resp, "service account ci/a", errors.New("binding refused"), p, nhi.Ref{Location: "ci", Name: "a"}, newModel, readInto)
		var got recordModel
		resp.State.Get(ctx, &got)
		return resp, got
	}

	resp, got := run(&fakeProv{found: "half-applied"})
	d := one(t, resp.Diagnostics, diag.SeverityError)
	if d.Summary() != "Updating the service account ci/a failed" || d.Detail() != "binding refused\n\nThe next plan shows what is left to change." {
		t.Errorf("diagnostic = %q / %q", d.Summary(), d.Detail())
	}
	if got.Name.ValueString() != "half-applied" || got.ID.ValueString() != "ci/a" {
		t.Errorf("state = %+v; want what is true now read into the prior state", got)
	}

	resp, got = run(&fakeProv{err: errors.New("unreachable")})
	one(t, resp.Diagnostics, diag.SeverityError)
	if got.Name.ValueString() != "old" {
		t.Errorf("state = %+v; want the prior state when the identity cannot be read", got)
	}
}

func TestStatusValue(t *testing.T) {
	p := pd(nhi.DefaultPolicy())
	soon := nhi.Identity{Governance: nhi.Governance{ExpiresAt: now.Add(24 * time.Hour)}}
	if got := StatusValue(p, soon).ValueString(); got != "expiring" {
		t.Errorf("expiring within warn_before: %q", got)
	}
	past := nhi.Identity{Governance: nhi.Governance{ExpiresAt: now}}
	if got := StatusValue(p, past).ValueString(); got != "expired" {
		t.Errorf("at the expiry instant, as of the evaluation time: %q", got)
	}
	past.Disabled = true
	if got := StatusValue(p, past).ValueString(); got != "disabled" {
		t.Errorf("disabled: %q", got)
	}
}
