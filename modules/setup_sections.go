package modules

import (
	"strings"
)

// setupMoreScript gathers the facts that need more than one line each: it
// prints "@@name" section headers, each followed by the raw lines of one
// source (a /proc file, `ip -o addr`, …). It reads files with the shell's
// own read, so the whole script forks only a handful of processes, however
// many interfaces or mounts a host has.
const setupMoreScript = `
rd() { if [ -r "$1" ]; then v=; IFS= read -r v < "$1" 2>/dev/null; printf '%s' "$v"; fi; }
echo @@net
for d in /sys/class/net/*; do
  [ -e "$d" ] || continue
  printf '%s|' "${d##*/}"; rd "$d/address"; printf '|'; rd "$d/mtu"; printf '|'; rd "$d/operstate"
  printf '|'; rd "$d/type"; printf '|'; rd "$d/flags"; printf '|'
  if [ -d "$d/bridge" ]; then printf bridge; elif [ -d "$d/bonding" ]; then printf bonding; fi
  echo
done
echo @@addr
ip -o addr show 2>/dev/null
echo @@route4
ip -4 route show default 2>/dev/null
echo @@route6
ip -6 route show default 2>/dev/null
echo @@cpuinfo
grep -E '^(processor|vendor_id|model name|physical id|cpu cores|siblings|Processor|CPU implementer)[[:space:]]*:' /proc/cpuinfo 2>/dev/null
echo @@meminfo
grep -E '^(MemTotal|MemFree|Buffers|Cached|SwapTotal|SwapFree|SwapCached):' /proc/meminfo 2>/dev/null
echo @@mounts
while read -r dev mnt fs opts rest; do
  case "$dev" in /*|*:/*) ;; *) continue ;; esac
  m=$(printf '%b' "$mnt")
  printf '%s|%s|%s|%s|' "$dev" "$m" "$fs" "$opts"
  stat -f -c '%S|%b|%f|%a|%c|%d' "$m" 2>/dev/null || echo
done < /proc/mounts
echo @@byuuid
ls -l /dev/disk/by-uuid 2>/dev/null
echo @@lsb
if command -v lsb_release >/dev/null 2>&1; then lsb_release -a 2>/dev/null; elif [ -r /etc/lsb-release ]; then cat /etc/lsb-release; fi
echo @@resolv
grep -E '^[[:space:]]*(nameserver|domain|search|options)[[:space:]]' /etc/resolv.conf 2>/dev/null
echo @@misc
printf 'uptime|'; rd /proc/uptime; echo
printf 'loadavg|'; rd /proc/loadavg; echo
printf 'cmdline|'; rd /proc/cmdline; echo
printf 'fips|'; rd /proc/sys/crypto/fips_enabled; echo
printf 'selinux_enforce|'; rd /sys/fs/selinux/enforce; echo
printf 'selinux_policyvers|'; rd /sys/fs/selinux/policyvers; echo
if [ -r /etc/selinux/config ]; then sed -n 's/^SELINUX=/selinux_config|/p; s/^SELINUXTYPE=/selinux_type|/p' /etc/selinux/config; fi
if [ -d /sys/kernel/security/apparmor ]; then echo 'apparmor|1'; fi
printf 'long_bit|'; getconf LONG_BIT 2>/dev/null || echo
printf 'ids|%s %s %s %s\n' "$(id -ru 2>/dev/null)" "$(id -u 2>/dev/null)" "$(id -rg 2>/dev/null)" "$(id -g 2>/dev/null)"
printf 'passwd|'; getent passwd "$(id -un 2>/dev/null)" 2>/dev/null || echo
printf 'root_ids|%s %s\n' "$(stat -c '%d:%i' / 2>/dev/null)" "$(stat -c '%d:%i' /proc/1/root/. 2>/dev/null)"
if [ -e /.dockerenv ]; then echo 'container|docker'; fi
if [ -e /run/.containerenv ]; then echo 'container|podman'; fi
if [ -r /proc/1/environ ]; then tr '\0' '\n' < /proc/1/environ 2>/dev/null | sed -n 's/^container=/container|/p'; fi
if command -v systemd-detect-virt >/dev/null 2>&1; then printf 'virt|'; systemd-detect-virt 2>/dev/null || echo; fi
for f in product_name product_version product_serial product_uuid sys_vendor bios_date bios_vendor bios_version board_asset_tag board_name board_serial board_vendor board_version chassis_asset_tag chassis_serial chassis_vendor chassis_version; do
  printf 'dmi_%s|' "$f"; rd "/sys/class/dmi/id/$f"; echo
done
for t in rsa ecdsa ed25519; do
  if [ -r /etc/ssh/ssh_host_${t}_key.pub ]; then printf 'hostkey_%s|' "$t"; rd /etc/ssh/ssh_host_${t}_key.pub; echo; fi
done
for f in /etc/ansible/facts.d/*.fact; do
  [ -f "$f" ] || continue
  n=${f##*/}; echo "@@local ${n%.fact}"
  if [ -x "$f" ]; then "$f" 2>/dev/null; else cat "$f" 2>/dev/null; fi
done
`

// setupSections splits the script's output into the key=value lines
// before the first section (the basic facts) and the named sections.
func setupSections(out string) (head string, sections map[string][]string) {
	sections = map[string][]string{}
	var b strings.Builder
	cur := ""
	for _, line := range strings.Split(out, "\n") {
		if name, ok := strings.CutPrefix(line, "@@"); ok && name != "" && !strings.ContainsAny(name, "=|") {
			cur = name
			if _, seen := sections[cur]; !seen {
				sections[cur] = []string{}
			}
			continue
		}
		if cur == "" {
			b.WriteString(line)
			b.WriteByte('\n')
			continue
		}
		if line != "" {
			sections[cur] = append(sections[cur], line)
		}
	}
	return b.String(), sections
}

// setupMisc reads the "misc" section's name|value lines (first wins).
func setupMisc(lines []string) map[string]string {
	m := map[string]string{}
	for _, l := range lines {
		k, v, ok := strings.Cut(l, "|")
		if !ok {
			continue
		}
		if _, seen := m[k]; !seen {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}
