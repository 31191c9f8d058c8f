package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	corev1 "k8s.io/api/core/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/cleanup"
	gh "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/github"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Keys of the delivery Secret, a kubernetes.io/ssh-auth Secret:
// ssh-privatekey is the key that type requires, which tools that clone over
// SSH (Argo CD, Flux, Tekton) read; the rest is metadata, and no
// known_hosts entry is written (the host's key is the consumer's to pin).
const (
	SecretKeyPrivateKey  = "ssh-privatekey"
	SecretKeyPublicKey   = "ssh-publickey"
	SecretKeyFingerprint = "fingerprint"
	SecretKeyRepository  = "repository"
)

var (
	_ resource.ResourceWithConfigure   = &deployKeyResource{}
	_ resource.ResourceWithImportState = &deployKeyResource{}
	_ resource.ResourceWithModifyPlan  = &deployKeyResource{}
)

// NewDeployKeyResource is the factory of nhi_github_deploy_key.
func NewDeployKeyResource() resource.Resource { return &deployKeyResource{} }

type deployKeyResource struct{ pd *framework.ProviderData }

type deployKeyModel struct {
	ID               types.String          `tfsdk:"id"`
	Repository       types.String          `tfsdk:"repository"`
	Title            types.String          `tfsdk:"title"`
	ReadOnly         types.Bool            `tfsdk:"read_only"`
	Owner            types.String          `tfsdk:"owner"`
	Purpose          types.String          `tfsdk:"purpose"`
	ExpiresAt        framework.ExpiryValue `tfsdk:"expires_at"`
	OnExpiry         types.String          `tfsdk:"on_expiry"`
	Status           types.String          `tfsdk:"status"`
	Scopes           types.Set             `tfsdk:"scopes"`
	RotateAfter      types.String          `tfsdk:"rotate_after"`
	KubernetesSecret types.Object          `tfsdk:"kubernetes_secret"`
	Delivered        types.Bool            `tfsdk:"delivered"`
	KeyID            types.String          `tfsdk:"key_id"`
	PublicKey        types.String          `tfsdk:"public_key"`
	Fingerprint      types.String          `tfsdk:"fingerprint"`
	CreatedAt        types.String          `tfsdk:"created_at"`
	RotationDueAt    types.String          `tfsdk:"rotation_due_at"`
}

var secretAttrTypes = map[string]attr.Type{"namespace": types.StringType, "name": types.StringType}

// secretRef is kubernetes_secret as a reference, ok false while it is
// null or any part of it is unknown.
func (m *deployKeyModel) secretRef() (nhi.Ref, bool) {
	if m.KubernetesSecret.IsNull() || m.KubernetesSecret.IsUnknown() {
		return nhi.Ref{}, false
	}
	at := m.KubernetesSecret.Attributes()
	ns, _ := at["namespace"].(types.String)
	n, _ := at["name"].(types.String)
	if ns.IsUnknown() || n.IsUnknown() || ns.IsNull() || n.IsNull() {
		return nhi.Ref{}, false
	}
	return nhi.Ref{Location: ns.ValueString(), Name: n.ValueString()}, true
}

func (m *deployKeyModel) subject() string {
	return fmt.Sprintf("deploy key %q of repository %s", m.Title.ValueString(), m.Repository.ValueString())
}

func (m *deployKeyModel) governance() framework.GovernanceValues {
	return framework.GovernanceValues{Owner: m.Owner, Purpose: m.Purpose, ExpiresAt: m.ExpiresAt, OnExpiry: m.OnExpiry}
}

// disabled reports whether the key was deleted on expiry (on_expiry =
// "disable"): the resource stays, with status "disabled".
func (m *deployKeyModel) disabled() bool { return m.Status.ValueString() == string(nhi.StatusDisabled) }

// credentialID names the key a delivery Secret holds: the same
// "<owner>/<repo>/<key ID>" as the resource's id and import ID. Not
// secret.
func credentialID(owner, repo string, id int64) string {
	return gh.DeployKey{Owner: owner, Repo: repo, ID: id}.ImportID()
}

// ownCredential says whether a delivered credential ID is a deploy key of
// owner/repo (an earlier one, before a rotation, included): a Secret
// holding any other credential (another repository's key, an access key,
// a password) belongs to another resource.
func ownCredential(owner, repo string) func(string) bool {
	return func(id string) bool { return strings.HasPrefix(id, owner+"/"+repo+"/") }
}

// Scope is the scope a deploy key holds on its repository:
// "deploy_key:read@<owner>/<repo>", or "deploy_key:write@<owner>/<repo>"
// for a key that may push (a privileged scope, which the provider's
// policy.forbidden_scopes may forbid).
func Scope(owner, repo string, readOnly bool) string {
	return gh.DeployKeyScope(owner, repo, readOnly)
}

func (r *deployKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_github_deploy_key"
}

