package modules

import (
	"strconv"
	"strings"
)

// Hardware facts under Ansible's names: processors, memory, mounts.

// setupProcessorFacts reads the filtered /proc/cpuinfo lines.
func setupProcessorFacts(f map[string]any, lines []string) {
	var procs []any
	sockets := map[string]bool{}
	cores, siblings := 0, 0
	n := 0
	for _, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "processor":
			procs = append(procs, strconv.Itoa(n))
			n++
			// ARM kernels once printed "Processor : <model>" instead.
			if _, err := strconv.Atoi(v); err != nil {
				procs = append(procs, v)
			}
		case "vendor_id", "model name", "Processor", "CPU implementer":
			procs = append(procs, v)
		case "physical id":
			sockets[v] = true
		case "cpu cores":
			cores, _ = strconv.Atoi(v)
		case "siblings":
			siblings, _ = strconv.Atoi(v)
		}
	}
	if n == 0 {
		return
	}
	count := len(sockets)
	if count == 0 {
		count = 1
	}
	if cores == 0 {
		cores = n / count
	}
	threads := 1
	if siblings > 0 && cores > 0 && siblings >= cores {
		threads = siblings / cores
	}
	f["ansible_processor"] = procs
	f["ansible_processor_count"] = count
	f["ansible_processor_cores"] = cores
	f["ansible_processor_threads_per_core"] = threads
	f["ansible_processor_vcpus"] = threads * cores * count
	if siblings == 0 {
		f["ansible_processor_vcpus"] = n
	}
}

// setupMemoryFacts reads the filtered /proc/meminfo lines (values in kB).
func setupMemoryFacts(f map[string]any, lines []string) {
	kb := map[string]int{}
	for _, l := range lines {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB")); err == nil {
			kb[k] = n
		}
	}
	if _, ok := kb["MemTotal"]; !ok {
		return
	}
	mb := func(k string) int { return kb[k] / 1024 }
	total, free := mb("MemTotal"), mb("MemFree")
	nocacheFree := (kb["MemFree"] + kb["Buffers"] + kb["Cached"]) / 1024
	f["ansible_memfree_mb"] = free
	f["ansible_swaptotal_mb"] = mb("SwapTotal")
	f["ansible_swapfree_mb"] = mb("SwapFree")
	f["ansible_memory_mb"] = map[string]any{
		"real":    map[string]any{"total": total, "free": free, "used": total - free},
		"nocache": map[string]any{"free": nocacheFree, "used": total - nocacheFree},
		"swap": map[string]any{"total": mb("SwapTotal"), "free": mb("SwapFree"),
			"used": mb("SwapTotal") - mb("SwapFree"), "cached": mb("SwapCached")},
	}
}

// setupMountFacts reads "device|mount|fstype|options|bsize|blocks|bfree|bavail|files|ffree"
// lines, and /dev/disk/by-uuid's listing for each device's UUID. As in
// Ansible, "used" is what an unprivileged user cannot have (total - avail).
func setupMountFacts(f map[string]any, lines, byUUID []string) {
	uuids := map[string]string{}
	for _, l := range byUUID {
		w := strings.Fields(l)
		if len(w) >= 3 && w[len(w)-2] == "->" {
			target := w[len(w)-1]
			uuids["/dev/"+target[strings.LastIndex(target, "/")+1:]] = w[len(w)-3]
		}
	}
	mounts := []any{}
	for _, l := range lines {
		p := strings.Split(l, "|")
		if len(p) < 4 {
			continue
		}
		m := map[string]any{"device": p[0], "mount": p[1], "fstype": p[2], "options": p[3], "uuid": "N/A"}
		if u, ok := uuids[p[0]]; ok {
			m["uuid"] = u
		}
		if len(p) >= 10 {
			n := make([]int64, 6)
			valid := true
			for i := range n {
				v, err := strconv.ParseInt(p[4+i], 10, 64)
				if err != nil {
					valid = false
					break
				}
				n[i] = v
			}
			if valid {
				bsize, blocks, bavail, files, ffree := n[0], n[1], n[3], n[4], n[5]
				m["block_size"], m["block_total"], m["block_available"], m["block_used"] = bsize, blocks, bavail, blocks-bavail
				m["inode_total"], m["inode_available"], m["inode_used"] = files, ffree, files-ffree
				m["size_total"], m["size_available"] = blocks*bsize, bavail*bsize
			}
		}
		mounts = append(mounts, m)
	}
	f["ansible_mounts"] = mounts
}
