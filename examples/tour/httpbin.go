package main

import (
	"encoding/json"
	"net/http"
	"strings"
)

// httpbin returns a handler for the few httpbin.org endpoints that
// requests' documentation uses:
//
//	GET /cookies                   {"cookies": {name: value, ...}}, the cookies received
//	GET /cookies/set?name=value    sets the cookies, then redirects to /cookies
//	GET /cookies/delete?name       deletes the cookies, then redirects to /cookies
//	GET /headers                   {"headers": {name: value, ...}}, the headers received
func httpbin() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cookies", func(w http.ResponseWriter, r *http.Request) {
		cookies := make(map[string]string)
		for _, c := range r.Cookies() {
			cookies[c.Name] = c.Value
		}
		writeJSON(w, map[string]any{"cookies": cookies})
	})
	mux.HandleFunc("GET /cookies/set", func(w http.ResponseWriter, r *http.Request) {
		for name, values := range r.URL.Query() {
			http.SetCookie(w, &http.Cookie{Name: name, Value: values[0], Path: "/"})
		}
		http.Redirect(w, r, "/cookies", http.StatusFound)
	})
	mux.HandleFunc("GET /cookies/delete", func(w http.ResponseWriter, r *http.Request) {
		for name := range r.URL.Query() {
			http.SetCookie(w, &http.Cookie{Name: name, Path: "/", MaxAge: -1})
		}
		http.Redirect(w, r, "/cookies", http.StatusFound)
	})
	mux.HandleFunc("GET /headers", func(w http.ResponseWriter, r *http.Request) {
		headers := make(map[string]string)
		for name, values := range r.Header {
			headers[name] = strings.Join(values, ", ")
		}
		writeJSON(w, map[string]any{"headers": headers})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
