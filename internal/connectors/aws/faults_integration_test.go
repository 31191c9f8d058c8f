package aws_test

// Creates that are safe to repeat, against versitygw behind the project's
// IAM fake (internal/testenv/iamfake), which can carry a request out and
// then lose its answer (a reset connection, or a 5xx), and behind the fault
// proxy (internal/testenv/faultproxy) with random throttling, 503s and
// resets.

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
)

const tokenTag = "nhi:create-token"

// usersNamed counts the users IAM lists with this name (versitygw ignores
// PathPrefix filters, so the whole list is read).
func usersNamed(t *testing.T, raw *iam.Client, name string) int {
	t.Helper()
	n := 0
	p := iam.NewListUsersPaginator(raw, &iam.ListUsersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.Users {
			if aws.ToString(u.UserName) == name {
				n++
			}
		}
	}
	return n
}

func rolesNamed(t *testing.T, raw *iam.Client, name string) int {
	t.Helper()
	n := 0
	p := iam.NewListRolesPaginator(raw, &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Roles {
			if aws.ToString(r.RoleName) == name {
				n++
			}
		}
	}
	return n
}

func tagKeys(tags []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// A CreateUser carried out whose answer is lost (reset, or a 5xx after the
// work): the retry meets EntityAlreadyExists, the user found carries this
// create's token, so it is adopted and finished; one user, declared and
// granted, without the token.
func TestIntegrationCreateUserLostAnswerAdopted(t *testing.T) {
	for _, lose := range []string{"reset", "5xx"} {
		t.Run(lose, func(t *testing.T) {
			c, fake := acctest.OwnFakeIAM(t, 0)
			ctx := context.Background()
			name := acctest.RandName("svc")
			if lose == "reset" {
				fake.LoseAnswer("CreateUser", 1)
			} else {
				fake.FailAction("CreateUser", http.StatusInternalServerError)
			}
			d, err := c.CreateUser(ctx, spec(name, "policy:"+readOnly, "inline:artifacts"))
			t.Cleanup(func() { _ = c.DeleteUser(context.Background(), name) })
			if err != nil {
				t.Fatalf("a create whose answer was lost should adopt the user it made: %v", err)
			}
			if n := fake.Count("CreateUser"); n != 2 {
				t.Fatalf("CreateUser sent %d times, want 2 (the lost one and the retry that met EntityAlreadyExists)", n)
			}
			raw := iamThrough(t, c)
			if n := usersNamed(t, raw, name); n != 1 {
				t.Fatalf("%d users named %s, want 1", n, name)
			}
			if !d.Declared || d.Governance.Owner != "team:platform" || strings.Join(d.EffectiveScopes, ",") != "inline:artifacts,policy:"+readOnly {
				t.Fatalf("adopted user not finished: declared=%v owner=%q scopes=%v", d.Declared, d.Governance.Owner, d.EffectiveScopes)
			}
			tags, err := raw.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			if v, ok := tagKeys(tags.Tags)[tokenTag]; ok {
				t.Fatalf("the create token %s=%s is left on the user", tokenTag, v)
			}
		})
	}
}

func TestIntegrationCreateRoleLostAnswerAdopted(t *testing.T) {
	for _, lose := range []string{"reset", "5xx"} {
		t.Run(lose, func(t *testing.T) {
			c, fake := acctest.OwnFakeIAM(t, 0)
			ctx := context.Background()
			name := acctest.RandName("ci")
			if lose == "reset" {
				fake.LoseAnswer("CreateRole", 1)
			} else {
				fake.FailAction("CreateRole", http.StatusServiceUnavailable)
			}
			d, err := c.CreateRole(ctx, roleSpec(name))
			t.Cleanup(func() { _ = c.DeleteRole(context.Background(), name) })
			if err != nil {
				t.Fatalf("a create whose answer was lost should adopt the role it made: %v", err)
			}
			if n := fake.Count("CreateRole"); n != 2 {
				t.Fatalf("CreateRole sent %d times, want 2", n)
			}
			raw := iamThrough(t, c)
			if n := rolesNamed(t, raw, name); n != 1 {
				t.Fatalf("%d roles named %s, want 1", n, name)
			}
			if !d.Declared || strings.Join(d.EffectiveScopes, ",") != "policy:"+readOnly || d.TrustPolicy == "" {
				t.Fatalf("adopted role not finished: declared=%v scopes=%v trust=%q", d.Declared, d.EffectiveScopes, d.TrustPolicy)
			}
			tags, err := raw.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := tagKeys(tags.Tags)[tokenTag]; ok {
				t.Fatal("the create token is left on the role")
			}
		})
	}
}

// A name taken by an entity without this create's token is a conflict, as
// before: directly, after a lost answer, and when the entity carries the
// token of another create (one whose answer was lost in an earlier run).
// The entity is left as it was.
func TestIntegrationCreateConflictWithoutToken(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()
	raw := iamThrough(t, c)
	for _, tc := range []struct {
		name string
		tags []types.Tag
		lose bool
	}{
		{name: "plain"},
		{name: "lost-answer", lose: true},
		{name: "other-token", tags: []types.Tag{{Key: aws.String(tokenTag), Value: aws.String("0123456789abcdef0123456789abcdef")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user, role := acctest.RandName("svc"), acctest.RandName("ci")
			if _, err := raw.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user), Tags: tc.tags}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _, _ = raw.DeleteUser(context.Background(), &iam.DeleteUserInput{UserName: aws.String(user)}) })
			if _, err := raw.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(roleSpec(role).TrustPolicy), Tags: tc.tags}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _, _ = raw.DeleteRole(context.Background(), &iam.DeleteRoleInput{RoleName: aws.String(role)}) })
			if tc.lose {
				fake.LoseAnswer("CreateUser", 1)
				fake.LoseAnswer("CreateRole", 1)
			}
			_, uerr := c.CreateUser(ctx, spec(user, "inline:artifacts"))
			_, rerr := c.CreateRole(ctx, roleSpec(role))
			for what, err := range map[string]error{"user " + user: uerr, "role " + role: rerr} {
				if !errors.Is(err, awsc.ErrAlreadyExists) || !strings.Contains(err.Error(), "exists already. Import it") {
					t.Fatalf("%s: err = %v, want the conflict error (ErrAlreadyExists, import hint)", what, err)
				}
			}
			ut, err := raw.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String(user)})
			if err != nil {
				t.Fatal(err)
			}
			if len(ut.Tags) != len(tc.tags) {
				t.Fatalf("someone else's user was changed: tags %v", tagKeys(ut.Tags))
			}
			if d, err := c.GetUser(ctx, user); err != nil || len(d.EffectiveScopes) != 0 {
				t.Fatalf("someone else's user was granted: %v %v", d.EffectiveScopes, err)
			}
		})
	}
}

