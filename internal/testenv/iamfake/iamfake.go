// Package iamfake is a FAKE of part of the AWS IAM Query API, for tests
// only. The test IAM server, versitygw, does not implement managed
// policies, so this proxy sits in front of it: it answers the managed-policy
// actions itself, following the request parameters, XML responses and error
// codes of the IAM API Reference (2010-05-08), and forwards every other
// request unchanged (Host header included, so versitygw checks the SigV4
// signature) to the real server.
//
// Faked actions: CreatePolicy, GetPolicy, GetPolicyVersion, DeletePolicy,
// ListPolicies, Attach/Detach/ListAttached{User,Role,Group}Policies, and IAM
// groups, which versitygw does not implement either: CreateGroup, GetGroup,
// DeleteGroup, AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser and
// Put/Get/List/DeleteGroupPolicy. It also refuses DeleteUser and DeleteRole
// while policies are attached or groups joined (DeleteConflict), as IAM
// does. It does not check signatures on the actions
// it fakes. It knows users and roles from the CreateUser/CreateRole answers
// that pass through it, so it must front the server from the start.
//
// Tests can make it answer Throttling, AccessDenied, NoSuchEntity or a 5xx
// to the next requests, carry out a request and then lose its answer (a 5xx,
// or a connection reset with no answer at all), cut its list answers into
// small pages, run a hook when an action arrives or once it was carried out,
// leave fresh access keys out of ListAccessKeys answers (IAM's listings lag
// behind its creates), and count requests per action.
package iamfake

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

const ns = "https://iam.amazonaws.com/doc/2010-05-08/"

// AWS-managed policies every account sees.
var awsManaged = map[string]string{
	"AdministratorAccess": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	"ReadOnlyAccess":      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","ec2:Describe*","iam:Get*","iam:List*"],"Resource":"*"}]}`,
	"IAMReadOnlyAccess":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:Get*","iam:List*"],"Resource":"*"}]}`,
	"AmazonS3FullAccess":  `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}`,
}

type policy struct {
	Name, Path, ARN, ID, Doc string
	Created                  time.Time
}

// Server is the fake. Use it as an http.Handler.
type Server struct {
	account string
	proxy   *httputil.ReverseProxy

	mu       sync.Mutex
	policies map[string]*policy
	attached map[string]map[string]bool // "user/<name>" or "role/<name>" -> ARNs
	known    map[string]bool            // "user/<name>", "role/<name>", "group/<name>" created through the proxy
	members  map[string]map[string]bool // group -> users
	groupDoc map[string]map[string]string
	groupAt  map[string]time.Time
	failNext []int            // statuses to answer the next requests with
	failOn   map[string][]int // the same, per action
	lose     map[string]int   // requests of an action to carry out and then reset
	hooks    map[string][]func()
	after    map[string][]func()
	pageSize int      // 0: IAM's default of 100 per page
	hideList int      // ListAccessKeys answers still to leave fresh keys out of
	hideFrom int      // keys made from this index of madeKeys on are fresh
	madeKeys []string // access key IDs made through the fake, in order
	counts   map[string]int
	seq      int
}

// New fronts the IAM server at upstream; account is the account ID used in
// the ARNs of customer-managed policies.
func New(upstream *url.URL, account string) *Server {
	s := &Server{
		account: account, policies: map[string]*policy{}, attached: map[string]map[string]bool{},
		known: map[string]bool{}, counts: map[string]int{}, failOn: map[string][]int{}, hooks: map[string][]func(){},
		lose: map[string]int{}, after: map[string][]func(){},
		members: map[string]map[string]bool{}, groupDoc: map[string]map[string]string{}, groupAt: map[string]time.Time{},
	}
	s.proxy = &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(upstream)
		r.Out.Host = r.In.Host // keep the signed Host header
	}}
	for name, doc := range awsManaged {
		arn := "arn:aws:iam::aws:policy/" + name
		s.policies[arn] = &policy{Name: name, Path: "/", ARN: arn, ID: "ANPA" + strings.ToUpper(fmt.Sprintf("%016x", len(name)*7919)), Doc: doc, Created: time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)}
	}
	return s
}

// FailNext makes the next len(statuses) requests fail: 400 answers
// Throttling, any 5xx answers ServiceFailure.
func (s *Server) FailNext(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, statuses...)
}

