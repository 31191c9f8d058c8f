package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
)

// ownersDown is a report whose sources were all scanned but whose owners
// directory could not be read.
func ownersDown() drift.Report {
	r := sample()
	r.Sources = r.Sources[:1]
	r.Owners = &drift.OwnersStatus{Directory: "ldap://ldap.example.com:636", Error: "ldap://ldap.example.com:636: connecting: connection refused"}
	return r
}

func render(t *testing.T, format string, r drift.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, format, r, Options{Version: "1.2.3", BaseDir: "/repo"}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Every format says that the owners directory could not be read, as it
// says so of an incomplete source: the run is incomplete and no owner was
// judged by the directory.
func TestOwnersDirectoryUnreadable(t *testing.T) {
	r := ownersDown()
	for format, want := range map[string]string{
		"text":     "INCOMPLETE: owners directory ldap://ldap.example.com:636 could not be read: ldap://ldap.example.com:636: connecting: connection refused\n\nCRITICAL (1)\n",
		"markdown": "## Non-human identity drift\n\n> **Incomplete:** owners directory `ldap://ldap.example.com:636` could not be read: ldap://ldap.example.com:636: connecting: connection refused\n\n**3 findings",
		"sarif": `      "invocations": [
        {
          "executionSuccessful": false,
          "toolExecutionNotifications": [
            {
              "level": "error",
              "message": {
                "text": "owners directory ldap://ldap.example.com:636 could not be read: ldap://ldap.example.com:636: connecting: connection refused"
              }
            }
          ]
        }
      ],
`,
		"junit": `<testsuites name="nhi-drift" tests="3" failures="3" errors="1">` + "\n" + `  <testsuite name="prod" `,
		"junit ": `  <testsuite name="owners directory ldap://ldap.example.com:636" tests="0" failures="0" errors="1">
    <system-err>owners directory could not be read, so no owner was checked against it (NHI006): ldap://ldap.example.com:636: connecting: connection refused</system-err>
  </testsuite>
  <testsuite name="exceptions" `,
		"json": `  "sources": [
    {
      "name": "prod",
      "system": "kubernetes",
      "complete": true,
      "identities": 3
    }
  ],
  "owners": {
    "directory": "ldap://ldap.example.com:636",
    "complete": false,
    "error": "ldap://ldap.example.com:636: connecting: connection refused"
  },
  "findings": [
`,
	} {
		if got := render(t, strings.TrimSpace(format), r); !strings.Contains(got, want) {
			t.Errorf("%s does not say the owners directory could not be read; want\n%s\nin\n%s", format, want, got)
		}
	}
}

// A directory that was read adds nothing but the JSON owners field; a run
// without an owners block has no owners field at all.
func TestOwnersDirectoryRead(t *testing.T) {
	r := ownersDown()
	r.Complete, r.Owners = true, &drift.OwnersStatus{Directory: "owners.txt", Complete: true}
	for _, format := range []string{"text", "markdown", "sarif", "junit"} {
		if got := render(t, format, r); strings.Contains(got, "owners.txt") || strings.Contains(got, "INCOMPLETE") || strings.Contains(got, "Incomplete") {
			t.Errorf("%s mentions a directory that was read:\n%s", format, got)
		}
	}
	if got := render(t, "sarif", r); !strings.Contains(got, `"invocations": [
        {
          "executionSuccessful": true
        }
      ],`) {
		t.Errorf("sarif invocation of a complete run with a directory that was read:\n%s", got)
	}
	want := `  ],
  "owners": {
    "directory": "owners.txt",
    "complete": true
  },
  "findings": [
`
	if got := render(t, "json", r); !strings.Contains(got, want) {
		t.Errorf("json owners field: want\n%s\nin\n%s", want, got)
	}
	r.Owners = nil
	if got := render(t, "json", r); strings.Contains(got, `"owners"`) {
		t.Errorf("json has an owners field without an owners block:\n%s", got)
	}
}
