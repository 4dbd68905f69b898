module github.com/httpsession/httpsession

go 1.23.0

require (
	github.com/gofrs/flock v0.12.1
	github.com/stretchr/testify v1.11.1
	golang.org/x/net v0.43.0
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/kr/text v0.2.0 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	github.com/rogpeppe/go-internal v1.9.0 // indirect
	golang.org/x/sys v0.35.0 // indirect
	golang.org/x/text v0.28.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
