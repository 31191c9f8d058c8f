package postgresql

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Errors callers branch on. Every one is wrapped with what was being done;
// no message ever holds a password or a password verifier: statements that
// carry one are never quoted in an error, and the server's own messages do
// not repeat statement text.
var (
	// ErrAlreadyExists is wrapped when a role name is taken.
	ErrAlreadyExists = errors.New("already exists")
	// ErrForbidden is wrapped when the connecting role may not do what was
	// asked (SQLSTATE 42501).
	ErrForbidden = errors.New("permission denied")
	// ErrOwnsObjects is wrapped when a role cannot be deleted because it
	// owns objects.
	ErrOwnsObjects = errors.New("owns objects")
	// ErrNotReadBack is wrapped when a role was created and given its
	// grants but reading it back failed: the role exists, and the Details
	// returned with the error hold what the create wrote, so the caller
	// records it instead of orphaning it.
	ErrNotReadBack = errors.New("created, but reading it back failed")
	// ErrUnsupportedGovernance is wrapped when a role's governance document
	// carries this provider's marker but a version this provider does not
	// know (written by a newer provider).
	ErrUnsupportedGovernance = errors.New("unsupported governance document")
)

// IsNotFound reports whether err means the role (or an object a scope
// names) does not exist.
func IsNotFound(err error) bool {
	return err != nil && errors.Is(err, nhi.ErrNotFound)
}

// roleNotFound is the error of a role that does not exist.
func roleNotFound(name string) error {
	return fmt.Errorf("PostgreSQL role %q: %w", name, nhi.ErrNotFound)
}

// sqlState is the SQLSTATE of a server error, or "".
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// SQLSTATE codes the connector branches on.
const (
	stateUndefinedObject       = "42704" // role does not exist
	stateDuplicateObject       = "42710" // role already exists
	stateInsufficientPrivilege = "42501"
	stateDependentObjects      = "2BP01" // role cannot be dropped because some objects depend on it
)

// wrap adds what was being done and a sentinel for the error classes
// callers branch on.
func wrap(err error, doing string) error {
	if err == nil {
		return nil
	}
	switch sqlState(err) {
	case stateUndefinedObject:
		return fmt.Errorf("%s: %w: %w", doing, nhi.ErrNotFound, err)
	case stateDuplicateObject:
		return fmt.Errorf("%s: %w: %w", doing, ErrAlreadyExists, err)
	case stateInsufficientPrivilege:
		return fmt.Errorf("%s: %w: %w (the provider's PostgreSQL role needs CREATEROLE, and the right to grant what the scopes name: "+
			"connect as a superuser or as a role with CREATEROLE that holds those privileges WITH GRANT OPTION)", doing, ErrForbidden, err)
	}
	return fmt.Errorf("%s: %w", doing, err)
}