func (r *deployKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	gov := framework.GovernanceAttributes(nil, "")
	attrs := map[string]schema.Attribute{
		"owner": gov["owner"], "purpose": gov["purpose"], "expires_at": gov["expires_at"],
	}
	onExpiry := gov["on_expiry"].(schema.StringAttribute)
	onExpiry.MarkdownDescription = "What a plan does once `expires_at` has passed: `disable` (default) plans an in-place change that deletes the key from GitHub " +
		"(GitHub cannot switch a deploy key off) and its Secret, and keeps the resource with `status = \"disabled\"`; extending `expires_at` then replaces it with a new key. " +
		"`block` fails the plan until `expires_at` is extended or the resource removed; `warn` only warns."
	attrs["on_expiry"] = onExpiry
	attrs["status"] = schema.StringAttribute{Computed: true,
		MarkdownDescription: "`active`; `expiring` (within the provider's `policy.warn_before` of `expires_at`); `expired` (past `expires_at` and still on GitHub, " +
			"with `on_expiry = \"warn\"`); or `disabled` (deleted from GitHub on expiry)."}
	attrs["id"] = schema.StringAttribute{Computed: true, PlanModifiers: keep,
		MarkdownDescription: "`<owner>/<repo>/<key_id>`, the import ID, and the credential ID the delivery Secret records."}
	attrs["repository"] = schema.StringAttribute{Required: true,
		MarkdownDescription: "The repository: `\"<owner>/<repo>\"`, or the name of a repository of the provider's `github.organization`. It must exist and be visible to the provider's credentials at plan time. " +
			"Changing it to another repository replaces the key; writing the same repository the other way (`app` for `acme/app`) changes nothing.",
		Validators: []validator.String{framework.StringCheck{Summary: "Invalid repository", Desc: "\"owner/repo\" or a repository name", Check: validateRepository}}}
	attrs["title"] = schema.StringAttribute{Required: true, PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
		MarkdownDescription: "Name of the key on GitHub. The provider registers it with its governance marker added, which is how the inventory and the drift reporter tell governed keys from others. " +
			"GitHub cannot change a deploy key, so changing it replaces the key.",
		Validators: []validator.String{framework.NotBlank("title")}}
	attrs["read_only"] = schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
		PlanModifiers: []planmodifier.Bool{boolplanmodifier.RequiresReplace()},
		MarkdownDescription: "Whether the key may only read (clone and fetch); default `true`. `false` lets it push, a privileged scope (`deploy_key:write@<owner>/<repo>`) that the provider's " +
			"`policy.forbidden_scopes` can forbid (such as `\"deploy_key:write@*\"`). GitHub cannot change a deploy key, so changing it replaces the key."}
	attrs["scopes"] = schema.SetAttribute{Optional: true, Computed: true, ElementType: types.StringType,
		PlanModifiers: []planmodifier.Set{setplanmodifier.UseStateForUnknown()},
		MarkdownDescription: "The key's scope on its repository, which `read_only` decides: `deploy_key:read@<owner>/<repo>` or `deploy_key:write@<owner>/<repo>`. " +
			"The drift reporter compares it with what GitHub reports. Leave it out; it may be set (the drift reporter's `--generate-imports` writes it) only to exactly that scope."}
	attrs["rotate_after"] = schema.StringAttribute{Optional: true,
		MarkdownDescription: "Replace the key this long after it was created, such as `\"30d\"`. Default and maximum: the provider's `policy.max_credential_age`. Plans warn before it is due.",
		Validators:          []validator.String{framework.Duration()}}
	attrs["kubernetes_secret"] = schema.SingleNestedAttribute{Required: true,
		MarkdownDescription: "The Secret the private key is delivered to, which the provider creates and owns, through the provider's `kubernetes` connection: a `kubernetes.io/ssh-auth` Secret (one an earlier version wrote `Opaque` is deleted and created again, since a Secret's type cannot change) with keys `ssh-privatekey` " +
			"(the OpenSSH private key), `ssh-publickey`, `fingerprint` and `repository`. The plan checks that the namespace exists and that no Secret of that name made by someone else " +
			"(or holding another resource's credential) is in the way, so no key is registered that cannot be delivered. Changing it replaces the key, since the private key cannot be read back. " +
			"After an import the first plan keeps the key when this Secret already holds it, and replaces it otherwise.",
		PlanModifiers: []planmodifier.Object{objectplanmodifier.RequiresReplaceIf(secretChanged,
			"Changing the Secret replaces the key; after an import the plan replaces it only when the Secret does not hold it.",
			"Changing the Secret replaces the key; after an import the plan replaces it only when the Secret does not hold it.")},
		Attributes: map[string]schema.Attribute{
			"namespace": schema.StringAttribute{Required: true, MarkdownDescription: "Namespace of the Secret.",
				Validators: []validator.String{framework.StringCheck{Summary: "Invalid namespace", Desc: "a Kubernetes namespace name", Check: framework.TrimQuoted(k8s.ValidateNamespace)}}},
			"name": schema.StringAttribute{Required: true, MarkdownDescription: "Name of the Secret.",
				Validators: []validator.String{framework.StringCheck{Summary: "Invalid Secret name", Desc: "a Kubernetes object name", Check: framework.TrimQuoted(k8s.ValidateServiceAccountName)}}},
		},
	}
	attrs["delivered"] = schema.BoolAttribute{Computed: true, PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
		MarkdownDescription: "Whether the Secret holds this key. `false` after the Secret was deleted or rewritten out of band; the next plan then replaces the key."}
	attrs["key_id"] = schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "GitHub's ID of the key."}
	attrs["public_key"] = schema.StringAttribute{Computed: true, PlanModifiers: keep,
		MarkdownDescription: "The public key, `ssh-ed25519 AAAA...`, as registered on GitHub."}
	attrs["fingerprint"] = schema.StringAttribute{Computed: true, PlanModifiers: keep,
		MarkdownDescription: "The key's SHA256 fingerprint (`SHA256:...`), as `ssh-keygen -l` and the repository's settings show it."}
	attrs["created_at"] = schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "When GitHub registered the key (RFC 3339)."}
	attrs["rotation_due_at"] = schema.StringAttribute{Computed: true,
		MarkdownDescription: "When a plan will replace the key: `created_at` plus `rotate_after`. Reference the resource in `replace_triggered_by` to roll consumers with it."}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A governed deploy key of a GitHub repository: an SSH key the provider generates (ed25519), registers on the repository and delivers to a Kubernetes Secret, " +
			"with an owner, a purpose and an expiry, rotated through plans: once `rotate_after` (default and maximum: the provider's `policy.max_credential_age`) has passed since the key " +
			"was created, a plan replaces it, and warns before.\n\n" +
			"**The private key is never in Terraform state, plans or logs.** The provider writes it straight into the Secret named by `kubernetes_secret` (key `ssh-privatekey`, " +
			"OpenSSH format), where workloads mount it; only the public key and its fingerprint are in state. If that Secret is deleted the key is lost, so the next plan replaces it.\n\n" +
			"With `lifecycle { create_before_destroy = true }` a rotation registers the new key and rewrites the Secret first, then deletes the old key; the old key's deletion " +
			"leaves the Secret alone because it no longer holds that key. Without it the old key and Secret go first.\n\n" +
			"Keys are read-only unless `read_only = false`. GitHub cannot change a deploy key: a new `title`, `read_only` or `repository` replaces it. Owner, purpose and expiry are " +
			"recorded in Terraform state (the key's title carries only the provider's marker), where the drift reporter reads them.\n\n" +
			"**Import** by `<owner>/<repo>/<key_id>`. The private key cannot be recovered by import: the first plan keeps the key only when the Secret named by `kubernetes_secret` " +
			"already holds it (a Secret this provider wrote), and otherwise replaces it with a new key delivered there, and says so.",
		Attributes: attrs,
	}
}

