package httpsession_test

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/httpsession/httpsession"
)

// Export writes the jar's cookies for Playwright: its storageState, which
// browser.newContext({storageState: "state.json"}) loads, so that a browser
// starts logged in where the Go program logged in.
func ExampleJar_Export() {
	jar := httpsession.NewJar()
	u, _ := url.Parse("https://app.example.com/login")
	jar.SetRawCookies(u, []string{
		"sessionid=x7; Path=/; Secure; HttpOnly; SameSite=Lax",
		"lang=en; Domain=example.com; Path=/",
	})
	if err := jar.Export(os.Stdout, httpsession.FormatPlaywright); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//   "cookies": [
	//     {
	//       "name": "sessionid",
	//       "value": "x7",
	//       "domain": "app.example.com",
	//       "path": "/",
	//       "expires": -1,
	//       "httpOnly": true,
	//       "secure": true,
	//       "sameSite": "Lax"
	//     },
	//     {
	//       "name": "lang",
	//       "value": "en",
	//       "domain": ".example.com",
	//       "path": "/",
	//       "expires": -1,
	//       "httpOnly": false,
	//       "secure": false
	//     }
	//   ],
	//   "origins": []
	// }
}

// Import reads cookies exported from a browser (here by the Cookie-Editor
// extension; Playwright's storageState, Puppeteer's cookies, cookies.txt
// and the native file are detected the same way). Each cookie is checked as
// if the server had sent it: a cookie for a whole public suffix is refused,
// and the others load.
func ExampleJar_Import() {
	export := `[
  {"domain": "app.example.com", "hostOnly": true, "httpOnly": true, "name": "sessionid",
   "path": "/", "sameSite": "lax", "secure": true, "session": true, "storeId": "0", "value": "x7"},
  {"domain": ".co.uk", "hostOnly": false, "name": "tracker", "path": "/",
   "sameSite": "unspecified", "secure": false, "session": true, "storeId": "0", "value": "1"}
]`
	jar := httpsession.NewJar()
	err := jar.Import(strings.NewReader(export))
	var fe *httpsession.FileError
	if errors.As(err, &fe) {
		for _, le := range fe.Lines {
			fmt.Println(le.Error())
		}
	}
	u, _ := url.Parse("https://app.example.com/")
	fmt.Println(jar.CookieHeader(u))
	// Output:
	// record 2: httpsession: cookie refused: domain cookie on a public suffix (§5.7 step 9)
	// sessionid=x7
}

// ImportCookieHeader takes the Cookie header of a request copied from a
// browser's developer tools: host-only cookies for the request's host.
func ExampleJar_ImportCookieHeader() {
	jar := httpsession.NewJar()
	u, _ := url.Parse("https://app.example.com/dashboard")
	if err := jar.ImportCookieHeader(u, "Cookie: sessionid=x7; csrftoken=c5"); err != nil {
		fmt.Println(err)
	}
	for _, c := range jar.All() {
		fmt.Println(c.Name, c.Domain, c.HostOnly, c.Secure, c.Path)
	}
	// Output:
	// csrftoken app.example.com true true /
	// sessionid app.example.com true true /
}
