package modules

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

func init() { Register(hostsModule{}) }

type hostsModule struct{}

// hostsSealerMarker is the comment sealer appends to the /etc/hosts lines it
// writes ("IP NAME... #hostalias-set-by-sealer").
const hostsSealerMarker = "#hostalias-set-by-sealer"

var hostsSpec = &Spec{
	Name:  "hosts",
	Short: "Manage /etc/hosts entries by name",
	Doc: "Makes names resolve to an address through /etc/hosts (or path), editing the file on the host and " +
		"leaving every other line byte for byte. An entry line is ADDRESS NAME... [# comment]; a line is managed " +
		"when its comment contains marker (sealer's #hostalias-set-by-sealer by default), and lines written by this " +
		"module end with \" MARKER\", so sealer and runbook recognise each other's lines.\n\n" +
		"state=present, for each name, looks only at lines of the same address family as ip (an IPv4 and an IPv6 " +
		"entry for a name coexist, as for localhost):\n" +
		"1. A line that already maps the name to ip satisfies it, managed or not; nothing changes.\n" +
		"2. A line that maps the name to another address and holds only names of this task is rewritten in " +
		"place to ip (one changed line, never a duplicate); an unmanaged line rewritten so gets the marker.\n" +
		"3. A line that maps the name to another address next to other names loses just that name; the other " +
		"names keep their address.\n" +
		"4. Names still unmapped are appended to the first managed line for ip, or to a new line " +
		"\"IP NAME... MARKER\" at the end of the file.\n" +
		"state=absent removes the names from every line (only from lines for ip when ip is given) and deletes " +
		"lines left without names; without names it deletes the managed lines (for ip when given), which is what " +
		"sealer does to remove its aliases. Names compare case-insensitively. Check mode predicts exactly; --diff shows the change. " +
		"A mount-point file (a container's /etc/hosts) is rewritten in place when it cannot be replaced atomically.",
	Params: []Param{
		{Name: "ip", Type: TypeString, Doc: "The IPv4 or IPv6 address the names should resolve to (required with state=present)."},
		{Name: "names", Type: TypeList, Aliases: []string{"name", "hostnames"},
			Doc: "Host names to map to ip (required with state=present); a string is one name."},
		{Name: "state", Type: TypeString, Default: "present", Choices: []string{"present", "absent"},
			Doc: "present maps the names to ip; absent removes them (or the managed lines, without names)."},
		{Name: "marker", Type: TypeString, Default: hostsSealerMarker,
			Doc: "The comment that marks lines this module (or sealer) manages; it must start with #."},
		{Name: "path", Type: TypePath, Default: "/etc/hosts", Doc: "The hosts file on the host; created when missing with state=present."},
		textParamBackup,
	},
	Check: CheckFull,
	Returns: []Return{
		{Name: "added", Type: TypeList, Doc: "Names that were not mapped before."},
		{Name: "updated", Type: TypeList, Doc: "Names that were mapped to another address, as \"NAME OLD -> NEW\"."},
		{Name: "removed", Type: TypeList, Doc: "Names removed (state=absent), as \"NAME ADDRESS\"."},
		{Name: "backup_file", Type: TypeString, Doc: "Path of the backup copy, \"\" when none was made."},
	},
	Example: `- name: The registry on the first master
  hosts:
    ip: "{{ registry_ip }}"
    names: [sea.hub]

- name: Remove every alias set by sealer
  hosts:
    state: absent`,
	Validate: func(a Args) error {
		if a.String("state") == "present" && (!a.Has("ip") || len(a.List("names")) == 0) {
			return errors.New("ip and names are required with state=present")
		}
		if a.Has("ip") {
			if _, err := netip.ParseAddr(a.String("ip")); err != nil {
				return fmt.Errorf("ip: %v", err)
			}
		}
		for _, n := range a.StringList("names") {
			if n == "" || strings.ContainsAny(n, " \t\r\n#") {
				return fmt.Errorf("names: %q is not a host name", n)
			}
		}
		if m := a.String("marker"); !strings.HasPrefix(m, "#") || strings.ContainsAny(m, "\r\n") {
			return fmt.Errorf("marker: %q must be one line starting with #", m)
		}
		return nil
	},
}

func (hostsModule) Spec() *Spec { return hostsSpec }

// hostsLine is one line of a hosts file; entry lines have ip and names.
type hostsLine struct {
	raw     string // the original text, kept unless the line changes
	ip      netip.Addr
	names   []string
	sep     string // the blanks after the address, kept on rewrite
	comment string // from # on
	managed bool
	dirty   bool
}

func (l *hostsLine) entry() bool { return len(l.names) > 0 }

func (l *hostsLine) String() string {
	if !l.dirty {
		return l.raw
	}
	s := l.ip.String() + l.sep + strings.Join(l.names, " ")
	if l.comment != "" {
		s += " " + l.comment
	}
	return s + "\n"
}

func hostsParse(data []byte, marker string) []*hostsLine {
	var out []*hostsLine
	for _, raw := range textLines(data) {
		l := &hostsLine{raw: raw}
		out = append(out, l)
		text := strings.TrimRight(raw, "\r\n")
		entry := text
		if i := strings.IndexByte(text, '#'); i >= 0 {
			entry, l.comment = text[:i], text[i:]
		}
		f := strings.Fields(entry)
		if len(f) < 2 {
			continue
		}
		ip, err := netip.ParseAddr(f[0])
		if err != nil {
			continue
		}
		l.ip, l.names, l.managed = ip, f[1:], strings.Contains(l.comment, marker)
		rest := strings.TrimLeft(entry, " \t")[len(f[0]):]
		l.sep = rest[:len(rest)-len(strings.TrimLeft(rest, " \t"))]
	}
	return out
}