// FailAction makes the next len(statuses) requests of one action fail:
// 400 answers Throttling, 403 AccessDenied (credentials lacking that
// permission), 404 NoSuchEntity (as IAM does for an entity that is not yet
// visible after its creation), any 5xx ServiceFailure. A 5xx is answered
// after forwarding the request, as when IAM did the work but the answer was
// lost.
func (s *Server) FailAction(action string, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failOn[action] = append(s.failOn[action], statuses...)
}

// LoseAnswer makes the next n requests of one action be carried out (the
// user, role or key is made) and then answered with nothing: the connection
// is reset, as when the network drops IAM's answer. Unlike FailAction's
// 5xx, the client cannot tell whether the request reached IAM at all.
func (s *Server) LoseAnswer(action string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lose[action] += n
}

// AfterAction runs fn once, when the next request of action has been
// carried out and before its answer is written (a test cancels the
// caller's context there, so the work is done but the caller gave up).
// For a request whose answer LoseAnswer or FailAction's 5xx loses, fn runs
// after the work and before the loss; a request refused without being
// carried out does not run it.
func (s *Server) AfterAction(action string, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.after[action] = append(s.after[action], fn)
}

// HideNewKeys makes the next n ListAccessKeys answers leave out the access
// keys made through the fake from this call on, as IAM's eventually
// consistent listing does for a key just made.
func (s *Server) HideNewKeys(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hideList, s.hideFrom = n, len(s.madeKeys)
}

// OnAction runs fn once, when the next request of action arrives and
// before it is answered (a test cancels its context there, say).
func (s *Server) OnAction(action string, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[action] = append(s.hooks[action], fn)
}

// PageSize makes every list the fake answers (managed policies, attached
// policies, groups, group policies) return at most n items per page, with
// IsTruncated and Marker as IAM does; the IAM API Reference allows fewer
// items than MaxItems asked for. 0 restores IAM's default of 100.
func (s *Server) PageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// Count returns how many requests of an action arrived (failed ones too).
func (s *Server) Count(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[action]
}

