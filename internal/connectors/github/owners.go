package github

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	gh "github.com/google/go-github/v81/github"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var _ nhi.OwnerDirectory = (*MembersDirectory)(nil)

// MembersDirectory is an organisation's members as an owner directory
// (nhi.OwnerDirectory): an owner is a member's login ("alice" or
// "@alice", any case), or "team:<team-slug>", active while the team has a
// member. One listing of the members serves every lookup of the
// directory's life; a team costs one listing of its members. Owners given
// as e-mail addresses are not found: GitHub does not map them to logins
// for an organisation.
type MembersDirectory struct {
	c *Client

	mu      sync.Mutex
	members map[string]bool
}

// MembersDirectory returns the organisation's members as an owner
// directory.
func (c *Client) MembersDirectory() *MembersDirectory { return &MembersDirectory{c: c} }

// Name implements nhi.OwnerDirectory.
func (d *MembersDirectory) Name() string { return "GitHub organisation " + d.c.org }

// Members lists the organisation's members' logins.
func (c *Client) Members(ctx context.Context) ([]string, error) {
	us, err := listAll[*gh.User](ctx, c, c.orgPath("members"))
	if err != nil {
		return nil, c.listingError(err, "the members", "Members (read) organisation permission (members)")
	}
	out := make([]string, 0, len(us))
	for _, u := range us {
		out = append(out, u.GetLogin())
	}
	return out, nil
}

func (d *MembersDirectory) load(ctx context.Context) (map[string]bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.members != nil {
		return d.members, nil
	}
	logins, err := d.c.Members(ctx)
	if err != nil {
		return nil, err
	}
	d.members = map[string]bool{}
	for _, l := range logins {
		d.members[strings.ToLower(l)] = true
	}
	return d.members, nil
}

// Lookup implements nhi.OwnerDirectory. An error means GitHub could not
// answer; it never means the owners left.
func (d *MembersDirectory) Lookup(ctx context.Context, owners []string) (map[string]nhi.OwnerStatus, error) {
	members, err := d.load(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]nhi.OwnerStatus, len(owners))
	for _, o := range owners {
		if team, ok := nhi.TeamName(o); ok {
			st, err := d.team(ctx, team, members)
			if err != nil {
				return nil, err
			}
			out[o] = st
			continue
		}
		login := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(o), "@"))
		if members[login] {
			out[o] = nhi.ActiveOwner(nhi.OwnerPerson)
		} else {
			out[o] = nhi.UnknownOwner(nhi.OwnerPerson)
		}
	}
	return out, nil
}

func (d *MembersDirectory) team(ctx context.Context, slug string, members map[string]bool) (nhi.OwnerStatus, error) {
	us, err := listAll[*gh.User](ctx, d.c, fmt.Sprintf("orgs/%s/teams/%s/members?per_page=%d", url.PathEscape(d.c.org), url.PathEscape(slug), d.c.perPage()))
	if status(err) == 404 {
		return nhi.UnknownOwner(nhi.OwnerTeam), nil
	}
	if err != nil {
		return nhi.OwnerStatus{}, d.c.listingError(err, "the members of team "+slug, "Members (read) organisation permission (members)")
	}
	for _, u := range us {
		if members[strings.ToLower(u.GetLogin())] {
			return nhi.ActiveOwner(nhi.OwnerTeam), nil
		}
	}
	return nhi.OwnerStatus{Found: true, Kind: nhi.OwnerTeam, Reason: nhi.OwnerNoActiveMember}, nil
}
