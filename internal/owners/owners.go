package owners

import (
	"errors"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners/file"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners/ldap"
)

// Config is an owners block: exactly one directory. A SCIM 2.0 service or
// a GitHub organisation's teams would be one more field and one more
// package implementing nhi.OwnerDirectory; callers do not change.
type Config struct {
	// File is the path of an owners file.
	File string
	// LDAP is an LDAP directory.
	LDAP *ldap.Config
}

// Open returns the configured directory behind a Cache. An owners file is
// read now; an LDAP directory is validated now and contacted on the first
// lookup.
func (c Config) Open() (*Cache, error) {
	var dir nhi.OwnerDirectory
	switch {
	case c.File != "" && c.LDAP != nil:
		return nil, errors.New("an owners block takes one directory: file or ldap, not both")
	case c.File != "":
		d, err := file.Load(c.File)
		if err != nil {
			return nil, err
		}
		dir = d
	case c.LDAP != nil:
		d, err := ldap.New(*c.LDAP)
		if err != nil {
			return nil, err
		}
		dir = d
	default:
		return nil, errors.New("an owners block needs a directory: file = \"owners.txt\", or an ldap block")
	}
	return NewCache(dir), nil
}
