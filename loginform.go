package httpsession

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxFormPage bounds what FormLogin reads of the login page and of the
// answer to its form, and what the default logged-out test reads of a
// page it was redirected to.
const maxFormPage = 256 << 10

// FormLogin returns a LoginFunc that logs in through the HTML form of page
// (a URL, resolved against the session's base URL), as a person would:
//
//  1. it GETs page, and picks the form that holds a password field (else
//     the only form on the page);
//  2. it keeps every field's default value, hidden ones such as a CSRF
//     token included (checked boxes, selected options, a named submit
//     button as if clicked), and sets fields over them;
//  3. it submits the form to its action (the page itself without one)
//     with its method, url-encoded, following redirects.
//
// The login succeeds when the final answer has a status below 400 and is
// not the login form again (a form with a password field and the same
// field names). Otherwise its error wraps ErrLoginFailed and says why:
// "the login form came back", "the login answered 403 Forbidden", "no
// login form on the page". No value of fields is ever part of an error.
//
// With no WithLoggedOut, a session using FormLogin counts an answer
// redirected to page's path (with or without a trailing slash, any query)
// as logged out. Forms sent as multipart/form-data and logins that need
// JavaScript are out of its reach: write a LoginFunc.
func FormLogin(page string, fields url.Values) LoginFunc {
	fields = maps.Clone(fields)
	return func(ctx context.Context, s *Session) error {
		accepted, err := submitForm(ctx, s, page, fields)
		if accepted {
			// The form was taken (the POST was redirected onward), yet the
			// login form came back at the end of the redirects: the
			// session ended between the two, as when a server drops every
			// session at that moment. Once more, for that new end.
			_, err = submitForm(ctx, s, page, fields)
		}
		return err
	}
}

// errFormCameBack is FormLogin's error for a login answered by its form.
var errFormCameBack = fmt.Errorf("%w: the login form came back", ErrLoginFailed)

// submitForm logs in once through the form of page. accepted reports a
// login whose POST was answered by a redirect (the form was taken) but
// whose redirects ended on the login form again.
func submitForm(ctx context.Context, s *Session, page string, fields url.Values) (accepted bool, err error) {
	resp, err := s.Get(ctx, page)
	if err != nil {
		return false, fmt.Errorf("%w: the login page: %w", ErrLoginFailed, err)
	}
	doc, err := readPage(resp)
	if err != nil {
		return false, fmt.Errorf("%w: the login page: %w", ErrLoginFailed, err)
	}
	if resp.StatusCode >= 400 {
		return false, fmt.Errorf("%w: the login page answered %s", ErrLoginFailed, resp.Status)
	}
	pageURL := resp.Request.URL
	if s.login != nil {
		p := pageURL.Path
		s.login.page.Store(&p)
	}
	f := findLoginForm(doc)
	if f == nil {
		return false, fmt.Errorf("%w: no login form on the page", ErrLoginFailed)
	}
	values := f.values()
	for name, vs := range fields {
		values[name] = slices.Clone(vs)
	}
	action, err := pageURL.Parse(f.action)
	if err != nil || !isWebScheme(action.Scheme) {
		return false, fmt.Errorf("%w: the login form's action is not a web address", ErrLoginFailed)
	}
	// The form goes with the very cookies it was made for (a CSRF token's
	// cookie above all): the jar may be shared with other goroutines and
	// processes, whose answers can change it meanwhile. Only to the page's
	// own origin: another host gets what the jar gives it, by its rules.
	var pin RequestOption
	if strings.EqualFold(action.Scheme, pageURL.Scheme) && strings.EqualFold(action.Host, pageURL.Host) {
		pin = Cookies(pageCookies(resp)...)
	}
	if f.method == http.MethodGet {
		a := *action
		a.RawQuery = values.Encode()
		resp, err = s.Get(ctx, a.String(), pin)
	} else {
		resp, err = s.PostForm(ctx, action.String(), values, pin)
	}
	if err != nil {
		return false, fmt.Errorf("%w: sending the login form: %w", ErrLoginFailed, err)
	}
	answer, err := readPage(resp)
	if err != nil {
		return false, fmt.Errorf("%w: the login's answer: %w", ErrLoginFailed, err)
	}
	if resp.StatusCode >= 400 {
		return false, fmt.Errorf("%w: the login answered %s", ErrLoginFailed, resp.Status)
	}
	if again := findLoginForm(answer); again != nil && again.password && slices.Equal(again.names(), f.names()) {
		return movedOn(resp, pageURL, action), errFormCameBack
	}
	return false, nil
}

