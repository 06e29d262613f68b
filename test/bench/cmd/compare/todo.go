package main

import "context"

// benchRegistry is the hook for issue 8 item 3 (registry distribution:
// runbook's registry_sync of a 1 GiB, ~2,000-blob tree from master0 to the
// other lab nodes against `rsync -a -e ssh` and `scp -r`, then a no-change
// re-run; targets 1.5× and 10× faster than rsync).
//
// TODO(bench-registry): implement once the registry_sync module and the lab
// (test/lab) playbooks exist. It must not report numbers before then.
func (b *bench) benchRegistry(context.Context) error { return nil }

// benchRecovery is the hook for issue 8 item 4 (wall time of
// recover-master0.yaml on the lab with the registry pre-distributed, target
// under 15 s, and via post-distribute).
//
// TODO(bench-recovery): implement once recover-master0.yaml exists.
func (b *bench) benchRecovery(context.Context) error { return nil }
