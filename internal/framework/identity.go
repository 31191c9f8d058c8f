package framework

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// This file is the resource identity (Terraform 1.12+) every governed
// resource shares: the natural keys that name the object in its system
// (namespace and name, a user and a key ID), kept in step with the
// resource's state, and import by identity (an import block's `identity`
// instead of `id`). Terraform 1.11 ignores identities; the same resources
// work there unchanged.

// IdentityAttr is one attribute of a resource's identity: a string
// attribute of the resource, read from and written to StateAttr (Name when
// empty).
type IdentityAttr struct {
	Name string
	// StateAttr is the resource attribute holding it, when not Name (an
	// access key's "access_key_id" is its "id").
	StateAttr string
	// Description is the identity attribute's documentation.
	Description string
	// Check validates a value given in an import block's identity; nil
	// accepts any non-empty value.
	Check func(string) error
}

func (a IdentityAttr) state() string {
	if a.StateAttr != "" {
		return a.StateAttr
	}
	return a.Name
}

// Identity is a resource type's identity: its attributes, in order, and
// how they make the resource's id.
type Identity struct {
	// TypeName is the resource type ("nhi_kubernetes_service_account"),
	// for diagnostics.
	TypeName string
	Attrs    []IdentityAttr
	// ID returns the resource's id for the identity's values (in Attrs
	// order); nil when the id is one of the attributes (StateAttr "id").
	ID func(vals []string) string
	// FromID, when set, derives the identity's values from the resource's
	// id instead of reading Attrs from state (an attribute that may be
	// written in several forms, such as a bare repository name); false when
	// the id is not one.
	FromID func(id string) ([]string, bool)
}

// Schema is the identity schema: every attribute a string, every one
// required to import.
func (i Identity) Schema() identityschema.Schema {
	attrs := make(map[string]identityschema.Attribute, len(i.Attrs))
	for _, a := range i.Attrs {
		attrs[a.Name] = identityschema.StringAttribute{RequiredForImport: true, Description: a.Description}
	}
	return identityschema.Schema{Attributes: attrs}
}

// IdentitySchema answers a resource's IdentitySchema call.
func (i Identity) IdentitySchema(resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = i.Schema()
}

// FromState returns the identity's values held by a state (or plan), and
// false when the state is null or one of them is not known.
func (i Identity) FromState(ctx context.Context, get func(context.Context, path.Path, any) diag.Diagnostics, diags *diag.Diagnostics) ([]string, bool) {
	vals := make([]string, len(i.Attrs))
	for n, a := range i.Attrs {
		var v types.String
		if d := get(ctx, path.Root(a.state()), &v); d.HasError() {
			diags.Append(d...)
			return nil, false
		}
		if v.IsNull() || v.IsUnknown() || v.ValueString() == "" {
			return nil, false
		}
		vals[n] = v.ValueString()
	}
	return vals, true
}

// Set writes the identity's values into ident.
func (i Identity) Set(ctx context.Context, ident *tfsdk.ResourceIdentity, vals []string, diags *diag.Diagnostics) {
	if ident == nil {
		return
	}
	for n, a := range i.Attrs {
		diags.Append(ident.SetAttribute(ctx, path.Root(a.Name), vals[n])...)
	}
}

// sync writes the identity from a state into ident, when the state holds
// all of it.
func (i Identity) sync(ctx context.Context, st tfsdk.State, ident *tfsdk.ResourceIdentity, diags *diag.Diagnostics) {
	if ident == nil || st.Raw.IsNull() {
		return
	}
	if i.FromID != nil {
		var id types.String
		if d := st.GetAttribute(ctx, path.Root("id"), &id); d.HasError() {
			diags.Append(d...)
			return
		}
		if id.IsNull() || id.IsUnknown() {
			return
		}
		if vals, ok := i.FromID(id.ValueString()); ok {
			i.Set(ctx, ident, vals, diags)
		}
		return
	}
	if vals, ok := i.FromState(ctx, st.GetAttribute, diags); ok {
		i.Set(ctx, ident, vals, diags)
	}
}

// AfterCreate keeps the identity in step with the state a Create recorded:
// `defer ident.AfterCreate(ctx, resp)` at the top of Create.
func (i Identity) AfterCreate(ctx context.Context, resp *resource.CreateResponse) {
	i.sync(ctx, resp.State, resp.Identity, &resp.Diagnostics)
}

// AfterUpdate is AfterCreate for Update.
func (i Identity) AfterUpdate(ctx context.Context, resp *resource.UpdateResponse) {
	i.sync(ctx, resp.State, resp.Identity, &resp.Diagnostics)
}

// AfterRead is AfterCreate for Read. A Read that removes the resource (it
// is gone) still answers with the identity its prior state names: state
// written by Terraform 1.11 has none, and the framework refuses a Read
// that returns no identity.
func (i Identity) AfterRead(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	st := resp.State
	if st.Raw.IsNull() {
		st = req.State
	}
	i.sync(ctx, st, resp.Identity, &resp.Diagnostics)
}

// ImportByIdentity handles an import by identity (an import block with
// `identity = {...}`, Terraform 1.12+): it sets the identity's attributes
// and the id in state, as an import by ID does, and returns true. It
// returns false for an import by ID, which the resource handles.
func (i Identity) ImportByIdentity(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) bool {
	if req.ID != "" || req.Identity == nil || req.Identity.Raw.IsNull() {
		return false
	}
	vals := make([]string, len(i.Attrs))
	for n, a := range i.Attrs {
		var v types.String
		resp.Diagnostics.Append(req.Identity.GetAttribute(ctx, path.Root(a.Name), &v)...)
		s := v.ValueString()
		var err error
		switch {
		case v.IsUnknown():
			err = fmt.Errorf("is not known yet; an import block's identity must be known when planning")
		case strings.TrimSpace(s) == "":
			err = fmt.Errorf("is empty")
		case a.Check != nil:
			err = a.Check(s)
		}
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root(a.Name), "Invalid import identity",
				fmt.Sprintf("identity.%s %v. Import a %s with an import block such as:\n\n%s", a.Name, err, i.TypeName, i.example()))
		}
		vals[n] = s
	}
	if resp.Diagnostics.HasError() {
		return true
	}
	for n, a := range i.Attrs {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(a.state()), vals[n])...)
	}
	if i.ID != nil {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), i.ID(vals))...)
	}
	return true
}

func (i Identity) example() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  import {\n    to = %s.example\n    identity = {\n", i.TypeName)
	for _, a := range i.Attrs {
		fmt.Fprintf(&b, "      %s = \"...\"\n", a.Name)
	}
	b.WriteString("    }\n  }")
	return b.String()
}
