package modules

import (
	"encoding/json"
	"strconv"
	"strings"
)

// System facts under Ansible's names: lsb, dns, kernel command line,
// security modules, user and ids, virtualization, DMI, SSH host keys and
// local facts (/etc/ansible/facts.d).

// setupSystemFacts adds the facts of the "lsb", "resolv", "misc" and
// "local *" sections to f.
func setupSystemFacts(f map[string]any, sec map[string][]string) {
	f["ansible_lsb"] = setupLSB(sec["lsb"])
	f["ansible_dns"] = setupDNS(sec["resolv"])
	misc := setupMisc(sec["misc"])

	if up, _, _ := strings.Cut(misc["uptime"], " "); up != "" {
		if s, err := strconv.ParseFloat(up, 64); err == nil {
			f["ansible_uptime_seconds"] = int(s)
		}
	}
	if w := strings.Fields(misc["loadavg"]); len(w) >= 3 {
		load := map[string]any{}
		for i, k := range []string{"1m", "5m", "15m"} {
			load[k], _ = strconv.ParseFloat(w[i], 64)
		}
		f["ansible_loadavg"] = load
	}
	f["ansible_cmdline"], f["ansible_proc_cmdline"] = setupCmdline(misc["cmdline"])
	f["ansible_fips"] = misc["fips"] == "1"
	f["ansible_selinux"] = setupSELinux(misc)
	f["ansible_apparmor"] = map[string]any{"status": "disabled"}
	if misc["apparmor"] == "1" {
		f["ansible_apparmor"] = map[string]any{"status": "enabled"}
	}
	if bits := misc["long_bit"]; bits != "" {
		f["ansible_userspace_bits"] = bits
		arch, _ := f["ansible_architecture"].(string)
		if bits == "32" && arch == "x86_64" {
			arch = "i386"
		}
		f["ansible_userspace_architecture"] = arch
	}
	if ids := strings.Fields(misc["ids"]); len(ids) == 4 {
		for i, k := range []string{"ansible_real_user_id", "ansible_effective_user_id", "ansible_real_group_id", "ansible_effective_group_id"} {
			if n, err := strconv.Atoi(ids[i]); err == nil {
				f[k] = n
			}
		}
	}
	if pw := strings.Split(misc["passwd"], ":"); len(pw) >= 7 {
		f["ansible_user_gecos"], f["ansible_user_shell"] = pw[4], pw[6]
	}
	f["ansible_is_chroot"] = false // unknown (no access to /proc/1/root) reads as not in a chroot
	if r := strings.Fields(misc["root_ids"]); len(r) == 2 {
		f["ansible_is_chroot"] = r[0] != r[1]
	}
	f["gather_subset"], f["module_setup"] = []any{"all"}, true
	setupVirtualization(f, misc)
	for k, v := range misc {
		if name, ok := strings.CutPrefix(k, "dmi_"); ok {
			if v == "" {
				v = "NA"
			}
			fact := "ansible_" + name
			if name == "sys_vendor" {
				fact = "ansible_system_vendor"
			}
			f[fact] = v
		}
		if t, ok := strings.CutPrefix(k, "hostkey_"); ok {
			if w := strings.Fields(v); len(w) >= 2 {
				f["ansible_ssh_host_key_"+t+"_public"] = w[1]
				f["ansible_ssh_host_key_"+t+"_public_keytype"] = w[0]
			}
		}
	}
	local := map[string]any{}
	for name, lines := range sec {
		if n, ok := strings.CutPrefix(name, "local "); ok {
			local[n] = setupLocalFact(n, lines)
		}
	}
	f["ansible_local"] = local
}

