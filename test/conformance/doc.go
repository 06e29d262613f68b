// Package conformance runs every playbook under cases/ with runbook and,
// when it is installed, with ansible-playbook, and checks that both give the
// same recap, write the same files and change nothing on a second run. The
// package holds only the harness's tests; README.md says how to run one case
// and how to add one.
package conformance
