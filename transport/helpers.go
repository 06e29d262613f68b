package transport

import (
	"context"
	"io"
)

// ContextReader returns a reader that fails with ctx's error once ctx is
// done, so a long copy stops when the task is cancelled.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Outputs returns where a command's stdout and stderr go: the Cmd's own
// writers when set, else the given buffers (collected into the Result).
func Outputs(cmd *Cmd, stdout, stderr io.Writer) (io.Writer, io.Writer) {
	o, e := io.Writer(stdout), io.Writer(stderr)
	if cmd.Stdout != nil {
		o = cmd.Stdout
	}
	if cmd.Stderr != nil {
		e = cmd.Stderr
	}
	return o, e
}
