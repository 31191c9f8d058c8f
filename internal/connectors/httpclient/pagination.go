package httpclient

import (
	"net/http"
	"strings"
)

// NextLink returns the URL of the next page that an answer's Link header
// (RFC 8288) names with rel="next", or "" on the last page. Listings
// follow it as given and never compute page numbers: servers change how
// they page (cursors, page numbers) without notice.
func NextLink(h http.Header) string {
	return Link(h, "next")
}

// Link returns the URL of the link with relation rel, or "".
func Link(h http.Header, rel string) string {
	for _, line := range h.Values("Link") {
		for _, part := range splitLinks(line) {
			part = strings.TrimSpace(part)
			if !strings.HasPrefix(part, "<") {
				continue
			}
			end := strings.Index(part, ">")
			if end < 0 {
				continue
			}
			target := part[1:end]
			for _, param := range strings.Split(part[end+1:], ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(param), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				for _, r := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
					if strings.EqualFold(r, rel) {
						return target
					}
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header at the commas between links, not those
// inside a <URL>.
func splitLinks(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '<':
			depth++
		case '>':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
