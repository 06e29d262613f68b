package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// INI inventory, as Ansible reads it:
//
//	host0                        # before any section: ungrouped
//	[web]
//	web[01:03] ansible_user=deploy motd="hello world"
//	db.example.com:2222
//	[web:vars]
//	http_port=8080
//	[prod:children]
//	web
//
// Values are read like Ansible's Python literals: 22 is an int, 1.5 a float,
// True/False bools, None null, [..]/{..} JSON lists/maps; anything else is a
// string. A quoted value is always a string.

var (
	iniSectionRE   = regexp.MustCompile(`^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$`)
	iniGroupNameRE = regexp.MustCompile(`^([^:\]\s]+)\s*(?:[#;].*)?$`)
	iniIntRE       = regexp.MustCompile(`^[+-]?(0|[1-9][0-9]*)$`)
	iniFloatRE     = regexp.MustCompile(`^[+-]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(\.[0-9]*)?[eE][+-]?[0-9]+)$`)
)

// iniPending records a group used in a [g:vars] or [g:children] section
// before (or without) being defined.
type iniPending struct {
	line int
	msg  string
}

type iniParser struct {
	inv     *Inventory
	file    string
	defined map[string]bool
	pending map[string]iniPending
}

func (p *iniParser) errf(line int, format string, args ...any) error {
	return &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// parseINI reads an INI inventory into inv.
func parseINI(inv *Inventory, file string, data []byte) error {
	p := &iniParser{inv: inv, file: file, defined: map[string]bool{}, pending: map[string]iniPending{}}
	for name := range inv.groups {
		p.defined[name] = true
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	section, state := groupUngrouped, "hosts"
	for i, raw := range strings.Split(string(data), "\n") {
		lineNo := i + 1
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if m := iniSectionRE.FindStringSubmatch(line); m != nil {
			section, state = m[1], m[2]
			if state == "" {
				state = "hosts"
			}
			switch state {
			case "hosts", "children":
				p.define(section)
			case "vars":
				if !p.defined[section] {
					p.addPending(section, lineNo, fmt.Sprintf("section [%s:vars] is for undefined group %q", section, section))
				}
				p.inv.addGroup(section)
			default:
				return p.errf(lineNo, "section [%s:%s] has unknown type %q (want vars or children)", section, state, state)
			}
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			return p.errf(lineNo, "invalid section header %q (group names cannot contain spaces or ':')", line)
		}
		var err error
		switch state {
		case "hosts":
			err = p.hostLine(section, line, lineNo)
		case "vars":
			err = p.varLine(section, line, lineNo)
		case "children":
			err = p.childLine(section, line, lineNo)
		}
		if err != nil {
			return err
		}
	}
	return p.checkPending()
}

func (p *iniParser) define(g string) {
	p.defined[g] = true
	delete(p.pending, g)
	p.inv.addGroup(g)
}

func (p *iniParser) addPending(g string, line int, msg string) {
	if _, ok := p.pending[g]; !ok {
		p.pending[g] = iniPending{line: line, msg: msg}
	}
}

// checkPending reports the first group used but never defined.
func (p *iniParser) checkPending() error {
	if len(p.pending) == 0 {
		return nil
	}
	names := sortedKeys(p.pending)
	sort.SliceStable(names, func(a, b int) bool { return p.pending[names[a]].line < p.pending[names[b]].line })
	first := p.pending[names[0]]
	return p.errf(first.line, "%s", first.msg)
}

func (p *iniParser) hostLine(section, line string, lineNo int) error {
	toks, err := iniTokens(line)
	if err != nil {
		return p.errf(lineNo, "%v", err)
	}
	if len(toks) == 0 {
		return nil
	}
	names, port, err := parseHostEntry(toks[0].text)
	if err == nil {
		err = p.inv.roomFor(len(names))
	}
	if err != nil {
		return p.errf(lineNo, "[%s] host %v", section, err)
	}
	if strings.Contains(toks[0].text, "=") {
		p.inv.Warnings = append(p.inv.Warnings, fmt.Sprintf("%s:%d: host name %q contains '=': a variable in a [%s] section?", p.file, lineNo, toks[0].text, section))
	}
	vars := map[string]any{}
	if port != 0 {
		vars["ansible_port"] = port
	}
	for _, t := range toks[1:] {
		k, v, ok := strings.Cut(t.text, "=")
		if !ok || k == "" {
			return p.errf(lineNo, "[%s] host %s: %q is not key=value", section, toks[0].text, t.text)
		}
		if t.quoted {
			vars[k] = v
		} else {
			vars[k] = iniValue(v)
		}
		if err := checkPortVar(k, vars[k]); err != nil {
			return p.errf(lineNo, "[%s] host %s: %v", section, toks[0].text, err)
		}
	}
	for _, n := range names {
		p.inv.addHostToGroup(n, section)
		h := p.inv.hosts[n]
		for k, v := range vars {
			h.Vars[k] = deepCopy(v)
		}
	}
	return nil
}

func (p *iniParser) varLine(section, line string, lineNo int) error {
	k, v, ok := strings.Cut(line, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	if !ok || k == "" {
		return p.errf(lineNo, "[%s:vars] line %q is not key=value", section, line)
	}
	if s, quoted := unquote(v); quoted {
		p.inv.groups[section].pub.Vars[k] = s
	} else {
		p.inv.groups[section].pub.Vars[k] = iniValue(v)
	}
	if err := checkPortVar(k, p.inv.groups[section].pub.Vars[k]); err != nil {
		return p.errf(lineNo, "[%s:vars] %v", section, err)
	}
	return nil
}

func (p *iniParser) childLine(section, line string, lineNo int) error {
	m := iniGroupNameRE.FindStringSubmatch(line)
	if m == nil {
		return p.errf(lineNo, "[%s:children] line %q is not a group name", section, line)
	}
	child := m[1]
	if !p.defined[child] {
		p.addPending(child, lineNo, fmt.Sprintf("section [%s:children] includes undefined group %q", section, child))
	}
	if err := p.inv.addChild(section, child); err != nil {
		return p.errf(lineNo, "%v", err)
	}
	return nil
}

// unquote strips one pair of matching outer quotes.
func unquote(s string) (string, bool) {
	if len(s) < 2 || (s[0] != '"' && s[0] != '\'') || s[len(s)-1] != s[0] {
		return s, false
	}
	if s[0] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			return u, true
		}
	}
	return s[1 : len(s)-1], true
}

// iniValue converts an unquoted INI value like a Python literal.
func iniValue(s string) any {
	switch s {
	case "True":
		return true
	case "False":
		return false
	case "None":
		return nil
	}
	if iniIntRE.MatchString(s) {
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
		return s
	}
	if iniFloatRE.MatchString(s) {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
		return s
	}
	if strings.HasPrefix(s, "[") || strings.HasPrefix(s, "{") {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil && !dec.More() {
			return normalizeJSON(v)
		}
	}
	return s
}

// normalizeJSON turns json.Number values into int or float64.
func normalizeJSON(v any) any {
	switch t := v.(type) {
	case json.Number:
		if n, err := strconv.Atoi(string(t)); err == nil {
			return n
		}
		if f, err := t.Float64(); err == nil {
			return f
		}
		return string(t)
	case []any:
		for i := range t {
			t[i] = normalizeJSON(t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = normalizeJSON(t[k])
		}
	}
	return v
}

type iniToken struct {
	text   string
	quoted bool
}

// iniTokens splits a host line like a POSIX shell would: whitespace separates
// tokens, quotes group, backslash escapes, and '#' outside quotes starts a
// comment.
func iniTokens(line string) ([]iniToken, error) {
	var (
		toks   []iniToken
		cur    strings.Builder
		inTok  bool
		quoted bool
	)
	flush := func() {
		if inTok {
			toks = append(toks, iniToken{text: cur.String(), quoted: quoted})
		}
		cur.Reset()
		inTok, quoted = false, false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			flush()
		case c == '#':
			flush()
			return toks, nil
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inTok = true
		case c == '\'' || c == '"':
			end := i + 1
			for ; end < len(line) && line[end] != c; end++ {
				if c == '"' && line[end] == '\\' && end+1 < len(line) {
					end++
				}
			}
			if end >= len(line) {
				return nil, errors.New("unterminated quote in host line")
			}
			body := line[i+1 : end]
			if c == '"' {
				body = strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(body)
			}
			cur.WriteString(body)
			inTok, quoted = true, true
			i = end
		default:
			cur.WriteByte(c)
			inTok = true
		}
	}
	flush()
	return toks, nil
}
