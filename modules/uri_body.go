package modules

// The request bodies of uri: raw, json, form-urlencoded, form-multipart and
// src. Files named by src and by form-multipart fields are read on the
// controller (next to the playbook, or in its files/), or on the host with
// remote_src: true, as Ansible's uri action does.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/runbook-dev/runbook/runner/eval"
)

// uriBody sets r's body (and Content-Type) from args.
func uriBody(ctx context.Context, mc *Context, args Args, r *uriRequest) error {
	format := args.String("body_format")
	if src := args.String("src"); src != "" {
		b, err := uriReadFile(ctx, mc, args, src)
		if err != nil {
			return &ArgError{Module: "uri", Param: "src", Msg: err.Error()}
		}
		r.body, r.hasBody = b, true
		uriDefaultType(r, "")
		return nil
	}
	b, ok := args["body"]
	if !ok || b == nil {
		return nil
	}
	r.hasBody = true
	ctype := ""
	switch s, isStr := b.(string); {
	case format == "form-multipart":
		var err error
		if r.body, ctype, err = uriMultipart(ctx, mc, args, b); err != nil {
			return &ArgError{Module: "uri", Param: "body", Msg: "failed to parse body as form-multipart: " + err.Error()}
		}
		r.header.Set("Content-Type", ctype) // the boundary must be this one
		return nil
	case isStr:
		r.body = []byte(s)
	case format == "json":
		var err error
		if r.body, err = json.Marshal(b); err != nil {
			return &ArgError{Module: "uri", Param: "body", Msg: "cannot be encoded as JSON: " + err.Error()}
		}
	case format == "form-urlencoded":
		enc, err := uriURLEncode(b)
		if err != nil {
			return &ArgError{Module: "uri", Param: "body", Msg: "failed to parse body as form_urlencoded: " + err.Error()}
		}
		r.body = []byte(enc)
	default:
		r.body = []byte(fmt.Sprint(b))
	}
	if format == "json" {
		ctype = "application/json"
	}
	uriDefaultType(r, ctype)
	return nil
}

// uriDefaultType sets Content-Type unless headers did: ctype, or for a raw
// body what Python's urllib (so Ansible) and curl send by default.
func uriDefaultType(r *uriRequest, ctype string) {
	if ctype == "" {
		ctype = "application/x-www-form-urlencoded"
	}
	if r.header.Get("Content-Type") == "" {
		r.header.Set("Content-Type", ctype)
	}
}

// uriText is a value as Python's str() writes it, so a form carries what
// Ansible's would (True, not true; 4.0, not 4).
func uriText(v any) string { return eval.PyStr(v) }

// uriURLEncode encodes a mapping (keys sorted: YAML mappings reach runbook
// unordered) or a list of [key, value] pairs (in order). A list value
// repeats the key; a null value is left out, as Ansible does.
func uriURLEncode(b any) (string, error) {
	type pair struct {
		k string
		v any
	}
	var pairs []pair
	switch x := b.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			pairs = append(pairs, pair{k, x[k]})
		}
	case []any:
		for _, e := range x {
			kv, ok := e.([]any)
			if !ok || len(kv) != 2 {
				return "", fmt.Errorf("a list body must hold [key, value] pairs, not %v", e)
			}
			pairs = append(pairs, pair{uriText(kv[0]), kv[1]})
		}
	default:
		return "", fmt.Errorf("body must be a string, a mapping or a list of pairs, not %T", b)
	}
	var out []string
	for _, p := range pairs {
		vals, isList := p.v.([]any)
		if !isList {
			vals = []any{p.v}
		}
		for _, v := range vals {
			if v != nil {
				out = append(out, url.QueryEscape(p.k)+"="+url.QueryEscape(uriText(v)))
			}
		}
	}
	return strings.Join(out, "&"), nil
}

// uriMultipart builds a multipart/form-data body from a mapping of fields
// (sorted by name, as Ansible sorts them): a string is a text/plain part; a
// mapping is a file part with filename (read unless content is given),
// content and mime_type (guessed from the file name otherwise). Unlike
// Ansible, which base64-encodes file parts, parts are sent as they are, as
// browsers and curl -F send them, so every server reads them.
func uriMultipart(ctx context.Context, mc *Context, args Args, b any) ([]byte, string, error) {
	fields, ok := b.(map[string]any)
	if !ok {
		return nil, "", fmt.Errorf("body must be a mapping, cannot be type %T", b)
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		h := textproto.MIMEHeader{}
		var content []byte
		disp := map[string]string{"name": name}
		switch v := fields[name].(type) {
		case string:
			h.Set("Content-Type", "text/plain")
			content = []byte(v)
		case map[string]any:
			file, _ := v["filename"].(string)
			text := ""
			if c, ok := v["content"]; ok && c != nil {
				text = uriText(c)
			}
			if file == "" && text == "" {
				return nil, "", fmt.Errorf("field %s: at least one of filename or content must be provided", name)
			}
			ctype, _ := v["mime_type"].(string)
			if ctype == "" {
				// Without parameters, as Python's guess_type gives it.
				if ctype, _, _ = strings.Cut(mime.TypeByExtension(path.Ext(file)), ";"); ctype == "" {
					ctype = "application/octet-stream"
				}
			}
			h.Set("Content-Type", ctype)
			if text != "" {
				content = []byte(text)
			} else {
				var err error
				if content, err = uriReadFile(ctx, mc, args, file); err != nil {
					return nil, "", fmt.Errorf("field %s: %w", name, err)
				}
			}
			if file != "" {
				disp["filename"] = path.Base(file)
			}
		default:
			return nil, "", fmt.Errorf("field %s: value must be a string, or mapping, cannot be type %T", name, v)
		}
		h.Set("Content-Disposition", mime.FormatMediaType("form-data", disp))
		part, err := w.CreatePart(h)
		if err == nil {
			_, err = part.Write(content)
		}
		if err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// uriReadFile reads a file the body is made of: on the controller (found
// next to the playbook or in files/), or on the host with remote_src.
func uriReadFile(ctx context.Context, mc *Context, args Args, name string) ([]byte, error) {
	if args.Bool("remote_src") {
		p, err := hostPath(ctx, mc, "uri", name)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := hostRead(ctx, mc, p, &buf); err != nil {
			return nil, fmt.Errorf("%s on %s: %w", p, mc.Host, err)
		}
		return buf.Bytes(), nil
	}
	p, err := findLocal(mc, name, "files")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > uriMaxBody {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, uriMaxBody>>20)
	}
	return b, nil
}
