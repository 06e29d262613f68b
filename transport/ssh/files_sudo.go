package ssh

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/runbook-dev/runbook/transport"
)

// sudoWriteScript writes stdin to $1 atomically as the become user: a
// mktemp'd file in the target directory $2 (named after $3), owner and mode
// explicit ($5, $4) or kept from the existing file (else mktemp's owner and
// 0644), then mv over the target. A symbolic link at the target is
// replaced, never followed (mv -T; its target lends nothing). Every value
// arrives as a positional parameter, never as code.
//
// The data is framed (see frameWrite) with the nonce $6: a header line
// proves that sudo consumed the password line and nothing else; a trailer
// carrying the length proves the stream is complete, so a broken source or
// connection never replaces the file with a truncated one. The temporary
// file is removed on any failure.
const sudoWriteScript = `set -e
dst=$1 dir=$2 base=$3 mode=$4 owner=$5 nonce=$6
if [ -d "$dst" ] && [ ! -L "$dst" ]; then echo "$dst is a directory" >&2; exit 1; fi
IFS= read -r head || head=
if [ "$head" != "RUNBOOK-BOF-$nonce" ]; then echo "runbook: unexpected data before the file content" >&2; exit 1; fi
tmp=$(mktemp "$dir/.$base.runbook-tmp-XXXXXXXXXX")
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 1' HUP INT TERM PIPE
cat > "$tmp"
trailer=$(tail -c 50 "$tmp")
case $trailer in
"RUNBOOK-EOF-$nonce-"*) n=${trailer#"RUNBOOK-EOF-$nonce-"} ;;
*) n=x ;;
esac
case $n in
""|*[!0-9]*) echo "runbook: the file content was cut short" >&2; exit 1 ;;
esac
n=${n#"${n%%[!0]*}"}
n=${n:-0}
if [ "$(($(wc -c < "$tmp")))" != "$((n + 50))" ]; then echo "runbook: the file content was cut short" >&2; exit 1; fi
dd if=/dev/null of="$tmp" bs=1 seek="$n" 2>/dev/null
if [ -e "$dst" ] && [ ! -L "$dst" ]; then
  if [ -z "$mode" ]; then mode=$(stat -L -c %a -- "$dst" 2>/dev/null || stat -L -f %Lp -- "$dst"); fi
  if [ -z "$owner" ]; then
    keep=$(stat -L -c %u:%g -- "$dst" 2>/dev/null || stat -L -f %u:%g -- "$dst")
    chown -- "$keep" "$tmp" 2>/dev/null || true
  fi
fi
if [ -n "$owner" ]; then chown -- "$owner" "$tmp"; fi
chmod -- "${mode:-644}" "$tmp"
if [ -L "$dst" ]; then mv -fT -- "$tmp" "$dst"; else mv -f -- "$tmp" "$dst"; fi
trap - EXIT
`

// writeFileSudo streams r through one `sudo /bin/sh -c SCRIPT` (see
// sudoWriteScript), for targets the login user cannot write.
func (c *Conn) writeFileSudo(ctx context.Context, p string, r io.Reader, opts transport.WriteOptions) error {
	mode := ""
	if opts.Mode != 0 {
		mode = strconv.FormatUint(uint64(unixMode(opts.Mode)), 8)
	}
	owner := ""
	switch {
	case opts.UID >= 0 && opts.GID >= 0:
		owner = fmt.Sprintf("%d:%d", opts.UID, opts.GID)
	case opts.UID >= 0:
		owner = strconv.Itoa(opts.UID)
	case opts.GID >= 0:
		owner = ":" + strconv.Itoa(opts.GID)
	}
	nonce := randomHex(8)
	cmd := &transport.Cmd{
		Args:   []string{"/bin/sh", "-c", sudoWriteScript, "runbook-write", p, path.Dir(p), path.Base(p), mode, owner, nonce},
		Stdin:  frameWrite(transport.ContextReader(ctx, r), nonce),
		Become: opts.Become,
	}
	res, err := c.Run(ctx, cmd)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("write %s on %s as %s: %s (exit status %d)", p, c.hostName(), becomeUser(opts.Become),
			strings.TrimSpace(string(res.Stderr)), res.ExitCode)
	}
	return nil
}

// frameWrite is "RUNBOOK-BOF-NONCE\n", r, then the 50-byte trailer
// "RUNBOOK-EOF-NONCE-%020d\n" with the length of r. A failing r ends the
// stream without the trailer.
func frameWrite(r io.Reader, nonce string) io.Reader {
	f := &framed{r: r, nonce: nonce}
	return io.MultiReader(strings.NewReader("RUNBOOK-BOF-"+nonce+"\n"), f, readerFunc(f.trailer))
}

type framed struct {
	r     io.Reader
	nonce string
	n     int64
	tail  *strings.Reader
}

func (f *framed) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	f.n += int64(n)
	return n, err
}

func (f *framed) trailer(p []byte) (int, error) {
	if f.tail == nil {
		f.tail = strings.NewReader(fmt.Sprintf("RUNBOOK-EOF-%s-%020d\n", f.nonce, f.n))
	}
	return f.tail.Read(p)
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func becomeUser(b *transport.Become) string {
	if b.User == "" {
		return "root"
	}
	return b.User
}

// unixMode converts a FileMode's permission and special bits to the
// numeric form chmod takes.
func unixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	return u
}