// movedOn reports whether the answer to a login form was redirected to a
// page other than the login page (the form was taken) before its redirects
// came back to the form. A site that answers a wrong password by a
// redirect to its login page (/login?error) did not move on.
func movedOn(resp *http.Response, page, action *url.URL) bool {
	first := resp
	for first.Request != nil && first.Request.Response != nil {
		first = first.Request.Response
	}
	if first == resp || first.StatusCode < 300 || first.StatusCode >= 400 {
		return false
	}
	loc, err := first.Location()
	if err != nil {
		return false
	}
	return !samePath(loc.Path, page.Path) && !samePath(loc.Path, action.Path)
}

// pageCookies returns the cookies a page was made with: those its request
// carried, as the answer's Set-Cookie lines left them. Those that could not
// be sent as given are left to the jar.
func pageCookies(resp *http.Response) []*http.Cookie {
	byName := make(map[string]*http.Cookie)
	var order []string
	if resp.Request != nil {
		for _, c := range parseCookieHeader(resp.Request.Header.Get("Cookie")) {
			if _, seen := byName[c.Name]; !seen {
				order = append(order, c.Name)
			}
			byName[c.Name] = c
		}
	}
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			delete(byName, c.Name)
			continue
		}
		if _, seen := byName[c.Name]; !seen {
			order = append(order, c.Name)
		}
		byName[c.Name] = &http.Cookie{Name: c.Name, Value: c.Value, Quoted: c.Quoted}
	}
	var out []*http.Cookie
	for _, name := range order {
		c, ok := byName[name]
		if ok && checkRequestCookie(c) == nil {
			out = append(out, c)
			delete(byName, name)
		}
	}
	return out
}

// maxFormDepth bounds how deeply the elements of a page FormLogin parses
// nest: the HTML parser's cost grows with the square of the depth, and no
// login page nests anywhere near this.
const maxFormDepth = 1024

// readPage reads up to maxFormPage of an answer, closes it and parses it as
// HTML (an answer that is not HTML parses to a document without forms). A
// page nested deeper than maxFormDepth is refused before it is parsed.
func readPage(resp *http.Response) (*html.Node, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxFormPage))
	if err != nil {
		return nil, err
	}
	if tooDeep(body) {
		return nil, fmt.Errorf("the page nests its elements more than %d deep", maxFormDepth)
	}
	return html.Parse(bytes.NewReader(body))
}

// tooDeep reports whether the elements of an HTML text nest deeper than
// maxFormDepth, counting start tags less end tags (void elements and
// self-closing tags open nothing).
func tooDeep(body []byte) bool {
	z := html.NewTokenizer(bytes.NewReader(body))
	depth := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return false
		case html.StartTagToken:
			name, _ := z.TagName()
			if !voidElements[atom.Lookup(name)] {
				if depth++; depth > maxFormDepth {
					return true
				}
			}
		case html.EndTagToken:
			depth = max(depth-1, 0)
		}
	}
}

// voidElements have no end tag (HTML Living Standard §13.1.2).
var voidElements = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true,
	atom.Hr: true, atom.Img: true, atom.Input: true, atom.Link: true, atom.Meta: true,
	atom.Source: true, atom.Track: true, atom.Wbr: true,
}

// htmlForm is a form of a page: where it goes and its fields.
type htmlForm struct {
	action, method string
	password       bool // it has a password field
	fields         []formField
}

// formField is a field's name and the value it submits by default.
type formField struct {
	name, value string
	submits     bool // the field is sent by default
}

// values returns what the form submits as it is.
func (f *htmlForm) values() url.Values {
	v := make(url.Values)
	for _, fl := range f.fields {
		if fl.submits {
			v.Add(fl.name, fl.value)
		}
	}
	return v
}

// names returns the names of the form's fields, sorted, without repeats.
func (f *htmlForm) names() []string {
	var n []string
	for _, fl := range f.fields {
		n = append(n, fl.name)
	}
	slices.Sort(n)
	return slices.Compact(n)
}

// findLoginForm returns the form of doc that holds a password field, else
// its only form, else nil.
func findLoginForm(doc *html.Node) *htmlForm {
	forms := readForms(doc)
	for _, f := range forms {
		if f.password {
			return f
		}
	}
	if len(forms) == 1 {
		return forms[0]
	}
	return nil
}

