// Package seam checks the architecture's one rule: a system is named only
// in its own two packages (internal/connectors/<name>, internal/services/<name>)
// and its registration (internal/provider/systems.go). Everything else —
// the model, the drift engine, the reports, the drift command, the shared
// Terraform layer, the inventory data sources — learns systems from the
// registry. Its test walks the module and fails on any other mention, so
// the seam cannot erode unnoticed.
package seam

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// System is what the checker needs to know about one registered system.
type System struct {
	// Name is the system's name ("kubernetes"); Title its name for people
	// ("Kubernetes"). Each is forbidden as a word.
	Name, Title string
	// Literals are strings that name the system when they appear in a
	// string literal: its resource types and kinds.
	Literals []string
}

// Violation is one mention of a system outside its packages.
type Violation struct {
	File   string // slash-separated, relative to the module root
	Line   int
	System string
	What   string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s:%d: names system %q (%s)", v.File, v.Line, v.System, v.What)
}

// Owns reports whether file (relative, slash-separated) belongs to the
// system: its two packages and the registration.
func Owns(file, system string) bool {
	return strings.HasPrefix(file, "internal/connectors/"+system+"/") ||
		strings.HasPrefix(file, "internal/services/"+system+"/") ||
		file == "internal/provider/systems.go"
}

// Exempt reports whether a file is outside the rule: tests (which set up
// real systems), the test harness that starts the real servers, the
// generate-only tools, and test data.
func Exempt(file string) bool {
	return strings.HasSuffix(file, "_test.go") ||
		strings.HasPrefix(file, "internal/testenv/") ||
		strings.HasPrefix(file, "internal/acctest/") ||
		strings.HasPrefix(file, "tools/") ||
		strings.Contains(file, "/testdata/")
}

// CheckModule checks every Go file of the module rooted at root.
func CheckModule(root, module string, systems []System) ([]Violation, error) {
	var out []Violation
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "node_modules" || n == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if Exempt(rel) {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		vs, err := CheckFile(rel, src, module, systems)
		if err != nil {
			return err
		}
		out = append(out, vs...)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out, err
}

// CheckFile checks one file: imports of another system's packages,
// identifiers whose words name a system, and string literals that name one.
// Comments are not checked.
func CheckFile(file string, src []byte, module string, systems []System) ([]Violation, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []Violation
	seen := map[string]bool{}
	add := func(pos token.Pos, sys, what string) {
		v := Violation{File: file, Line: fset.Position(pos).Line, System: sys, What: what}
		if k := v.String(); !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	for _, s := range systems {
		if Owns(file, s.Name) {
			continue
		}
		words := map[string]bool{strings.ToLower(s.Name): true}
		for _, w := range splitWords(s.Title) {
			words[w] = true
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ImportSpec:
				p, _ := strconv.Unquote(n.Path.Value)
				for _, own := range []string{module + "/internal/connectors/" + s.Name, module + "/internal/services/" + s.Name} {
					if p == own || strings.HasPrefix(p, own+"/") {
						add(n.Pos(), s.Name, "imports "+p)
					}
				}
				return false
			case *ast.Ident:
				for _, w := range splitWords(n.Name) {
					if words[w] {
						add(n.Pos(), s.Name, "identifier "+n.Name)
					}
				}
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				v, err := strconv.Unquote(n.Value)
				if err != nil {
					v = n.Value
				}
				// The project's own module path and repository URL
				// (github.com/<owner>/<name>) name no system.
				v = strings.ReplaceAll(v, module, "")
				for _, l := range s.Literals {
					if l != "" && (v == l || strings.Contains(v, l)) {
						add(n.Pos(), s.Name, fmt.Sprintf("string %q", clip(v)))
						return true
					}
				}
				for _, w := range splitWords(v) {
					if words[w] {
						add(n.Pos(), s.Name, fmt.Sprintf("string %q", clip(v)))
						return true
					}
				}
			}
			return true
		})
	}
	return out, nil
}

var wordRun = regexp.MustCompile(`[A-Z]+[a-z0-9]*|[a-z0-9]+`)

// splitWords splits identifiers and text into lower-case words: camelCase,
// snake_case, kebab-case and prose alike ("KubernetesOrDiag" -> kubernetes,
// or, diag; "nhi_aws_iam_user" -> nhi, aws, iam, user). A run of capitals
// followed by a lower-case word keeps its last capital with that word
// ("AWSTags" -> aws, tags).
func splitWords(s string) []string {
	var out []string
	for _, m := range wordRun.FindAllString(s, -1) {
		// "AWSTags" matched as one run "AWSTags": split before the last
		// capital of a leading run of capitals.
		i := 0
		for i < len(m) && unicode.IsUpper(rune(m[i])) {
			i++
		}
		if i > 1 && i < len(m) {
			out = append(out, strings.ToLower(m[:i-1]), strings.ToLower(m[i-1:]))
			continue
		}
		out = append(out, strings.ToLower(m))
	}
	return out
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