// setupLSB reads `lsb_release -a` ("Key:\tvalue") or /etc/lsb-release (KEY=value).
func setupLSB(lines []string) map[string]any {
	out := map[string]any{}
	keys := map[string]string{"Distributor ID": "id", "DISTRIB_ID": "id", "Description": "description",
		"DISTRIB_DESCRIPTION": "description", "Release": "release", "DISTRIB_RELEASE": "release",
		"Codename": "codename", "DISTRIB_CODENAME": "codename"}
	for _, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if !ok || strings.Contains(k, "=") {
			k, v, ok = strings.Cut(l, "=")
		}
		if name, known := keys[strings.TrimSpace(k)]; ok && known {
			out[name] = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	if r, ok := out["release"].(string); ok {
		out["major_release"], _, _ = strings.Cut(r, ".")
	}
	return out
}

// setupDNS reads resolv.conf's nameserver, domain, search and options lines.
func setupDNS(lines []string) map[string]any {
	out := map[string]any{}
	for _, l := range lines {
		w := strings.Fields(l)
		if len(w) < 2 {
			continue
		}
		switch w[0] {
		case "nameserver":
			ns, _ := out["nameservers"].([]any)
			out["nameservers"] = append(ns, w[1])
		case "domain":
			out["domain"] = w[1]
		case "search":
			s := make([]any, 0, len(w)-1)
			for _, x := range w[1:] {
				s = append(s, x)
			}
			out["search"] = s
		case "options":
			opts, _ := out["options"].(map[string]any)
			if opts == nil {
				opts = map[string]any{}
			}
			for _, o := range w[1:] {
				k, v, ok := strings.Cut(o, ":")
				if ok {
					opts[k] = v
				} else {
					opts[k] = true
				}
			}
			out["options"] = opts
		}
	}
	return out
}

// setupCmdline reads /proc/cmdline as Ansible does: ansible_cmdline keeps the
// last value of a repeated key, ansible_proc_cmdline makes a list of them.
func setupCmdline(s string) (map[string]any, map[string]any) {
	last, all := map[string]any{}, map[string]any{}
	for _, w := range strings.Fields(s) {
		k, v, ok := strings.Cut(w, "=")
		var val any = true
		if ok {
			val = v
		}
		last[k] = val
		switch prev := all[k].(type) {
		case nil:
			all[k] = val
		case []any:
			all[k] = append(prev, val)
		default:
			all[k] = []any{prev, val}
		}
	}
	return last, all
}

func setupSELinux(misc map[string]string) map[string]any {
	enforce, ok := misc["selinux_enforce"]
	if !ok || enforce == "" {
		return map[string]any{"status": "disabled"}
	}
	mode := "permissive"
	if enforce == "1" {
		mode = "enforcing"
	}
	out := map[string]any{"status": "enabled", "mode": mode, "config_mode": misc["selinux_config"], "type": misc["selinux_type"]}
	if v, err := strconv.Atoi(misc["selinux_policyvers"]); err == nil {
		out["policyvers"] = v
	}
	return out
}

// setupVirtualization sets ansible_virtualization_type/role: a container
// first (docker, podman, lxc, …), then systemd-detect-virt's answer.
func setupVirtualization(f map[string]any, misc map[string]string) {
	typ, role := "", ""
	if c := misc["container"]; c != "" {
		typ, role = c, "guest"
	} else if v := misc["virt"]; v != "" && v != "none" {
		typ, role = v, "guest"
		if v == "microsoft" {
			typ = "VirtualPC"
		}
	}
	if typ == "" {
		typ, role = "NA", "NA"
	}
	f["ansible_virtualization_type"], f["ansible_virtualization_role"] = typ, role
	guest := []any{}
	if misc["container"] != "" {
		guest = append(guest, "container")
	}
	if role == "guest" {
		guest = append(guest, typ)
	}
	f["ansible_virtualization_tech_guest"], f["ansible_virtualization_tech_host"] = guest, []any{}
}

// setupLocalFact reads one facts.d file's output: JSON, else INI (sections
// of key=value), else Ansible's error text.
func setupLocalFact(name string, lines []string) any {
	text := strings.Join(lines, "\n")
	var v any
	if err := json.Unmarshal([]byte(text), &v); err == nil {
		return v
	}
	out := map[string]any{}
	var cur map[string]any
	for _, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || l[0] == '#' || l[0] == ';':
		case l[0] == '[' && strings.HasSuffix(l, "]"):
			cur = map[string]any{}
			out[l[1:len(l)-1]] = cur
		default:
			k, val, ok := strings.Cut(l, "=")
			if !ok {
				k, val, ok = strings.Cut(l, ":")
			}
			if !ok || cur == nil {
				return "error loading facts as JSON or ini - please check content: /etc/ansible/facts.d/" + name + ".fact"
			}
			cur[strings.TrimSpace(k)] = strings.TrimSpace(val)
		}
	}
	return out
}