// A CreateAccessKey carried out whose answer is lost: the key made (whose
// secret nobody holds) is deleted and the create repeated, so the user
// holds exactly the one key whose secret was delivered, and never more than
// two.
func TestIntegrationCreateAccessKeyLostAnswer(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()
	name := newUser(t, c, "inline:artifacts")

	var got awsc.NewAccessKey
	deliver := func(_ context.Context, k awsc.NewAccessKey) error { got = k; return nil }
	fake.LoseAnswer("CreateAccessKey", 1)
	k1, err := c.CreateDeliveredAccessKey(ctx, name, deliver)
	if err != nil {
		t.Fatalf("a key create whose answer was lost should be repeated: %v", err)
	}
	keys, err := c.ListAccessKeys(ctx, name, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ID != k1.ID || got.ID != k1.ID || got.Secret == "" {
		t.Fatalf("keys %v after a lost answer; want only the delivered %s", keys, k1.ID)
	}
	if n := fake.Count("CreateAccessKey"); n != 2 {
		t.Fatalf("CreateAccessKey sent %d times, want 2", n)
	}
	useKey(t, got)
	first := got

	// With one key held, a lost answer (5xx after the work) must not end
	// in three keys, nor be refused for the lost one's slot.
	fake.FailAction("CreateAccessKey", http.StatusInternalServerError)
	k2, err := c.CreateDeliveredAccessKey(ctx, name, deliver)
	if err != nil {
		t.Fatalf("second key: %v", err)
	}
	keys, ids := heldKeys(t, c, name)
	if len(keys) != 2 || !ids[first.ID] || !ids[k2.ID] {
		t.Fatalf("keys %v, want exactly %s and %s", keys, first.ID, k2.ID)
	}
	useKey(t, got)
}

// Answers lost on every attempt: the create gives up after its bound and
// leaves no key behind.
func TestIntegrationCreateAccessKeyGivesUpCleanly(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()
	name := newUser(t, c, "inline:artifacts")
	fake.LoseAnswer("CreateAccessKey", 5)
	_, err := c.CreateAccessKey(ctx, name)
	if err == nil || !strings.Contains(err.Error(), "nothing was left behind") {
		t.Fatalf("err = %v, want a failure saying nothing was left behind", err)
	}
	if n := fake.Count("CreateAccessKey"); n != 3 {
		t.Fatalf("CreateAccessKey sent %d times, want 3 (the bound)", n)
	}
	if keys, err := c.ListAccessKeys(ctx, name, false); err != nil || len(keys) != 0 {
		t.Fatalf("keys left: %v %v", keys, err)
	}
}

// An apply cancelled while IAM carries out the create: what was made is
// nobody's (Terraform records nothing), so it is deleted again.
func TestIntegrationCreateCancelledInFlightLeavesNothing(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 0)
	name := acctest.RandName("svc")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake.AfterAction("CreateUser", cancel)
	_, err := c.CreateUser(ctx, spec(name, "inline:artifacts"))
	if err == nil || !strings.Contains(err.Error(), "deleted again") {
		_ = c.DeleteUser(context.Background(), name)
		t.Fatalf("err = %v, want a failure saying the user was deleted again", err)
	}
	if _, gerr := c.GetUser(context.Background(), name); !awsc.IsNotFound(gerr) {
		_ = c.DeleteUser(context.Background(), name)
		t.Fatalf("the cancelled create left user %s behind: %v", name, gerr)
	}

	user := acctest.RandName("svc")
	if _, err := c.CreateUser(context.Background(), spec(user, "inline:artifacts")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteUser(context.Background(), user) })
	kctx, kcancel := context.WithCancel(context.Background())
	defer kcancel()
	fake.AfterAction("CreateAccessKey", kcancel)
	// The cancel runs once IAM has made the key; whether the SDK still reads
	// the answer first is a race. Either way no key may remain whose secret
	// nobody holds: a failed create leaves none, a create that returned its
	// key leaves exactly that one.
	k, err := c.CreateAccessKey(kctx, user)
	keys, lerr := c.ListAccessKeys(context.Background(), user, false)
	switch {
	case lerr != nil:
		t.Fatal(lerr)
	case err != nil && len(keys) != 0:
		t.Fatalf("the cancelled key create (%v) left keys behind: %v", err, keys)
	case err == nil && (len(keys) != 1 || keys[0].ID != k.ID):
		t.Fatalf("the key create returned %s but the user holds %v", k.ID, keys)
	}
}

