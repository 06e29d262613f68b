// Package templates holds the Go text/templates the built-in playbooks
// render (registry configuration, systemd unit). They are exported and
// materialised beside the playbooks, in a templates/ directory, where the
// template module looks for a relative src.
package templates

import (
	"embed"
	"io/fs"
)

//go:embed *.tmpl
var files embed.FS

// FS returns the shipped templates as a file system.
func FS() fs.FS { return files }