// secretChanged replaces the key when the Secret it was delivered to
// changes. An imported key has no Secret in state yet: ModifyPlan decides
// then, since that needs the provider's connections.
func secretChanged(_ context.Context, req planmodifier.ObjectRequest, resp *objectplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull()
}

// delivery is the Kubernetes connection of the provider, through which the
// private key is delivered to its Secret.
func delivery(pd *framework.ProviderData) *framework.Lazy[*k8s.Client] {
	return framework.Connection[*k8s.Client](pd, k8s.SystemName)
}

func (r *deployKeyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = framework.ProviderDataFrom(req.ProviderData, &resp.Diagnostics)
}

// splitRepository resolves repository into owner and name: "owner/repo" as
// is, a bare name in the client's organization. ok is false, with an
// attribute error, when a bare name has no organization to belong to.
func splitRepository(c *gh.Client, repo string, diags *diag.Diagnostics) (owner, name string, ok bool) {
	if o, n, full := strings.Cut(repo, "/"); full {
		return o, n, true
	}
	org := c.Organization()
	if org == "" {
		diags.AddAttributeError(path.Root("repository"), "Repository has no owner",
			fmt.Sprintf("repository %q is a bare name, which means a repository of the provider's github.organization, but github.organization is not set. "+
				"Write \"<owner>/%s\", or set organization in the provider's github block.", repo, repo))
		return "", "", false
	}
	return org, repo, true
}