// Two users, roles and keys created through the fault proxy at 20% random
// faults (throttling with IAM's error document, bodiless 503s, resets
// before forwarding, answers lost after forwarding), and besides each
// create meets a fault of its own: the proxy aims at CreateUser and
// CreateRole (the first request of their calls), the fake loses a
// CreateAccessKey answer after making the key (the proxy cannot aim at it:
// the Query API names the action in the body). Every create succeeds,
// exactly one of each exists, and the requests stay within 2.5x a
// fault-free run of the same creates (which make only 46 requests, so the
// six aimed faults and their recovery weigh much).
func TestIntegrationCreatesThroughFaultProxy(t *testing.T) {
	srv := acctest.FaultyIAM(t, faultproxy.Config{Seed: 12})
	c := srv.Client(t, 0)
	direct := srv.DirectClient(t)
	raw := iamThrough(t, direct)
	ctx := context.Background()

	// aimed[i] are the faults of iteration i's CreateUser and CreateRole.
	aimed := [][2]faultproxy.Fault{{faultproxy.LostAnswer, faultproxy.Reset}, {faultproxy.Unavailable, faultproxy.LostAnswer}}
	aim := func(f faultproxy.Fault) {
		if _, err := srv.Proxy.AddRule(faultproxy.Rule{Method: http.MethodPost, Fault: f, Times: 1}); err != nil {
			t.Fatal(err)
		}
	}
	run := func(tag string, faults bool) (users, roles []string, keys map[string]awsc.NewAccessKey) {
		keys = map[string]awsc.NewAccessKey{}
		for i := 0; i < len(aimed); i++ {
			u, r := acctest.RandName("svc"), acctest.RandName("ci")
			users, roles = append(users, u), append(roles, r)
			t.Cleanup(func() { _ = direct.DeleteUser(context.Background(), u); _ = direct.DeleteRole(context.Background(), r) })
			if faults {
				aim(aimed[i][0])
			}
			if _, err := c.CreateUser(ctx, spec(u, "policy:"+readOnly, "inline:artifacts")); err != nil {
				t.Fatalf("%s: user %d: %v", tag, i, err)
			}
			if faults {
				aim(aimed[i][1])
			}
			if _, err := c.CreateRole(ctx, roleSpec(r)); err != nil {
				t.Fatalf("%s: role %d: %v", tag, i, err)
			}
			if faults {
				srv.Fake.LoseAnswer("CreateAccessKey", 1)
			}
			k, err := c.CreateDeliveredAccessKey(ctx, u, func(_ context.Context, k awsc.NewAccessKey) error { keys[u] = k; return nil })
			if err != nil {
				t.Fatalf("%s: key %d: %v", tag, i, err)
			}
			if keys[u].ID != k.ID {
				t.Fatalf("%s: delivered %s, returned %s", tag, keys[u].ID, k.ID)
			}
		}
		return users, roles, keys
	}

	start := time.Now()
	run("fault-free", false)
	clean := srv.Proxy.Stats().Total
	cleanTime := time.Since(start)
	srv.Proxy.ResetStats()

	if err := srv.Proxy.SetRates(faultproxy.Rates{TooManyRequests: 0.08, Unavailable: 0.05, Reset: 0.04, LostAnswer: 0.03}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	users, roles, keys := run("faults", true)
	st := srv.Proxy.Stats()
	t.Logf("fault-free: %d requests in %v; with faults: %d requests (%v) in %v; at the fake, over both runs: CreateUser %d, CreateRole %d, CreateAccessKey %d, DeleteAccessKey %d",
		clean, cleanTime.Round(time.Millisecond), st.Total, st.ByFault, time.Since(start).Round(time.Millisecond),
		srv.Fake.Count("CreateUser"), srv.Fake.Count("CreateRole"), srv.Fake.Count("CreateAccessKey"), srv.Fake.Count("DeleteAccessKey"))
	if err := srv.Proxy.SetRates(faultproxy.Rates{}); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if n := usersNamed(t, raw, u); n != 1 {
			t.Fatalf("%d users named %s", n, u)
		}
		ks, err := direct.ListAccessKeys(ctx, u, false)
		if err != nil || len(ks) != 1 || ks[0].ID != keys[u].ID {
			t.Fatalf("user %s holds keys %v (%v), want only the delivered %s", u, ks, err, keys[u].ID)
		}
		useKey(t, keys[u])
	}
	for _, r := range roles {
		if n := rolesNamed(t, raw, r); n != 1 {
			t.Fatalf("%d roles named %s", n, r)
		}
	}
	if st.ByFault[faultproxy.None] == st.Total {
		t.Fatal("no faults were injected; the test proves nothing")
	}
	if limit := clean * 5 / 2; st.Total > limit {
		t.Fatalf("%d requests with faults, more than 2.5x the %d of a fault-free run", st.Total, clean)
	}
}

