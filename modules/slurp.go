package modules

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/runbook-dev/runbook/transport"
)

func init() { Register(slurpModule{}) }

type slurpModule struct{}

var slurpSpec = &Spec{
	Name:  "slurp",
	Short: "Read a file from the host into a variable",
	Doc: "Reads a file on the host and returns its content base64-encoded (decode it with b64decode). The whole " +
		"file is held in memory: meant for small files such as keys and configuration. Never changes anything.",
	Params: []Param{
		{Name: "src", Type: TypePath, Required: true, Aliases: []string{"path"}, Doc: "The file on the host."},
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "content", Type: TypeString, Doc: "The file's content, base64-encoded."},
		{Name: "encoding", Type: TypeString, Doc: "Always \"base64\"."},
		{Name: "source", Type: TypePath, Doc: "The file read."},
		{Name: "size", Type: TypeInt, Doc: "The content's size in bytes."},
	},
	Example: `- slurp:
    src: /etc/ssh/ssh_host_ed25519_key.pub
  register: hostkey

- debug:
    msg: "{{ hostkey.content | b64decode() }}"`,
}

func (slurpModule) Spec() *Spec { return slurpSpec }

func (slurpModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	src, err := hostPath(ctx, mc, "slurp", args.String("src"))
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Result, error) { return nil, fmt.Errorf("slurp on %s: %s: %w", mc.Host, src, err) }
	_, fi, err := resolveLink(ctx, mc, src)
	switch {
	case err != nil:
		return fail(err)
	case !fi.Exists:
		return fail(fmt.Errorf("%w on the host", fs.ErrNotExist))
	case fi.IsDir():
		return fail(errors.New("is a directory, not a file"))
	}
	var buf bytes.Buffer
	if err := hostRead(ctx, mc, src, &buf); err != nil {
		return fail(err)
	}
	return &Result{Data: map[string]any{
		"content": base64.StdEncoding.EncodeToString(buf.Bytes()), "encoding": "base64", "source": src, "size": buf.Len(),
	}}, nil
}

// hostRead is Conn.ReadFile, streamed through cat as the become user when
// the login user may not read the file.
func hostRead(ctx context.Context, mc *Context, p string, w io.Writer) error {
	return transport.ReadFileAs(ctx, mc.Conn, mc.Become, p, w)
}
