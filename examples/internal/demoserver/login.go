package demoserver

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"sync"
	"sync/atomic"
)

// The one account of the LoginSite.
const (
	User     = "alice"
	Password = "wonderland"
)

// The cookie and form field names of the LoginSite, as Django names them.
const (
	SessionCookie = "sessionid"
	CSRFCookie    = "csrftoken"
	CSRFField     = "csrfmiddlewaretoken"
	CSRFHeader    = "X-CSRFToken"
)

// LoginSite is a web site with a form login protected by a CSRF token, in
// the double-submit style: GET /login sets a csrftoken cookie and puts the
// same token in the form, and POST /login accepts the form only when the
// two match. A good user name and password get a signed sessionid session
// cookie and a 303 redirect to /account.
//
// Its pages:
//
//	GET  /login       the login form
//	POST /login       username, password and csrfmiddlewaretoken
//	GET  /account     "Signed in as alice", or 401 without a valid sessionid
//	GET  /api/me      {"user":"alice"}, or 401
//	POST /api/notes   {"text":"..."} with an X-CSRFToken header: 201 and the note
//
// A LoginSite is safe for concurrent use.
type LoginSite struct {
	mux      *http.ServeMux
	accounts map[string]string // user name → password
	logins   atomic.Int64
	notes    atomic.Int64

	mu       sync.Mutex
	userLogs map[string]int // logins per user
	limit    int            // with Limit: answers per user before a 429
	served   map[string]int // answers per user since the last 429
}

// NewLoginSite returns a LoginSite with the one account User, that has seen
// no login yet.
func NewLoginSite() *LoginSite {
	return NewAccountsSite(map[string]string{User: Password})
}

// NewAccountsSite returns a LoginSite with the given accounts (user name →
// password), as a site with an admin, an editor and a viewer has.
func NewAccountsSite(accounts map[string]string) *LoginSite {
	s := &LoginSite{mux: http.NewServeMux(), accounts: accounts, userLogs: map[string]int{}, served: map[string]int{}}
	s.mux.HandleFunc("GET /login", s.loginForm)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.HandleFunc("GET /account", s.account)
	s.mux.HandleFunc("GET /api/me", s.me)
	s.mux.HandleFunc("POST /api/notes", s.addNote)
	return s
}

// ServeHTTP implements http.Handler.
func (s *LoginSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Logins returns how many successful logins the site has seen.
func (s *LoginSite) Logins() int { return int(s.logins.Load()) }

// LoginsOf returns how many times user logged in.
func (s *LoginSite) LoginsOf(user string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.userLogs[user]
}

// Limit makes the site rate-limit each account: after n answers to /account
// it answers the next request of that account 429 Too Many Requests, with
// Retry-After: 1, as a site protecting itself from scrapers does.
func (s *LoginSite) Limit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = n
}

// limited reports whether user's request is to be answered 429.
func (s *LoginSite) limited(user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limit == 0 {
		return false
	}
	if s.served[user] >= s.limit {
		s.served[user] = 0
		return true
	}
	s.served[user]++
	return false
}

var formPage = template.Must(template.New("login").Parse(`<!doctype html>
<title>Log in</title>
<form method="post" action="/login">
  <input type="hidden" name="csrfmiddlewaretoken" value="{{.}}">
  <label>User name <input name="username"></label>
  <label>Password <input name="password" type="password"></label>
  <button>Log in</button>
</form>
`))

func (s *LoginSite) loginForm(w http.ResponseWriter, r *http.Request) {
	token := ""
	if c, err := r.Cookie(CSRFCookie); err == nil && c.Value != "" {
		token = c.Value // keep the token the client already has
	} else {
		b := make([]byte, 18)
		if _, err := rand.Read(b); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		token = base64.RawURLEncoding.EncodeToString(b)
	}
	http.SetCookie(w, &http.Cookie{
		Name: CSRFCookie, Value: token, Path: "/",
		MaxAge: 365 * 24 * 60 * 60, SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = formPage.Execute(w, token)
}

func (s *LoginSite) login(w http.ResponseWriter, r *http.Request) {
	if !csrfOK(r, r.PostFormValue(CSRFField)) {
		http.Error(w, "CSRF verification failed", http.StatusForbidden)
		return
	}
	user := r.PostFormValue("username")
	want, known := s.accounts[user]
	if !known || !equal(r.PostFormValue("password"), want) {
		http.Error(w, "wrong user name or password", http.StatusUnauthorized)
		return
	}
	s.logins.Add(1)
	s.mu.Lock()
	s.userLogs[user]++
	s.mu.Unlock()
	// No Max-Age: a session cookie, as most login cookies are.
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: Sign(user), Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func (s *LoginSite) account(w http.ResponseWriter, r *http.Request) {
	user, ok := loggedIn(r)
	if !ok {
		http.Error(w, "not logged in: log in at /login", http.StatusUnauthorized)
		return
	}
	if s.limited(user) {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "too many requests", http.StatusTooManyRequests)
		return
	}
	fmt.Fprintf(w, "Signed in as %s\n", user)
}

func (s *LoginSite) me(w http.ResponseWriter, r *http.Request) {
	user, ok := loggedIn(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "not logged in"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"user": user})
}

// Note is what POST /api/notes takes and returns.
type Note struct {
	ID     int64  `json:"id,omitempty"`
	Author string `json:"author,omitempty"`
	Text   string `json:"text"`
}

func (s *LoginSite) addNote(w http.ResponseWriter, r *http.Request) {
	user, ok := loggedIn(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "not logged in"})
		return
	}
	if !csrfOK(r, r.Header.Get(CSRFHeader)) {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "CSRF verification failed"})
		return
	}
	var n Note
	if err := json.NewDecoder(r.Body).Decode(&n); err != nil || n.Text == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "want {\"text\": \"...\"}"})
		return
	}
	n.ID, n.Author = s.notes.Add(1), user
	writeJSON(w, http.StatusCreated, n)
}

// loggedIn returns the user whose valid session cookie r carries.
func loggedIn(r *http.Request) (string, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return "", false
	}
	return Verify(c.Value)
}

// csrfOK reports whether token, from the form or a header, matches the
// csrftoken cookie.
func csrfOK(r *http.Request, token string) bool {
	c, err := r.Cookie(CSRFCookie)
	return err == nil && c.Value != "" && equal(token, c.Value)
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
