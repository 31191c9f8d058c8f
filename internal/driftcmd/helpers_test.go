package driftcmd_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/plancheck"
)

func regexpMust(p string) *regexp.Regexp {
	return regexp.MustCompile(strings.ReplaceAll(p, " ", `\s+`))
}

// expectImporting checks that the plan imports the resource rather than
// creating it.
type importing struct{ addr string }

func expectImporting(addr string) plancheck.PlanCheck { return importing{addr} }

func (c importing) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address == c.addr {
			if rc.Change == nil || rc.Change.Importing == nil {
				resp.Error = fmt.Errorf("%s is not imported by the plan", c.addr)
			}
			return
		}
	}
	resp.Error = fmt.Errorf("%s is not in the plan", c.addr)
}

// fatalOnError returns the scenarios' must: it fails the test on a non-nil
// error.
func fatalOnError(t testing.TB) func(error) {
	return func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}
