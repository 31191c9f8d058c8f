package aws

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkResolve resolves one identity holding a ReadOnlyAccess-sized
// managed policy (1,500 action patterns, parsed once as a scan's cache
// does) and an inline policy of its own (parsed per identity).
func BenchmarkResolve(b *testing.B) {
	var acts []string
	for i := 0; i < 1500; i++ {
		acts = append(acts, fmt.Sprintf(`"svc%d:Get*"`, i))
	}
	big, err := parsed(doc(allow("["+strings.Join(acts, ",")+"]", `"*"`)))
	if err != nil {
		b.Fatal(err)
	}
	shared := policySource{scope: "policy:arn:aws:iam::aws:policy/ReadOnlyAccess", label: "policy ReadOnlyAccess", arn: "arn:aws:iam::aws:policy/ReadOnlyAccess", stmts: big}
	own := doc(allow(`["s3:GetObject","s3:PutObject"]`, `"arn:aws:s3:::artifacts/*"`), allow(`"iam:CreateAccessKey"`, `"arn:aws:iam::*:user/${aws:username}"`))
	b.ReportAllocs()
	for b.Loop() {
		stmts, err := parsed(own)
		if err != nil {
			b.Fatal(err)
		}
		if c := userCI.resolve([]policySource{shared, {scope: "inline:own", label: "inline policy own", name: "own", stmts: stmts}}); len(c) != 0 {
			b.Fatal(c)
		}
	}
}
