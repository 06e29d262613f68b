package modules

// uri's creates/removes and dest: the answer's body written to a file on
// the host by the writer copy uses.

import (
	"context"
	"fmt"
	"net/http"
	"path"
)

// uriGuard answers for a task whose creates exists or whose removes does
// not: ok, unchanged, no request made (Ansible's message). nil otherwise.
func uriGuard(ctx context.Context, mc *Context, args Args) (*Result, error) {
	for _, g := range []struct {
		param, msg string
		skipIf     bool
	}{{"creates", "skipped, since %s exists", true}, {"removes", "skipped, since %s does not exist", false}} {
		p := args.String(g.param)
		if p == "" {
			continue
		}
		hp, err := hostPath(ctx, mc, "uri", p)
		if err != nil {
			return nil, err
		}
		fi, err := hostStat(ctx, mc, hp)
		if err != nil {
			return nil, fmt.Errorf("uri on %s: %s %s: %w", mc.Host, g.param, hp, err)
		}
		if fi.Exists == g.skipIf {
			msg := fmt.Sprintf(g.msg, hp)
			return &Result{Msg: msg, Data: map[string]any{"stdout": msg}}, nil
		}
	}
	return nil, nil
}

// uriDest is where a task's answer goes.
type uriDest struct {
	mc    *Context
	path  string // as given, resolved on the host
	isDir bool
	w     *copyWriter
}

// uriDestPrepare checks dest and asks the server with If-Modified-Since
// when dest is a file already (unless force, or headers set it), as
// Ansible does.
func uriDestPrepare(ctx context.Context, mc *Context, args Args, req *uriRequest) (*uriDest, error) {
	p, err := hostPath(ctx, mc, "uri", args.String("dest"))
	if err != nil {
		return nil, err
	}
	fi, err := hostStat(ctx, mc, p)
	if err != nil {
		return nil, fmt.Errorf("uri on %s: dest %s: %w", mc.Host, p, err)
	}
	if fi.Exists && fi.Mode.IsRegular() && !args.Bool("force") && req.header.Get("If-Modified-Since") == "" {
		req.header.Set("If-Modified-Since", fi.ModTime.UTC().Format(http.TimeFormat))
	}
	w, err := newCopyWriter(ctx, mc, "uri", Args{"mode": args.String("mode"), "owner": args.String("owner"),
		"group": args.String("group"), "force": true})
	if err != nil {
		return nil, err
	}
	return &uriDest{mc: mc, path: p, isDir: fi.IsDir(), w: w}, nil
}

// write puts the body of a successful answer in dest (a 304 leaves it);
// res gains path and changed, and --diff shows the content change.
func (d *uriDest) write(ctx context.Context, resp *uriResponse, res *Result) (*Result, error) {
	target, base := d.path, ""
	if d.isDir {
		var err error
		if base, err = dlFileName(&dlAnswer{header: resp.header, url: resp.url}); err != nil {
			return nil, fmt.Errorf("uri on %s: dest %s: %w", d.mc.Host, d.path, err)
		}
		target = path.Join(d.path, base)
	}
	res.Data["path"] = target
	if resp.status == http.StatusNotModified {
		return res, nil
	}
	wr, err := d.w.file(ctx, bytesSource(uriRedact(resp.url), resp.body, 0o644), d.path, base)
	if err != nil {
		return nil, err
	}
	res.Changed, res.Diff = wr.Changed, wr.Diff
	for _, k := range []string{"mode", "uid", "gid", "owner", "group", "size", "checksum"} {
		if v, ok := wr.Data[k]; ok {
			if _, taken := res.Data[k]; !taken {
				res.Data[k] = v
			}
		}
	}
	if res.Changed {
		res.Msg = fmt.Sprintf("OK (%d bytes written to %s)", len(resp.body), target)
	}
	return res, nil
}