// The token is no governance: when removing it after the create fails, the
// user is still created, reads back without it among its tags (labels),
// and the next update's tag reconciliation removes it.
func TestIntegrationLeftoverCreateTokenIsNoDrift(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()
	name := acctest.RandName("svc")
	s := spec(name, "inline:artifacts")
	fake.FailAction("UntagUser", http.StatusForbidden)
	d, err := c.CreateUser(ctx, s)
	t.Cleanup(func() { _ = c.DeleteUser(context.Background(), name) })
	if err != nil {
		t.Fatalf("a failed token removal must not fail the create: %v", err)
	}
	raw := iamThrough(t, c)
	tags, err := raw.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tagKeys(tags.Tags)[tokenTag]; !ok {
		t.Fatal("the token is gone although its removal was refused: the test proves nothing")
	}
	if len(d.Labels) != 1 || d.Labels["cost-center"] != "42" {
		t.Fatalf("labels = %v, want only the declared tag (the token is not one)", d.Labels)
	}
	if _, err := c.UpdateUser(ctx, s); err != nil {
		t.Fatal(err)
	}
	tags, err = raw.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tagKeys(tags.Tags)[tokenTag]; ok {
		t.Fatal("the update left the token")
	}
}

// Two creates for one user at once, the first losing its answer: the first
// cleans up only its own lost key, never the key the second just made (the
// creates of one user are serialised in the process).
func TestIntegrationParallelKeyCreatesKeepEachOthersKeys(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()
	name := newUser(t, c, "inline:artifacts")

	var wg sync.WaitGroup
	var second awsc.NewAccessKey
	var secondErr error
	fake.LoseAnswer("CreateAccessKey", 1)
	// Once IAM made the first key, and while its answer is still on the
	// way (to be lost), a second create for the same user starts. The
	// next CreateAccessKey carried out (the second's, were it not kept
	// waiting for the first) holds its answer back for a second, so the
	// first's cleanup runs while that key is made but not yet handed out.
	fake.AfterAction("CreateAccessKey", func() {
		fake.AfterAction("CreateAccessKey", func() { time.Sleep(time.Second) })
		wg.Add(1)
		go func() {
			defer wg.Done()
			second, secondErr = c.CreateAccessKey(ctx, name)
		}()
		time.Sleep(300 * time.Millisecond)
	})
	first, err := c.CreateAccessKey(ctx, name)
	wg.Wait()
	if err != nil || secondErr != nil {
		t.Fatalf("creates failed: first %v, second %v", err, secondErr)
	}
	keys, ids := heldKeys(t, c, name)
	if len(keys) != 2 || !ids[first.ID] || !ids[second.ID] {
		t.Fatalf("keys %v; want exactly the two handed out, %s and %s", keys, first.ID, second.ID)
	}
}

