package report

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/drift"
)

// SARIF 2.1.0 structures (only what the report uses). The log and its one
// run are written by SARIF itself, so that results stream.
type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	HelpURI              string         `json:"helpUri"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration map[string]any `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Kind                string             `json:"kind,omitempty"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations,omitempty"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	BaselineState       string             `json:"baselineState,omitempty"`
	Properties          map[string]any     `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

func sarifLevel(s drift.Severity) string {
	switch s {
	case drift.SeverityCritical, drift.SeverityHigh:
		return "error"
	case drift.SeverityMedium:
		return "warning"
	}
	return "note"
}

// SARIF renders SARIF 2.1.0 for code scanning: one rule per catalog entry
// with OWASP tags and security-severity, and results with locations and
// fingerprints that do not change between runs.
func SARIF(w io.Writer, r drift.Report, o Options) error {
	version := o.Version
	if version == "" {
		version = "dev"
	}
	drv := sarifDriver{Name: "terraform-provider-nhi drift", InformationURI: "https://github.com/nhi-ops/terraform-provider-nhi", Version: version}
	index := map[string]int{}
	for i, ru := range drift.Catalog {
		index[ru.ID] = i
		cat := strings.SplitN(ru.OWASP, " ", 2)[0]
		drv.Rules = append(drv.Rules, sarifRule{
			ID: ru.ID, Name: ru.Name,
			ShortDescription:     sarifText{Text: ru.Name},
			FullDescription:      sarifText{Text: ru.Description},
			HelpURI:              drift.HelpURI + "#" + strings.ToLower(ru.ID),
			Help:                 sarifText{Text: ru.Remediation},
			DefaultConfiguration: map[string]any{"level": sarifLevel(ru.Severity)},
			Properties: map[string]any{
				"tags":              []string{"security", "non-human-identity", "owasp-nhi-top10", cat},
				"security-severity": ru.Severity.SecurityScore(),
				"precision":         "high",
			},
		})
	}
	inv := sarifInvocation{ExecutionSuccessful: r.Complete}
	for _, s := range incompleteSources(r) {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level: "error", Message: sarifText{Text: "source " + s.Name + " (" + s.System + ") could not be fully scanned: " + s.Error},
		})
	}
	if o := incompleteOwners(r); o != nil {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level: "error", Message: sarifText{Text: "owners directory " + o.Directory + " could not be read: " + o.Error},
		})
	}
	// With a baseline, the results are this run's findings, then the
	// baseline's findings that are resolved (baselineState "absent"), then
	// those this run could not look for, carried over so that code scanning
	// does not close their alerts for a scan that could not see them.
	var gone, unseen []drift.Finding
	if b := r.Baseline; b != nil {
		gone, unseen = b.Absent, b.NotRechecked
		for _, n := range baselineNotes(r) {
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: "note", Message: sarifText{Text: n}})
		}
	}
	finding := func(i int) drift.Finding {
		switch {
		case i < len(r.Findings):
			return r.Findings[i]
		case i < len(r.Findings)+len(gone):
			return gone[i-len(r.Findings)]
		}
		return unseen[i-len(r.Findings)-len(gone)]
	}
	// Streamed: the results are converted and written one at a time, so a
	// large scan is never held as a whole SARIF document. The bytes are
	// those of json.Encoder with two-space indentation.
	result := func(i int) any {
		f := finding(i)
		res := sarifResult{
			RuleID: f.RuleID, RuleIndex: index[f.RuleID], Level: sarifLevel(f.Severity),
			Message: sarifText{Text: f.Message + ". " + f.Remediation},
			// Code scanning matches alerts across runs by
			// primaryLocationLineHash alone, and computes one from the
			// line when it is missing, which would merge every finding
			// located at one source block; so it is the fingerprint too.
			PartialFingerprints: map[string]string{"nhiFinding/v1": f.Fingerprint, "primaryLocationLineHash": f.Fingerprint},
			Properties: map[string]any{
				"security-severity": f.Severity.SecurityScore(), "severity": string(f.Severity), "owasp": f.OWASP,
				"identity": f.Identity,
			},
		}
		switch f.BaselineState {
		case "":
		case drift.BaselineAbsent:
			// Resolved: SARIF's "pass", at level "none".
			res.Kind, res.Level, res.BaselineState = "pass", "none", string(drift.BaselineAbsent)
			res.Message.Text = "Resolved since the baseline: " + f.Message + "."
		case drift.BaselineNotRechecked:
			res.BaselineState = string(drift.BaselineUnchanged)
			res.Properties["nhiBaselineState"] = string(drift.BaselineNotRechecked)
			res.Message.Text = "Not re-checked in this run, as found in the baseline: " + res.Message.Text
		default:
			res.BaselineState = string(f.BaselineState)
			if f.BaselinePrevious != nil {
				res.Properties["baselinePrevious"] = f.BaselinePrevious
			}
		}
		if f.Location != nil {
			res.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: fileURI(f.Location.File, o.BaseDir)},
				Region:           sarifRegion{StartLine: f.Location.Line, StartColumn: f.Location.Column},
			}}}
		}
		if f.Suppressed != nil {
			j := f.Suppressed.Reason + " (exception " + f.Suppressed.Exception + ", until " + f.Suppressed.Expires
			if f.Suppressed.Ticket != "" {
				j += ", " + f.Suppressed.Ticket
			}
			res.Suppressions = []sarifSuppression{{Kind: "external", Justification: j + ")"}}
		}
		return res
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n")
	for _, part := range []struct {
		name string
		v    any
	}{{"tool", sarifTool{Driver: drv}}, {"invocations", []sarifInvocation{inv}}} {
		fmt.Fprintf(bw, "      %q: ", part.name)
		if err := writeIndented(bw, part.v, "      "); err != nil {
			return err
		}
		bw.WriteString(",\n")
	}
	bw.WriteString("      \"results\": ")
	if err := streamArray(bw, "      ", len(r.Findings)+len(gone)+len(unseen), result); err != nil {
		return err
	}
	bw.WriteString("\n    }\n  ]\n}\n")
	return bw.Flush()
}

// fileURI is a URI reference for SARIF: relative (and escaped) inside
// base, so that code scanning maps it onto the repository, else an
// absolute file:// URI.
func fileURI(file, base string) string {
	rel := relPath(file, base)
	if !filepath.IsAbs(filepath.FromSlash(rel)) {
		return (&url.URL{Path: rel}).String()
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(rel)}).String()
}