var faked = map[string]bool{
	"CreatePolicy": true, "GetPolicy": true, "GetPolicyVersion": true, "DeletePolicy": true, "ListPolicies": true,
	"AttachUserPolicy": true, "DetachUserPolicy": true, "ListAttachedUserPolicies": true,
	"AttachRolePolicy": true, "DetachRolePolicy": true, "ListAttachedRolePolicies": true,
	"AttachGroupPolicy": true, "DetachGroupPolicy": true, "ListAttachedGroupPolicies": true,
	"CreateGroup": true, "GetGroup": true, "DeleteGroup": true, "AddUserToGroup": true, "RemoveUserFromGroup": true,
	"ListGroupsForUser": true, "PutGroupPolicy": true, "GetGroupPolicy": true, "ListGroupPolicies": true, "DeleteGroupPolicy": true,
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	for k, v := range r.URL.Query() {
		if _, ok := form[k]; !ok {
			form[k] = v
		}
	}
	action := form.Get("Action")

	s.mu.Lock()
	s.counts[action]++
	var hook func()
	if q := s.hooks[action]; len(q) > 0 {
		hook, s.hooks[action] = q[0], q[1:]
	}
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	s.mu.Lock()
	var fail int
	after, lose := false, false
	if len(s.failNext) > 0 {
		fail, s.failNext = s.failNext[0], s.failNext[1:]
	} else if q := s.failOn[action]; len(q) > 0 {
		fail, s.failOn[action] = q[0], q[1:]
		after = fail >= 500
	} else if s.lose[action] > 0 {
		s.lose[action]--
		lose = true
	}
	var done func()
	if q := s.after[action]; len(q) > 0 && (fail == 0 || after) {
		done, s.after[action] = q[0], q[1:]
	}
	s.mu.Unlock()
	if done != nil && fail == 0 && !lose {
		// Carry the request out, run the hook, then answer what IAM said.
		rec := s.carryOut(r, action, form)
		done()
		rec.writeTo(w)
		return
	}
	if done == nil {
		done = func() {}
	}
	switch {
	case lose:
		s.carryOut(r, action, form)
		done()
		resetConn(w)
		return
	case fail == http.StatusBadRequest:
		writeError(w, fail, "Throttling", "Rate exceeded")
		return
	case fail == http.StatusForbidden:
		writeError(w, fail, "AccessDenied", "User is not authorized to perform: iam:"+action)
		return
	case fail == http.StatusNotFound:
		writeError(w, fail, "NoSuchEntity", "The entity cannot be found.")
		return
	case fail >= 500 && after:
		// Do the work, lose the answer.
		s.carryOut(r, action, form)
		done()
		writeError(w, fail, "ServiceFailure", "The request processing has failed because of an unknown error, exception or failure.")
		return
	case fail >= 500:
		writeError(w, fail, "ServiceFailure", "The request processing has failed because of an unknown error, exception or failure.")
		return
	}

	if faked[action] {
		s.handle(w, action, form)
		return
	}
	if s.deleteConflict(w, action, form) {
		return
	}
	if action == "CreateAccessKey" || action == "ListAccessKeys" {
		// carryOut notes the keys made and hides fresh ones.
		s.carryOut(r, action, form).writeTo(w)
		return
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.proxy.ServeHTTP(rec, r)
	if rec.status == http.StatusOK {
		s.observe(action, form)
	}
}

// deleteConflict answers DeleteConflict, as IAM does, to the deletion of a
// user or role that still has attached policies or groups, and reports
// whether it did.
func (s *Server) deleteConflict(w http.ResponseWriter, action string, form url.Values) bool {
	if action != "DeleteUser" && action != "DeleteRole" {
		return false
	}
	kind := strings.ToLower(strings.TrimPrefix(action, "Delete"))
	key := kind + "/" + form.Get(strings.TrimPrefix(action, "Delete")+"Name")
	s.mu.Lock()
	n := len(s.attached[key])
	groups := 0
	for _, m := range s.members {
		if kind == "user" && m[form.Get("UserName")] {
			groups++
		}
	}
	s.mu.Unlock()
	switch {
	case n > 0:
		writeError(w, http.StatusConflict, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	case groups > 0:
		writeError(w, http.StatusConflict, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
	default:
		return false
	}
	return true
}

// observe tracks users and roles from successful forwarded calls.
func (s *Server) observe(action string, form url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch action {
	case "CreateUser":
		s.known["user/"+form.Get("UserName")] = true
	case "CreateRole":
		s.known["role/"+form.Get("RoleName")] = true
	case "DeleteUser":
		delete(s.known, "user/"+form.Get("UserName"))
	case "DeleteRole":
		delete(s.known, "role/"+form.Get("RoleName"))
	}
}

// carryOut does what a request asks (answering it itself or forwarding it)
// into a recorder, so the caller decides what the client hears. Users and
// roles it creates are remembered as on any successful forward.
func (s *Server) carryOut(r *http.Request, action string, form url.Values) *recorder {
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	if faked[action] {
		s.handle(rec, action, form)
		return rec
	}
	if s.deleteConflict(rec, action, form) {
		return rec
	}
	s.proxy.ServeHTTP(rec, r)
	if rec.status == http.StatusOK {
		s.observe(action, form)
		s.keys(action, rec)
	}
	return rec
}

var accessKeyID = regexp.MustCompile(`<AccessKeyId>([^<]*)</AccessKeyId>`)

// keys notes the access key a CreateAccessKey made, and leaves fresh keys
// out of a ListAccessKeys answer while HideNewKeys says so.
func (s *Server) keys(action string, rec *recorder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch action {
	case "CreateAccessKey":
		if m := accessKeyID.FindSubmatch(rec.body.Bytes()); m != nil {
			s.madeKeys = append(s.madeKeys, string(m[1]))
		}
	case "ListAccessKeys":
		if s.hideList <= 0 {
			return
		}
		s.hideList--
		hide := map[string]bool{}
		for _, id := range s.madeKeys[s.hideFrom:] {
			hide["<AccessKeyId>"+id+"</AccessKeyId>"] = true
		}
		// The key members are flat: <member>...</member> each.
		parts := strings.Split(rec.body.String(), "<member>")
		out := parts[0]
		for _, p := range parts[1:] {
			end := strings.Index(p, "</member>") + len("</member>")
			if m := accessKeyID.FindString(p[:end]); !hide[m] {
				out += "<member>" + p[:end]
			}
			out += p[end:]
		}
		rec.body.Reset()
		rec.body.WriteString(out)
		rec.header.Del("Content-Length")
	}
}

// writeTo answers what the recorder kept.
func (d *recorder) writeTo(w http.ResponseWriter) {
	for k, vs := range d.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(d.status)
	_, _ = w.Write(d.body.Bytes())
}

// recorder is a response writer that keeps the answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (d *recorder) Header() http.Header         { return d.header }
func (d *recorder) Write(b []byte) (int, error) { return d.body.Write(b) }
func (d *recorder) WriteHeader(code int)        { d.status = code }

// resetConn takes the client's connection over and closes it with a TCP
// RST, so the client reads "connection reset by peer" and no answer.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	c, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = c.Close()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) handle(w http.ResponseWriter, action string, f url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch action {
	case "CreatePolicy":
		name, path, doc := f.Get("PolicyName"), f.Get("Path"), f.Get("PolicyDocument")
		if path == "" {
			path = "/"
		}
		if name == "" || doc == "" {
			writeError(w, 400, "ValidationError", "PolicyName and PolicyDocument are required")
			return
		}
		if !json.Valid([]byte(doc)) {
			writeError(w, 400, "MalformedPolicyDocument", "Syntax errors in policy.")
			return
		}
		arn := fmt.Sprintf("arn:aws:iam::%s:policy%s%s", s.account, path, name)
		if _, ok := s.policies[arn]; ok {
			writeError(w, 409, "EntityAlreadyExists", fmt.Sprintf("A policy called %s already exists. Duplicate names are not allowed.", name))
			return
		}
		s.seq++
		p := &policy{Name: name, Path: path, ARN: arn, ID: fmt.Sprintf("ANPAFAKE%012d", s.seq), Doc: doc, Created: time.Now().UTC()}
		s.policies[arn] = p
		writeResult(w, action, "<Policy>"+s.policyXML(p)+"</Policy>")
	case "GetPolicy":
		p, ok := s.policies[f.Get("PolicyArn")]
		if !ok {
			writeError(w, 404, "NoSuchEntity", fmt.Sprintf("Policy %s does not exist or is not attachable.", f.Get("PolicyArn")))
			return
		}
		writeResult(w, action, "<Policy>"+s.policyXML(p)+"</Policy>")
	case "GetPolicyVersion":
		p, ok := s.policies[f.Get("PolicyArn")]
		if !ok || f.Get("VersionId") != "v1" {
			writeError(w, 404, "NoSuchEntity", fmt.Sprintf("Policy %s version %s does not exist or is not attachable.", f.Get("PolicyArn"), f.Get("VersionId")))
			return
		}
		writeResult(w, action, fmt.Sprintf("<PolicyVersion><Document>%s</Document><VersionId>v1</VersionId><IsDefaultVersion>true</IsDefaultVersion><CreateDate>%s</CreateDate></PolicyVersion>",
			esc(url.QueryEscape(p.Doc)), p.Created.Format(time.RFC3339)))
	case "DeletePolicy":
		arn := f.Get("PolicyArn")
		if _, ok := s.policies[arn]; !ok || strings.Contains(arn, ":aws:policy/") {
			writeError(w, 404, "NoSuchEntity", fmt.Sprintf("Policy %s does not exist or is not attachable.", arn))
			return
		}
		if s.attachments(arn) > 0 {
			writeError(w, 409, "DeleteConflict", "Cannot delete a policy attached to entities.")
			return
		}
		delete(s.policies, arn)
		writeResult(w, action, "")
	case "ListPolicies":
		scope := f.Get("Scope")
		var items []string
		for _, arn := range nhi.SortedKeys(s.policies) {
			aws := strings.Contains(arn, ":aws:policy/")
			if (scope == "Local" && aws) || (scope == "AWS" && !aws) {
				continue
			}
			if f.Get("OnlyAttached") == "true" && s.attachments(arn) == 0 {
				continue
			}
			items = append(items, "<member>"+s.policyXML(s.policies[arn])+"</member>")
		}
		s.page(w, action, "Policies", items, f)
	case "CreateGroup", "GetGroup", "DeleteGroup", "AddUserToGroup", "RemoveUserFromGroup", "ListGroupsForUser",
		"PutGroupPolicy", "GetGroupPolicy", "ListGroupPolicies", "DeleteGroupPolicy":
		s.groups(w, action, f)
	case "AttachUserPolicy", "AttachRolePolicy", "DetachUserPolicy", "DetachRolePolicy", "ListAttachedUserPolicies", "ListAttachedRolePolicies",
		"AttachGroupPolicy", "DetachGroupPolicy", "ListAttachedGroupPolicies":
		kind := "user"
		entity := f.Get("UserName")
		switch {
		case strings.Contains(action, "Role"):
			kind, entity = "role", f.Get("RoleName")
		case strings.Contains(action, "Group"):
			kind, entity = "group", f.Get("GroupName")
		}
		key := kind + "/" + entity
		if !s.known[key] {
			writeError(w, 404, "NoSuchEntity", fmt.Sprintf("The %s with name %s cannot be found.", kind, entity))
			return
		}
		if strings.HasPrefix(action, "ListAttached") {
			var items []string
			for _, arn := range nhi.SortedKeys(s.attached[key]) {
				items = append(items, fmt.Sprintf("<member><PolicyName>%s</PolicyName><PolicyArn>%s</PolicyArn></member>", esc(s.policies[arn].Name), esc(arn)))
			}
			s.page(w, action, "AttachedPolicies", items, f)
			return
		}
		arn := f.Get("PolicyArn")
		if _, ok := s.policies[arn]; !ok {
			writeError(w, 404, "NoSuchEntity", fmt.Sprintf("Policy %s does not exist or is not attachable.", arn))
			return
		}
		if strings.HasPrefix(action, "Attach") {
			if s.attached[key] == nil {
				s.attached[key] = map[string]bool{}
			}
			if !s.attached[key][arn] && len(s.attached[key]) >= 10 {
				writeError(w, 409, "LimitExceeded", fmt.Sprintf("Cannot exceed quota for PoliciesPer%s: 10", map[string]string{"user": "User", "role": "Role", "group": "Group"}[kind]))
				return
			}
			s.attached[key][arn] = true
		} else {
			if !s.attached[key][arn] {
				writeError(w, 404, "NoSuchEntity", fmt.Sprintf("Policy %s was not found.", arn))
				return
			}
			delete(s.attached[key], arn)
		}
		writeResult(w, action, "")
	}
}

// groups answers the group actions; s.mu is held.
func (s *Server) groups(w http.ResponseWriter, action string, f url.Values) {
	name, user := f.Get("GroupName"), f.Get("UserName")
	key := "group/" + name
	if action == "CreateGroup" {
		if s.known[key] {
			writeError(w, 409, "EntityAlreadyExists", fmt.Sprintf("Group with name %s already exists.", name))
			return
		}
		path := f.Get("Path")
		if path == "" {
			path = "/"
		}
		s.known[key], s.members[name], s.groupDoc[name], s.groupAt[name] = true, map[string]bool{}, map[string]string{}, time.Now().UTC()
		writeResult(w, action, "<Group>"+s.groupXML(name, path)+"</Group>")
		return
	}
	if action == "ListGroupsForUser" {
		if !s.known["user/"+user] {
			writeError(w, 404, "NoSuchEntity", fmt.Sprintf("The user with name %s cannot be found.", user))
			return
		}
		var items []string
		for _, g := range nhi.SortedKeys(s.members) {
			if s.members[g][user] {
				items = append(items, "<member>"+s.groupXML(g, "/")+"</member>")
			}
		}
		s.page(w, action, "Groups", items, f)
		return
	}
	if !s.known[key] {
		writeError(w, 404, "NoSuchEntity", fmt.Sprintf("The group with name %s cannot be found.", name))
		return
	}
	if (action == "AddUserToGroup" || action == "RemoveUserFromGroup") && !s.known["user/"+user] {
		writeError(w, 404, "NoSuchEntity", fmt.Sprintf("The user with name %s cannot be found.", user))
		return
	}
	policy := f.Get("PolicyName")
	switch action {
	case "GetGroup":
		var items []string
		for _, u := range nhi.SortedKeys(s.members[name]) {
			items = append(items, fmt.Sprintf("<member><Path>/</Path><UserName>%s</UserName><Arn>arn:aws:iam::%s:user/%s</Arn></member>", esc(u), s.account, esc(u)))
		}
		writeResult(w, action, "<Group>"+s.groupXML(name, "/")+"</Group><Users>"+strings.Join(items, "")+"</Users><IsTruncated>false</IsTruncated>")
	case "DeleteGroup":
		if len(s.members[name]) > 0 || len(s.attached[key]) > 0 || len(s.groupDoc[name]) > 0 {
			writeError(w, 409, "DeleteConflict", "Cannot delete entity, must remove users from group, detach and delete all policies first.")
			return
		}
		delete(s.known, key)
		delete(s.members, name)
		delete(s.groupDoc, name)
		writeResult(w, action, "")
	case "AddUserToGroup":
		s.members[name][user] = true
		writeResult(w, action, "")
	case "RemoveUserFromGroup":
		if !s.members[name][user] {
			writeError(w, 404, "NoSuchEntity", fmt.Sprintf("User %s is not in group %s.", user, name))
			return
		}
		delete(s.members[name], user)
		writeResult(w, action, "")
	case "PutGroupPolicy":
		if !json.Valid([]byte(f.Get("PolicyDocument"))) {
			writeError(w, 400, "MalformedPolicyDocument", "Syntax errors in policy.")
			return
		}
		s.groupDoc[name][policy] = f.Get("PolicyDocument")
		writeResult(w, action, "")
	case "GetGroupPolicy":
		doc, ok := s.groupDoc[name][policy]
		if !ok {
			writeError(w, 404, "NoSuchEntity", fmt.Sprintf("The group policy with name %s cannot be found.", policy))
			return
		}
		writeResult(w, action, fmt.Sprintf("<GroupName>%s</GroupName><PolicyName>%s</PolicyName><PolicyDocument>%s</PolicyDocument>", esc(name), esc(policy), esc(url.QueryEscape(doc))))
	case "ListGroupPolicies":
		var items []string
		for _, n := range nhi.SortedKeys(s.groupDoc[name]) {
			items = append(items, "<member>"+esc(n)+"</member>")
		}
		s.page(w, action, "PolicyNames", items, f)
	case "DeleteGroupPolicy":
		if _, ok := s.groupDoc[name][policy]; !ok {
			writeError(w, 404, "NoSuchEntity", fmt.Sprintf("The group policy with name %s cannot be found.", policy))
			return
		}
		delete(s.groupDoc[name], policy)
		writeResult(w, action, "")
	}
}

func (s *Server) groupXML(name, path string) string {
	return fmt.Sprintf("<Path>%s</Path><GroupName>%s</GroupName><GroupId>AGPAFAKE%012d</GroupId><Arn>arn:aws:iam::%s:group%s%s</Arn><CreateDate>%s</CreateDate>",
		esc(path), esc(name), len(name), s.account, esc(path), esc(name), s.groupAt[name].Format(time.RFC3339))
}

func (s *Server) attachments(arn string) int {
	n := 0
	for _, m := range s.attached {
		if m[arn] {
			n++
		}
	}
	return n
}

func (s *Server) policyXML(p *policy) string {
	return fmt.Sprintf("<PolicyName>%s</PolicyName><DefaultVersionId>v1</DefaultVersionId><PolicyId>%s</PolicyId><Path>%s</Path><Arn>%s</Arn>"+
		"<AttachmentCount>%d</AttachmentCount><IsAttachable>true</IsAttachable><CreateDate>%s</CreateDate><UpdateDate>%s</UpdateDate>",
		esc(p.Name), p.ID, esc(p.Path), esc(p.ARN), s.attachments(p.ARN), p.Created.Format(time.RFC3339), p.Created.Format(time.RFC3339))
}

// page answers a list with IAM's Marker/MaxItems pagination (default 100,
// at most pageSize when set); s.mu is held.
func (s *Server) page(w http.ResponseWriter, action, field string, items []string, f url.Values) {
	start, _ := strconv.Atoi(f.Get("Marker"))
	max, err := strconv.Atoi(f.Get("MaxItems"))
	if err != nil || max <= 0 {
		max = 100
	}
	if s.pageSize > 0 && s.pageSize < max {
		max = s.pageSize
	}
	if start > len(items) {
		start = len(items)
	}
	end := start + max
	truncated := end < len(items)
	if !truncated {
		end = len(items)
	}
	out := "<" + field + ">" + strings.Join(items[start:end], "") + "</" + field + ">"
	out += fmt.Sprintf("<IsTruncated>%t</IsTruncated>", truncated)
	if truncated {
		out += "<Marker>" + strconv.Itoa(end) + "</Marker>"
	}
	writeResult(w, action, out)
}

func writeResult(w http.ResponseWriter, action, inner string) {
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
		action, ns, action, inner, action, requestID(), action)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		ns, typ, code, esc(msg), requestID())
}

var reqSeq struct {
	sync.Mutex
	n int
}

func requestID() string {
	reqSeq.Lock()
	defer reqSeq.Unlock()
	reqSeq.n++
	return fmt.Sprintf("fake0000-0000-0000-0000-%012d", reqSeq.n)
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