// One create's key handed out, then IAM's listing lags and the next
// create's "before" misses it; that create loses an answer: its cleanup
// deletes only the lost answer's key, never the first one handed out.
func TestIntegrationLaggingListingKeepsDeliveredKey(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()
	name := newUser(t, c, "inline:artifacts")

	// Two listings leave out the keys made from now on: the first
	// create's "before" (nothing to hide) and the second's (the first
	// key, just made). The second's cleanup sees every key.
	fake.HideNewKeys(2)
	first, err := c.CreateAccessKey(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	fake.LoseAnswer("CreateAccessKey", 1)
	second, err := c.CreateAccessKey(ctx, name)
	if err != nil {
		t.Fatalf("second create: %v", err)
	}
	keys, ids := heldKeys(t, c, name)
	if len(keys) != 2 || !ids[first.ID] || !ids[second.ID] {
		t.Fatalf("keys %v; want exactly the two handed out, %s and %s", keys, first.ID, second.ID)
	}
}

// A lost answer's key that IAM's listing does not show yet fills the user:
// the repeats meet LimitExceeded with nothing to delete. The create waits
// between them, and in the end says the user is full (ErrTooManyKeys) and
// that a lost key may not be visible yet, not that nothing was left.
func TestIntegrationCreateAccessKeyFullOfInvisibleKey(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()
	name := newUser(t, c, "inline:artifacts")
	if _, err := c.CreateAccessKey(ctx, name); err != nil {
		t.Fatal(err)
	}

	fake.HideNewKeys(10)
	fake.FailAction("CreateAccessKey", http.StatusInternalServerError)
	sent := fake.Count("CreateAccessKey")
	start := time.Now()
	_, err := c.CreateAccessKey(ctx, name)
	if err == nil || !errors.Is(err, awsc.ErrTooManyKeys) || !strings.Contains(err.Error(), "may not be visible yet") ||
		strings.Contains(err.Error(), "nothing was left behind") {
		t.Fatalf("err = %v, want ErrTooManyKeys saying a lost key may not be visible yet", err)
	}
	if n := fake.Count("CreateAccessKey") - sent; n != 3 {
		t.Fatalf("CreateAccessKey sent %d times, want 3 (the bound)", n)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Fatalf("the repeats came after %v; want a wait for the listing between them", d)
	}
}
