module congkhai.test/goverifier

go 1.19

require golang.org/x/mod v0.0.0

// Built offline in the tests: Debian's golang-golang-x-mod-dev (scripts/setup installs it).
replace golang.org/x/mod => /usr/share/gocode/src/golang.org/x/mod
