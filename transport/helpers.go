package transport

import (
	"context"
	"errors"
	"io"
	"strings"
)

// SplitWords splits s into words the way a POSIX shell does, honouring
// single quotes, double quotes and backslashes, without any expansion. It
// is the inverse of QuoteArgs.
func SplitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, escaped := false, false
	var quote rune
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case quote != 0:
			switch {
			case r == quote:
				quote = 0
			case r == '\\' && quote == '"':
				escaped = true
			default:
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '\\':
			escaped, inWord = true, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	switch {
	case quote != 0:
		return nil, errors.New("unterminated quote")
	case escaped:
		return nil, errors.New("trailing backslash")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

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