// readForms reads the forms of doc, in one pass: each one's action, method
// and fields, a field being a form's when it sits inside it, or when its
// form attribute names the form's id (then wherever it sits).
func readForms(doc *html.Node) []*htmlForm {
	var forms []*htmlForm
	byNode := make(map[*html.Node]*htmlForm)
	byID := make(map[string]*htmlForm)
	clicked := make(map[*htmlForm]bool) // a named submit button counts as the one clicked
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		if n.DataAtom == atom.Form {
			f := &htmlForm{action: attr(n, "action"), method: http.MethodPost}
			if !strings.EqualFold(attr(n, "method"), "post") {
				f.method = http.MethodGet
			}
			forms = append(forms, f)
			byNode[n] = f
			if id := attr(n, "id"); id != "" && byID[id] == nil {
				byID[id] = f
			}
		}
	}
	if len(forms) == 0 {
		return nil
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || hasAttr(n, "disabled") {
			continue
		}
		var f *htmlForm
		if owner, ok := attrOK(n, "form"); ok {
			f = byID[owner]
		} else {
			for p := n.Parent; p != nil && f == nil; p = p.Parent {
				f = byNode[p]
			}
		}
		if f != nil {
			clicked[f] = f.add(n, clicked[f])
		}
	}
	return forms
}

// add adds the field n, if it is one, to the form; clicked reports that a
// submit button was met before, and add returns whether one has now.
func (f *htmlForm) add(n *html.Node, clicked bool) bool {
	name := attr(n, "name")
	switch n.DataAtom {
	case atom.Input:
		typ := strings.ToLower(attr(n, "type"))
		if typ == "password" {
			f.password = true
		}
		if name == "" {
			return clicked
		}
		value := attr(n, "value")
		switch typ {
		case "checkbox", "radio":
			if value == "" {
				value = "on"
			}
			f.fields = append(f.fields, formField{name, value, hasAttr(n, "checked")})
		case "submit", "image":
			f.fields = append(f.fields, formField{name, value, !clicked})
			return true
		case "button", "reset", "file":
			f.fields = append(f.fields, formField{name, value, false})
		default:
			f.fields = append(f.fields, formField{name, value, true})
		}
	case atom.Button:
		if name != "" && (attr(n, "type") == "" || strings.EqualFold(attr(n, "type"), "submit")) {
			f.fields = append(f.fields, formField{name, attr(n, "value"), !clicked})
			return true
		}
	case atom.Textarea:
		if name != "" {
			f.fields = append(f.fields, formField{name, text(n), true})
		}
	case atom.Select:
		if name != "" {
			f.fields = append(f.fields, selected(n, name)...)
		}
	}
	return clicked
}

// selected returns what a select element submits: its selected options,
// else its first.
func selected(sel *html.Node, name string) []formField {
	var out []formField
	var first *formField
	for n := range sel.Descendants() {
		if n.Type != html.ElementNode || n.DataAtom != atom.Option {
			continue
		}
		v, ok := attrOK(n, "value")
		if !ok {
			v = strings.TrimSpace(text(n))
		}
		fl := formField{name: name, value: v}
		if first == nil {
			first = &fl
		}
		if hasAttr(n, "selected") {
			fl.submits = true
			out = append(out, fl)
		}
	}
	if len(out) == 0 && first != nil {
		first.submits = !hasAttr(sel, "multiple")
		out = append(out, *first)
	}
	return out
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val, true
		}
	}
	return "", false
}

func hasAttr(n *html.Node, key string) bool {
	_, ok := attrOK(n, key)
	return ok
}

// text returns the text inside n.
func text(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

// holdsLoginForm reports whether resp is an HTML page with a form that has
// a password field. It looks at the first maxFormPage bytes of the body
// and puts them back, so the caller reads the whole body as sent.
func holdsLoginForm(resp *http.Response) bool {
	if resp.Body == nil || resp.Body == http.NoBody {
		return false
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || (mt != "text/html" && mt != "application/xhtml+xml") {
		return false
	}
	body := resp.Body
	head, err := io.ReadAll(io.LimitReader(body, maxFormPage))
	resp.Body = &rewoundBody{Reader: io.MultiReader(bytes.NewReader(head), body), Closer: body}
	if err != nil && len(head) == 0 {
		return false
	}
	z := html.NewTokenizer(bytes.NewReader(head))
	forms := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return false
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttrs := z.TagName()
			switch atom.Lookup(name) {
			case atom.Form:
				forms++
			case atom.Input:
				for hasAttrs && forms > 0 {
					var k, v []byte
					k, v, hasAttrs = z.TagAttr()
					if string(k) == "type" && strings.EqualFold(string(v), "password") {
						return true
					}
				}
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); atom.Lookup(name) == atom.Form && forms > 0 {
				forms--
			}
		}
	}
}

// rewoundBody is a response body whose first bytes were read and put back.
type rewoundBody struct {
	io.Reader
	io.Closer
}