func (r *deployKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.pd == nil {
		return
	}
	var plan deployKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	var state *deployKeyModel
	var stateGov *framework.GovernanceValues
	if !req.State.Raw.IsNull() {
		state = &deployKeyModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if !state.Owner.IsNull() { // null after an import: the governance is new
			g := state.governance()
			stateGov = &g
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if state != nil && resp.Private != nil && state.ID.ValueString() != "" {
		// The key this instance holds. A replacement's create is planned
		// again with no prior state but with this private state, and reads
		// it so that the Secret holding this key is not taken for another
		// resource's.
		b, _ := json.Marshal(state.ID.ValueString())
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateHeldKey, b)...)
	}
	subject := plan.subject()
	g := framework.PlanGovernance(ctx, r.pd, subject, plan.governance(), stateGov, &resp.Diagnostics)
	period := framework.RotationPeriod(r.pd, plan.RotateAfter, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.Status, _ = framework.PlanStatusAndScopes(g, nil, nil, &resp.Diagnostics)

	c, connected := conn(r.pd).ForPlan(ctx, &resp.Diagnostics) // not while the provider configuration is unknown: checked at apply
	if resp.Diagnostics.HasError() {
		return
	}
	owner, repo, resolved := "", "", false
	if connected && !plan.Repository.IsUnknown() {
		owner, repo, resolved = splitRepository(c, plan.Repository.ValueString(), &resp.Diagnostics)
	}
	var cfgScopes types.Set
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("scopes"), &cfgScopes)...)
	switch {
	case !cfgScopes.IsNull():
		// Configured (a generated import block): it must be the scope
		// read_only gives, and is planned as written.
		if resolved && !plan.ReadOnly.IsUnknown() && !cfgScopes.IsUnknown() {
			checkScopes(ctx, cfgScopes, Scope(owner, repo, plan.ReadOnly.ValueBool()), &resp.Diagnostics)
		}
	case resolved && !plan.ReadOnly.IsUnknown():
		plan.Scopes = framework.StringSet([]string{Scope(owner, repo, plan.ReadOnly.ValueBool())})
	case state != nil && plan.ReadOnly.Equal(state.ReadOnly) && plan.Repository.Equal(state.Repository):
		plan.Scopes = state.Scopes
	default:
		plan.Scopes = types.SetUnknown(types.StringType)
	}
	if !plan.ReadOnly.IsUnknown() && !plan.ReadOnly.ValueBool() {
		checkWriteAllowed(r.pd, owner, repo, plan.Repository.ValueString(), &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}

	if state == nil {
		if resolved {
			checkRepository(ctx, c, owner, repo, &resp.Diagnostics)
		}
		if ref, ok := plan.secretRef(); ok && resolved {
			r.checkDelivery(ctx, ref, ownCredential(owner, repo), &resp.Diagnostics)
			if !resp.Diagnostics.HasError() {
				r.checkSharedSecret(ctx, c, ref, owner, repo, &plan, heldKey(ctx, req.Private, &resp.Diagnostics), &resp.Diagnostics)
			}
		}
		plan.RotationDueAt = types.StringUnknown()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}

	replace := func(because path.Path) {
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		framework.PlanReplace(ctx, resp, because, []string{"rotation_due_at", "id", "key_id", "public_key", "fingerprint", "created_at"}, []string{"delivered"})
	}
	if repoChanged(c, connected, state, &plan, &resp.Diagnostics) {
		if resolved {
			checkRepository(ctx, c, owner, repo, &resp.Diagnostics)
		}
		replace(path.Root("repository"))
		return
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if state.KubernetesSecret.IsNull() && !plan.KubernetesSecret.IsNull() {
		// Imported by <owner>/<repo>/<key ID>: keep the key when the Secret
		// the configuration names already holds it.
		if !r.adopt(ctx, &plan, state, &resp.Diagnostics) {
			replace(path.Root("kubernetes_secret"))
			return
		}
	}
	disabling := plan.Status.ValueString() == string(nhi.StatusDisabled)
	switch {
	case state.disabled() && disabling:
		// Deleted on expiry, and still expired: nothing left to do.
		plan.RotationDueAt = types.StringNull()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	case state.disabled() && !plan.Status.IsUnknown():
		resp.Diagnostics.AddAttributeWarning(path.Root("expires_at"), "The disabled key is replaced by a new one",
			fmt.Sprintf("The %s was deleted from GitHub when it expired. With expires_at extended, this plan registers a new key and delivers it to its Secret.", subject))
		replace(path.Root("expires_at"))
		return
	case disabling:
		// PlanGovernance warned: the apply deletes the key and its Secret.
		plan.RotationDueAt, plan.Delivered = types.StringNull(), types.BoolValue(false)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	if !state.Delivered.IsNull() && !state.Delivered.ValueBool() {
		ref, _ := state.secretRef()
		resp.Diagnostics.AddAttributeWarning(path.Root("kubernetes_secret"), "The Secret no longer holds the key, so this plan replaces it",
			fmt.Sprintf("Secret %s does not hold deploy key %s any more (deleted or rewritten out of band). The private key exists nowhere else, "+
				"so the key is replaced by a new one delivered to the Secret.", ref, state.ID.ValueString()))
		replace(path.Root("rotation_due_at"))
		return
	}
	if plan.RotateAfter.IsUnknown() {
		plan.RotationDueAt = types.StringUnknown()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	rot, ok := framework.PlanRotation(r.pd, subject, "deploy key", state.CreatedAt.ValueString(), period, &resp.Diagnostics)
	if ok && rot.Replace {
		replace(path.Root("rotation_due_at"))
		return
	}
	plan.RotationDueAt = types.StringNull()
	if ok {
		plan.RotationDueAt = types.StringValue(nhi.FormatTime(rot.Due))
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// repoChanged reports whether the planned repository is another one than
// the key's: "app" and "acme/app" are one repository when acme is the
// provider's organization. Without a connection only the text is compared.
func repoChanged(c *gh.Client, connected bool, state, plan *deployKeyModel, diags *diag.Diagnostics) bool {
	if plan.Repository.IsUnknown() {
		return true
	}
	if plan.Repository.Equal(state.Repository) {
		return false
	}
	if !connected {
		return true
	}
	var d diag.Diagnostics // a bare name without organization is reported once, for the plan
	po, pn, ok1 := splitRepository(c, plan.Repository.ValueString(), &d)
	so, sn, ok2 := splitRepository(c, state.Repository.ValueString(), &d)
	return !ok1 || !ok2 || !strings.EqualFold(po, so) || !strings.EqualFold(pn, sn)
}

// checkWriteAllowed refuses a write key when the policy forbids its scope.
func checkWriteAllowed(pd *framework.ProviderData, owner, repo, configured string, diags *diag.Diagnostics) {
	if owner == "" {
		// Not resolved yet: check the scope of any owner, since a policy
		// forbidding "deploy_key:write@*" forbids it whatever the owner.
		owner, repo = "*", configured
		if o, n, full := strings.Cut(configured, "/"); full {
			owner, repo = o, n
		}
	}
	scope := Scope(owner, repo, false)
	if pat := pd.Policy.ForbiddenMatch(scope); pat != "" {
		diags.AddAttributeError(path.Root("read_only"), "Write deploy keys are forbidden by policy",
			fmt.Sprintf("read_only = false makes this a deploy key that can push to %s/%s (scope %q), which the provider's policy.forbidden_scopes forbids (it matches %q). "+
				"Set read_only = true (the default) for a key that clones and fetches only, or push with a GitHub App instead.", owner, repo, scope, pat))
	}
}

// checkScopes refuses configured scopes other than the one scope that
// read_only gives the key.
func checkScopes(ctx context.Context, configured types.Set, want string, diags *diag.Diagnostics) {
	got := framework.SetStrings(ctx, configured, diags)
	if len(got) == 1 && got[0] == want {
		return
	}
	diags.AddAttributeError(path.Root("scopes"), "Scopes do not match read_only",
		fmt.Sprintf("scopes is %q, but a deploy key's scope follows from read_only and repository: this key's is [%q]. Remove scopes (it is computed), "+
			"or set it to exactly that; to change what the key may do, change read_only.", got, want))
}

// checkRepository makes sure the repository exists and is visible to the
// provider's credentials before a key is generated for it.
func checkRepository(ctx context.Context, c *gh.Client, owner, repo string, diags *diag.Diagnostics) {
	ok, err := c.RepositoryExists(ctx, owner, repo)
	switch {
	case err != nil:
		diags.AddAttributeError(path.Root("repository"), "Cannot check the repository", err.Error())
	case !ok:
		diags.AddAttributeError(path.Root("repository"), "Repository not found",
			fmt.Sprintf("Repository %s/%s does not exist, or the provider's GitHub credentials may not see it (GitHub answers both the same way). "+
				"Check the name, and that the token or App installation has access to the repository with the Administration permission (deploy keys need it).", owner, repo))
	}
}

// checkDelivery makes sure, before a key exists, that it can be delivered:
// the Kubernetes connection works, the namespace exists, and the Secret is
// absent or this provider's Secret of a key of this repository.
func (r *deployKeyResource) checkDelivery(ctx context.Context, ref nhi.Ref, ours func(string) bool, diags *diag.Diagnostics) {
	k, ok := delivery(r.pd).ForPlan(ctx, diags) // not while the provider configuration is unknown: checked at apply
	if !ok {
		return
	}
	if err := k.CheckDeliveryTargetFor(ctx, ref, ours); err != nil {
		diags.AddAttributeError(path.Root("kubernetes_secret"), "The deploy key cannot be delivered there",
			fmt.Sprintf("kubernetes_secret %s: %v. The private key exists only in that Secret, so no key is registered until it has somewhere to go.", ref, err))
	}
}

// privateHeldKey is the private state key recording the ID of the key a
// resource instance holds, for the plan of its replacement.
const privateHeldKey = "held_key"

// privateData is the private state of a plan request.
type privateData interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

// heldKey is the key the instance a plan replaces holds ("" for a new
// resource).
func heldKey(ctx context.Context, p privateData, diags *diag.Diagnostics) string {
	if p == nil {
		return ""
	}
	b, d := p.GetKey(ctx, privateHeldKey)
	diags.Append(d...)
	var id string
	if len(b) > 0 && json.Unmarshal(b, &id) != nil {
		return ""
	}
	return id
}

// checkSharedSecret refuses, for a new key, a Secret that holds a deploy
// key of the same repository which still exists on GitHub and is not the
// key this plan replaces: another nhi_github_deploy_key's, and two keys in
// one Secret would overwrite each other's private key on every apply
// (checkDelivery refuses other repositories' keys and other credentials).
// A key since deleted on GitHub is a leftover the delivery replaces.
//
// replaced is known when the plan replaces a key. The apply plans a
// create_before_destroy replacement again with neither the prior state nor
// its private state, while the old key still exists, so without it the
// old key is told from another resource's by what a replacement keeps: the
// key's title (a rotation), or the owner and purpose the Secret records (a
// new title).
func (r *deployKeyResource) checkSharedSecret(ctx context.Context, c *gh.Client, ref nhi.Ref, owner, repo string, plan *deployKeyModel, replaced string, diags *diag.Diagnostics) {
	k, ok := delivery(r.pd).ForPlan(ctx, diags)
	if !ok {
		return
	}
	d, err := k.ReadDeliveredCredential(ctx, ref)
	held := d.CredentialID
	if err != nil || held == "" || held == replaced || !ownCredential(owner, repo)(held) {
		return // absent, or judged by checkDelivery
	}
	sameGovernance := replaced == "" && d.Governance.Owner == plan.Owner.ValueString() && d.Governance.Purpose == plan.Purpose.ValueString()
	_, _, keyID, err := gh.ParseImportID(held)
	if err != nil {
		return // not a key this provider delivered: nothing to overwrite
	}
	key, err := c.GetDeployKey(ctx, owner, repo, keyID)
	switch {
	case errors.Is(err, nhi.ErrNotFound), err == nil && key.Governed && (key.Name == plan.Title.ValueString() || sameGovernance):
	case err != nil:
		diags.AddAttributeError(path.Root("kubernetes_secret"), "Cannot check the deploy key the Secret holds",
			fmt.Sprintf("kubernetes_secret %s holds deploy key %s, and reading that key from GitHub failed: %v. The plan checks that the key is gone, "+
				"or is the one this plan replaces, so that two resources do not share one Secret; run the plan again.", ref, held, err))
	default:
		diags.AddAttributeError(path.Root("kubernetes_secret"), "The Secret holds another deploy key",
			fmt.Sprintf("kubernetes_secret %s already holds deploy key %s (title %q) of repository %s/%s, which another nhi_github_deploy_key delivered there. "+
				"Two keys in one Secret would overwrite each other's private key on every apply. Give this key a Secret of its own (another name), "+
				"or, if that key is no longer wanted, destroy its resource first. (Under create_before_destroy a replacement that changes the title and the owner or "+
				"purpose at once cannot be told from another resource's key: change them in two applies.)", ref, held, key.Name, owner, repo))
	}
}

// adopt reports whether an imported key can be kept: the Secret the
// configuration names holds it. It always says that the private key cannot
// be recovered by import, and why the key is kept or replaced.
func (r *deployKeyResource) adopt(ctx context.Context, plan, state *deployKeyModel, diags *diag.Diagnostics) bool {
	id := state.ID.ValueString()
	ref, known := plan.secretRef()
	if !known {
		diags.AddAttributeWarning(path.Root("kubernetes_secret"), "The imported deploy key is replaced",
			fmt.Sprintf("kubernetes_secret is not known until apply, so the plan cannot check that it holds deploy key %s. An import cannot recover a private key, "+
				"so the key is replaced by a new one delivered there.", id))
		return false
	}
	k, ok := delivery(r.pd).OrDiag(ctx, diags)
	if !ok {
		return false
	}
	held, err := k.DeliveredCredentialID(ctx, ref)
	switch {
	case err != nil && !k8s.IsNotFound(err):
		diags.AddAttributeError(path.Root("kubernetes_secret"), "Cannot read the deploy key's Secret", err.Error())
		return false
	case err == nil && held == id:
		diags.AddAttributeWarning(path.Root("kubernetes_secret"), "The imported deploy key is kept: its Secret holds it",
			fmt.Sprintf("Secret %s holds deploy key %s, as this provider delivered it, so the key is kept and this plan only records the Secret. "+
				"An import cannot recover a private key: had the Secret not held it, the key would have been replaced.", ref, id))
		plan.Delivered = types.BoolValue(true)
		return true
	}
	owner, repo, _ := strings.Cut(strings.TrimSuffix(id, "/"+state.KeyID.ValueString()), "/")
	if err := k.CheckDeliveryTargetFor(ctx, ref, ownCredential(owner, repo)); err != nil {
		// A replacement would delete the key first and then fail to
		// deliver the new one: refuse before anything is deleted.
		diags.AddAttributeError(path.Root("kubernetes_secret"), "The imported deploy key cannot be kept or replaced there",
			fmt.Sprintf("kubernetes_secret %s: %v. An import cannot recover a private key, so keeping deploy key %s needs the Secret this provider delivered it to, "+
				"and replacing it needs a Secret the provider may write.", ref, err, id))
		return false
	}
	diags.AddAttributeWarning(path.Root("kubernetes_secret"), "The imported deploy key is replaced: its private key cannot be recovered",
		fmt.Sprintf("Secret %s does not hold deploy key %s (it is missing, or holds another key), and an import cannot recover a private key: GitHub keeps only the public half. "+
			"So the key is replaced by a new one, delivered to the Secret; consumers of the old key must read the Secret again. To keep the key, name the Secret this provider delivered it to.", ref, id))
	return false
}

func (r *deployKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer deployKeyIdentity.AfterCreate(ctx, resp)
	var m deployKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	c, _ := conn(r.pd).OrDiag(ctx, &resp.Diagnostics)
	k, _ := delivery(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	owner, repo, ok := splitRepository(c, m.Repository.ValueString(), &resp.Diagnostics)
	if !ok {
		return
	}
	readOnly := m.ReadOnly.ValueBool()
	if !readOnly {
		// Planned while the provider configuration was unknown.
		if checkWriteAllowed(r.pd, owner, repo, m.Repository.ValueString(), &resp.Diagnostics); resp.Diagnostics.HasError() {
			return
		}
	}
	ref, _ := m.secretRef()
	// Planned while a configuration was unknown: check before anything
	// exists.
	if err := k.CheckDeliveryTargetFor(ctx, ref, ownCredential(owner, repo)); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("kubernetes_secret"), "The deploy key cannot be delivered there", fmt.Sprintf("kubernetes_secret %s: %v.", ref, err))
		return
	}
	kp, err := generateKey(owner + "/" + repo)
	if err != nil {
		resp.Diagnostics.AddError("Generating the deploy key failed", err.Error())
		return
	}
	key, err := c.CreateDeployKey(ctx, owner, repo, m.Title.ValueString(), kp.PublicKey, readOnly)
	if err != nil {
		if errors.Is(err, nhi.ErrNotFound) {
			resp.Diagnostics.AddAttributeError(path.Root("repository"), "Registering the deploy key failed",
				fmt.Sprintf("%v\n\nCheck that repository %s/%s exists and that the provider's GitHub credentials have the Administration permission on it.", err, owner, repo))
			return
		}
		resp.Diagnostics.AddAttributeError(path.Root("repository"), "Registering the deploy key failed", err.Error())
		return
	}
	r.setKey(&m, owner, repo, key)
	err = k.PutDeliveredCredential(ctx, k8s.DeliveredCredential{
		Ref: ref, CredentialID: credentialID(owner, repo, key.ID), Type: corev1.SecretTypeSSHAuth,
		Governance: nhi.Governance{Owner: m.Owner.ValueString(), Purpose: m.Purpose.ValueString()},
		Data: map[string][]byte{
			SecretKeyPrivateKey: kp.PrivateKey, SecretKeyPublicKey: []byte(kp.PublicKey + "\n"),
			SecretKeyFingerprint: []byte(kp.Fingerprint), SecretKeyRepository: []byte(owner + "/" + repo),
		},
	})
	if err != nil {
		// Undelivered, the private key is lost: remove the key again.
		derr := cleanup.Do(ctx, func(ctx context.Context) error { return c.DeleteDeployKey(ctx, owner, repo, key.ID) })
		if derr == nil {
			resp.Diagnostics.AddAttributeError(path.Root("kubernetes_secret"), "Delivering the deploy key to its Secret failed",
				fmt.Sprintf("%v\n\nThe key was deleted from %s/%s again, since nobody holds its private key.", err, owner, repo))
			return
		}
		m.Delivered = types.BoolValue(false)
		resp.Diagnostics.AddAttributeError(path.Root("kubernetes_secret"), "Delivering the deploy key to its Secret failed",
			fmt.Sprintf("%v\n\nDeleting the key from %s/%s again failed too (%v); it is recorded in state, so the next apply replaces it.", err, owner, repo, derr))
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
		return
	}
	m.Delivered = types.BoolValue(true)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// setKey records what GitHub returned for a key, and the values that
// follow from it.
func (r *deployKeyResource) setKey(m *deployKeyModel, owner, repo string, key gh.DeployKey) {
	m.ID = types.StringValue(credentialID(owner, repo, key.ID))
	m.KeyID = types.StringValue(strconv.FormatInt(key.ID, 10))
	m.ReadOnly = types.BoolValue(key.ReadOnly)
	m.Scopes = framework.StringSet([]string{Scope(owner, repo, key.ReadOnly)})
	if key.Name != "" || m.Title.IsNull() {
		m.Title = types.StringValue(key.Name)
	}
	m.PublicKey, m.Fingerprint = types.StringValue(key.PublicKey), types.StringNull()
	if canon, fp, err := publicKeyInfo(key.PublicKey); err == nil {
		m.PublicKey, m.Fingerprint = types.StringValue(canon), types.StringValue(fp)
	}
	m.CreatedAt = types.StringNull()
	if !key.CreatedAt.IsZero() {
		m.CreatedAt = types.StringValue(nhi.FormatTime(key.CreatedAt))
	}
	if m.Status.IsUnknown() || m.Status.IsNull() {
		m.Status = r.status(m)
	}
	r.setDue(m)
}

// status is the key's status as of the provider's evaluation time, for a
// key that is on GitHub.
func (r *deployKeyResource) status(m *deployKeyModel) types.String {
	id := nhi.Identity{Declared: true}
	if exp, err := nhi.ParseExpiry(m.ExpiresAt.ValueString()); err == nil && !m.ExpiresAt.IsNull() {
		id.Governance.ExpiresAt = exp
	}
	return framework.StatusValue(r.pd, id)
}

func (r *deployKeyResource) setDue(m *deployKeyModel) {
	m.RotationDueAt = types.StringNull()
	if m.disabled() {
		return
	}
	period := framework.RotationPeriod(r.pd, m.RotateAfter, &diag.Diagnostics{})
	if created, err := time.Parse(time.RFC3339, m.CreatedAt.ValueString()); err == nil {
		m.RotationDueAt = framework.RotationDueValue(created, period)
	}
}

// location is the key's owner, repository and ID from its id, which import
// and create set to "<owner>/<repo>/<key ID>".
func (m *deployKeyModel) location() (owner, repo string, id int64, ok bool) {
	owner, repo, id, err := gh.ParseImportID(m.ID.ValueString())
	return owner, repo, id, err == nil
}

func (r *deployKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer deployKeyIdentity.AfterRead(ctx, req, resp) // a key gone from GitHub keeps its prior identity
	var m deployKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	c, _ := conn(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	owner, repo, id, ok := m.location()
	if !ok {
		resp.Diagnostics.AddError("Invalid deploy key ID in state", fmt.Sprintf("The id %q is not <owner>/<repo>/<key ID>; remove the resource from state and import it again.", m.ID.ValueString()))
		return
	}
	key, err := c.GetDeployKey(ctx, owner, repo, id)
	switch {
	case errors.Is(err, nhi.ErrNotFound) && m.disabled():
		// Deleted on expiry: the resource stays until expires_at is
		// extended (a new key) or it is removed.
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
		return
	case errors.Is(err, nhi.ErrNotFound):
		resp.State.RemoveResource(ctx)
		return
	case err != nil:
		resp.Diagnostics.AddError("Reading the deploy key failed", err.Error())
		return
	}
	if m.OnExpiry.IsNull() {
		m.OnExpiry = types.StringValue(string(nhi.OnExpiryDisable)) // the default, after an import
	}
	// As found (a key recorded disabled whose deletion did not happen
	// shows its status again, so the next plan disables it again).
	m.Status = types.StringNull()
	r.setKey(&m, owner, repo, key)
	if ref, ok := m.secretRef(); ok {
		k, ok := delivery(r.pd).OrDiag(ctx, &resp.Diagnostics)
		if !ok {
			return
		}
		held, err := k.DeliveredCredentialID(ctx, ref)
		if err != nil && !k8s.IsNotFound(err) {
			resp.Diagnostics.AddError("Reading the deploy key's Secret failed", err.Error())
			return
		}
		m.Delivered = types.BoolValue(err == nil && held == m.ID.ValueString())
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *deployKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer deployKeyIdentity.AfterUpdate(ctx, resp)
	var m, prior deployKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	owner, repo, id, _ := prior.location()
	if m.disabled() && !prior.disabled() {
		// Expired with on_expiry = "disable": GitHub cannot switch a
		// deploy key off, so it is deleted, and its Secret with it.
		c, _ := conn(r.pd).OrDiag(ctx, &resp.Diagnostics)
		k, _ := delivery(r.pd).OrDiag(ctx, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
		if err := c.DeleteDeployKey(ctx, owner, repo, id); err != nil {
			resp.Diagnostics.AddError("Disabling the "+prior.subject()+" failed", err.Error()+"\n\nThe key is still on GitHub; the next plan disables it again.")
			return
		}
		if ref, ok := prior.secretRef(); ok {
			if err := k.DeleteDeliveredCredential(ctx, ref, prior.ID.ValueString()); err != nil {
				resp.Diagnostics.AddWarning("Deleting the disabled key's Secret failed",
					fmt.Sprintf("Secret %s holds the private key of deploy key %s, which was deleted from GitHub and no longer works: %v. Delete the Secret by hand.", ref, prior.ID.ValueString(), err))
			}
		}
		m.Delivered = types.BoolValue(false)
	}
	if m.Delivered.IsUnknown() {
		// Recording the Secret of an imported key.
		k, ok := delivery(r.pd).OrDiag(ctx, &resp.Diagnostics)
		if !ok {
			return
		}
		ref, _ := m.secretRef()
		held, err := k.DeliveredCredentialID(ctx, ref)
		if err != nil && !k8s.IsNotFound(err) {
			resp.Diagnostics.AddError("Reading the deploy key's Secret failed", err.Error())
			return
		}
		m.Delivered = types.BoolValue(err == nil && held == m.ID.ValueString())
	}
	if m.Status.IsUnknown() {
		m.Status = r.status(&m)
	}
	if m.Scopes.IsUnknown() {
		m.Scopes = framework.StringSet([]string{Scope(owner, repo, m.ReadOnly.ValueBool())})
	}
	r.setDue(&m)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *deployKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m deployKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	c, _ := conn(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	owner, repo, id, ok := m.location()
	if !ok {
		return // never created (an import that failed)
	}
	// Also when disabled: deleted on expiry already (GitHub answers 404,
	// which is success), unless that deletion failed.
	if err := c.DeleteDeployKey(ctx, owner, repo, id); err != nil {
		resp.Diagnostics.AddError("Deleting the "+m.subject()+" failed", err.Error())
		return
	}
	if ref, ok := m.secretRef(); ok {
		k, ok := delivery(r.pd).OrDiag(ctx, &resp.Diagnostics)
		if !ok {
			return
		}
		// Only while it still holds this key: after a create_before_destroy
		// rotation it holds the new one.
		if err := k.DeleteDeliveredCredential(ctx, ref, m.ID.ValueString()); err != nil {
			resp.Diagnostics.AddError("Deleting the deploy key's Secret failed", err.Error())
		}
	}
}

// ImportState takes "<owner>/<repo>/<key ID>". The private key cannot be
// recovered: the first plan keeps the key when the Secret named in the
// configuration holds it, and replaces it otherwise (and says so).
func (r *deployKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if deployKeyIdentity.ImportByIdentity(ctx, req, resp) {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("kubernetes_secret"), types.ObjectNull(secretAttrTypes))...)
		if !resp.Diagnostics.HasError() {
			importWarning(&resp.Diagnostics, "")
		}
		return
	}
	parts := strings.Split(req.ID, "/")
	ok := len(parts) == 3 && validateLogin(parts[0]) == nil && validateRepository(parts[1]) == nil
	if ok {
		n, err := strconv.ParseInt(parts[2], 10, 64)
		ok = err == nil && n > 0
	}
	if !ok {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("The import ID %q is not of the form <owner>/<repo>/<key ID>, such as acme-corp/payments/123456 (the key ID is the number at the end of the key's URL "+
				"in the repository's Settings > Deploy keys, or the id the inventory data sources give).", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("repository"), parts[0]+"/"+parts[1])...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("key_id"), parts[2])...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("kubernetes_secret"), types.ObjectNull(secretAttrTypes))...)
	importWarning(&resp.Diagnostics, req.ID)
}

// importWarning says, on every import, that the private key cannot be
// imported and what the first plan does about it.
func importWarning(diags *diag.Diagnostics, id string) {
	if id != "" {
		id += " "
	}
	diags.AddWarning("The private key cannot be imported",
		fmt.Sprintf("GitHub keeps only the public half of deploy key %s(its private key exists only where it was delivered). The first plan keeps the key only when the Secret named "+
			"by kubernetes_secret already holds it (a Secret this provider delivered it to); otherwise it replaces the key with a new one delivered there.", id))
}
