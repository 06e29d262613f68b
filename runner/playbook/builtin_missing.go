package playbook

// missingBuiltins are ansible-core's ansible.builtin modules runbook does
// not have, each with what to write instead: a playbook using one stops at
// its file:line saying so, rather than with "unknown module".
var missingBuiltins = map[string]string{
	"apt_key":                "copy the key into /etc/apt/keyrings/ and name it with signed-by= in the source file",
	"apt_repository":         "write the source with copy or template into /etc/apt/sources.list.d/, then apt: update_cache: true",
	"yum_repository":         "write the .repo file with template or copy into /etc/yum.repos.d/",
	"rpm_key":                "command: rpm --import KEY, guarded by a stat or rpm -q gpg-pubkey check",
	"assemble":               "template a file that includes the fragments, or shell: cat DIR/* > FILE",
	"debconf":                "command: debconf-set-selections with stdin:",
	"dpkg_selections":        "command: dpkg --set-selections with stdin:",
	"expect":                 "command with stdin:, or shell with a here-document",
	"git":                    "command: git clone / git fetch with chdir: and creates:, or unarchive a release archive",
	"subversion":             "command: svn checkout with creates:",
	"hostname":               "command: hostnamectl set-hostname NAME with when: ansible_hostname != NAME",
	"iptables":               "command: iptables, with iptables -C first (register it and use when:)",
	"known_hosts":            "lineinfile on the known_hosts file with the host's key line",
	"pip":                    "package: the distribution's python3-* package, or command: pip install with creates:",
	"reboot":                 "shell: sleep 2 && reboot with async: 1 and poll: 0, then wait_for_connection (or wait_for on the SSH port) from the controller",
	"set_stats":              "set_fact (runbook prints no custom stats)",
	"sysvinit":               "service",
	"validate_argument_spec": "assert: with the conditions the argument spec expresses",
	"package_facts":          "command: dpkg-query -W or rpm -qa, registered, and parse its stdout_lines",
	"mount_facts":            "setup (ansible_mounts)",
}

// missingBuiltin returns what to write instead of an ansible.builtin
// module runbook does not have ("" when name is not one).
func missingBuiltin(name string) string {
	for _, p := range FQCNPrefixes {
		if len(name) > len(p) && name[:len(p)] == p {
			name = name[len(p):]
		}
	}
	return missingBuiltins[name]
}

// MissingBuiltinNames lists the ansible.builtin modules runbook lacks.
func MissingBuiltinNames() []string {
	out := make([]string, 0, len(missingBuiltins))
	for n := range missingBuiltins {
		out = append(out, n)
	}
	return out
}
