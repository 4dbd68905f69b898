package httpsession_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/httpsession/httpsession"
)

// A Jar is an http.CookieJar: hand it to any http.Client.
func ExampleNewJar() {
	jar := httpsession.NewJar()
	client := &http.Client{Jar: jar}
	_ = client
	fmt.Println(jar.Len())
	// Output: 0
}

// SetRawCookies parses Set-Cookie lines as browsers do, keeping cookies that
// net/http's parser drops: UTF-8, quotes, nameless cookies.
func ExampleJar_SetRawCookies() {
	jar := httpsession.NewJar()
	u, _ := url.Parse("https://www.example.com/account/login")
	jar.SetRawCookies(u, []string{
		"session=abc123; Path=/; Secure; HttpOnly",
		"lang=français; Domain=example.com; Path=/",
		`prefs="dark mode"`,
		"tracking=1; Domain=com", // a public suffix: refused
	})
	home, _ := url.Parse("https://www.example.com/account/")
	fmt.Println(jar.CookieHeader(home))
	// Output: prefs="dark mode"; session=abc123; lang=français
}

// All lists every cookie with its attributes, which net/http/cookiejar hides.
func ExampleJar_All() {
	jar := httpsession.NewJar()
	u, _ := url.Parse("https://shop.example.com/")
	jar.SetRawCookies(u, []string{
		"cart=42; Max-Age=3600; SameSite=Lax",
		"id=7; Domain=example.com; Secure",
	})
	for _, c := range jar.All() {
		fmt.Printf("%s domain=%s hostOnly=%t secure=%t session=%t\n",
			c.String(), c.Domain, c.HostOnly, c.Secure, c.Expires.IsZero())
	}
	// Output:
	// id=7 domain=example.com hostOnly=false secure=true session=true
	// cart=42 domain=shop.example.com hostOnly=true secure=false session=false
}

// Set adds a cookie by hand, as requests' jar.set does, with the checks a
// server's cookie gets.
func ExampleJar_Set() {
	jar := httpsession.NewJar()
	err := jar.Set(httpsession.Cookie{Name: "token", Value: "t0k3n", Domain: "api.example.com", HostOnly: true, Secure: true})
	fmt.Println(err)

	err = jar.Set(httpsession.Cookie{Name: "super", Value: "1", Domain: "co.uk"})
	fmt.Println(errors.Is(err, httpsession.ErrInvalidCookie))

	u, _ := url.Parse("https://api.example.com/v1")
	c, ok := jar.Get(u, "token")
	fmt.Println(c.Value, ok)
	// Output:
	// <nil>
	// true
	// t0k3n true
}

// SetRawCookie says why a cookie was refused.
func ExampleJar_SetRawCookie() {
	jar := httpsession.NewJar()
	u, _ := url.Parse("http://example.com/")
	err := jar.SetRawCookie(u, "id=1; Secure")
	fmt.Println(err)
	// Output: httpsession: cookie refused: Secure cookie from an insecure origin (§5.7 step 13)
}

// Delete, DeleteDomain, ClearSession and Clear remove cookies.
func ExampleJar_Delete() {
	jar := httpsession.NewJar()
	u, _ := url.Parse("https://www.example.com/")
	jar.SetRawCookies(u, []string{"a=1", "b=2; Domain=example.com", "c=3; Max-Age=60"})
	fmt.Println(jar.Delete("www.example.com", "/", "a"))
	fmt.Println(jar.ClearSession())
	fmt.Println(jar.DeleteDomain("example.com"), jar.Len())
	// Output:
	// true
	// 1
	// 1 0
}