func (hostsModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	p, err := textHostPath(ctx, mc, "hosts", args.String("path"))
	if err != nil {
		return nil, err
	}
	tf, err := readTextFile(ctx, mc, "hosts", p)
	if err != nil {
		return nil, err
	}
	marker := args.String("marker")
	lines := hostsParse(tf.Data, marker)
	names := hostsUnique(args.StringList("names"))
	var ip netip.Addr
	if args.Has("ip") {
		ip, _ = netip.ParseAddr(args.String("ip"))
		ip = ip.Unmap()
	}
	data := map[string]any{"added": []any{}, "updated": []any{}, "removed": []any{}}
	var msg []string
	if args.String("state") == "absent" {
		if !tf.Exists {
			return &Result{Msg: fmt.Sprintf("File %s not present", p), Data: data}, nil
		}
		removed := hostsAbsent(lines, ip, names)
		data["removed"] = removed
		if len(removed) > 0 {
			msg = append(msg, fmt.Sprintf("removed %d name(s)", len(removed)))
		}
	} else {
		added, updated := hostsPresent(&lines, ip, names, marker)
		data["added"], data["updated"] = added, updated
		if len(added) > 0 {
			msg = append(msg, fmt.Sprintf("added %d name(s)", len(added)))
		}
		if len(updated) > 0 {
			msg = append(msg, fmt.Sprintf("updated %d name(s)", len(updated)))
		}
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.String())
	}
	after := b.String()
	ch := textChange{module: "hosts", file: tf, after: []byte(after), backupKey: "backup_file", data: data,
		changed: !tf.Exists || after != string(tf.Data), msg: strings.Join(msg, ", ")}
	return finishText(ctx, mc, args, ch)
}

// hostsPresent maps names to ip (see the module's Doc for the rules).
func hostsPresent(lines *[]*hostsLine, ip netip.Addr, names []string, marker string) (added, updated []any) {
	sameFamily := func(l *hostsLine) bool { return l.entry() && l.ip.Unmap().Is4() == ip.Is4() }
	done := map[string]bool{} // names a line already maps to ip
	for _, l := range *lines {
		if sameFamily(l) && l.ip.Unmap() == ip {
			for _, n := range l.names {
				done[strings.ToLower(n)] = true
			}
		}
	}
	moved := map[string]bool{}
	for _, l := range *lines {
		if !sameFamily(l) || l.ip.Unmap() == ip {
			continue
		}
		var ours, others []string
		for _, n := range l.names {
			if hostsHas(names, n) {
				ours = append(ours, n)
			} else {
				others = append(others, n)
			}
		}
		if len(ours) == 0 {
			continue
		}
		for _, n := range ours {
			updated = append(updated, fmt.Sprintf("%s %s -> %s", n, l.ip, ip))
		}
		all := true
		for _, n := range ours {
			all = all && done[strings.ToLower(n)]
		}
		switch {
		case len(others) > 0: // take the names over, leave the others
			l.names, l.dirty = others, true
			for _, n := range ours {
				moved[strings.ToLower(n)] = true
			}
		case all: // mapped to ip elsewhere already: the stale line goes
			l.raw, l.names = "", nil
		default: // rewrite in place
			l.ip, l.dirty = ip, true
			if !l.managed {
				l.comment, l.managed = strings.TrimSpace(l.comment+" "+marker), true
			}
			for _, n := range ours {
				done[strings.ToLower(n)] = true
			}
		}
	}
	var place []string
	for _, n := range names {
		if !done[strings.ToLower(n)] {
			place = append(place, n)
			if !moved[strings.ToLower(n)] {
				added = append(added, n)
			}
		}
	}
	hostsPlace(lines, ip, place, marker)
	return added, updated
}

// hostsPlace adds names to the first managed line for ip, or to a new line.
func hostsPlace(lines *[]*hostsLine, ip netip.Addr, names []string, marker string) {
	if len(names) == 0 {
		return
	}
	for _, l := range *lines {
		if l.entry() && l.managed && l.ip.Unmap() == ip {
			l.names, l.dirty = append(l.names, names...), true
			return
		}
	}
	for i := len(*lines) - 1; i >= 0; i-- { // the last line must end before a new one
		if l := (*lines)[i]; l.String() != "" {
			if !strings.HasSuffix(l.raw, "\n") && !l.dirty {
				l.raw += "\n"
			}
			break
		}
	}
	*lines = append(*lines, &hostsLine{ip: ip, sep: " ", names: names, comment: marker, managed: true, dirty: true})
}

// hostsAbsent removes names (or, without names, the managed lines), only
// from lines for ip when ip is valid; lines left empty are dropped.
func hostsAbsent(lines []*hostsLine, ip netip.Addr, names []string) []any {
	removed := []any{}
	for _, l := range lines {
		if !l.entry() || ip.IsValid() && l.ip.Unmap() != ip {
			continue
		}
		if len(names) == 0 {
			if l.managed {
				for _, n := range l.names {
					removed = append(removed, n+" "+l.ip.String())
				}
				l.names, l.dirty = nil, true
			}
			continue
		}
		var kept []string
		for _, n := range l.names {
			if hostsHas(names, n) {
				removed = append(removed, n+" "+l.ip.String())
			} else {
				kept = append(kept, n)
			}
		}
		if len(kept) != len(l.names) {
			l.names, l.dirty = kept, true
		}
	}
	for _, l := range lines {
		if l.dirty && len(l.names) == 0 {
			l.raw, l.dirty = "", false // the line goes
		}
	}
	return removed
}

func hostsHas(list []string, name string) bool {
	for _, n := range list {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

func hostsUnique(names []string) []string {
	var out []string
	for _, n := range names {
		if !hostsHas(out, n) {
			out = append(out, n)
		}
	}
	return out
}
