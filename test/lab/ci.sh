# test/lab/ci.sh — sourced by .ci/run (bash, set -euo pipefail, cwd = repo
# root) before `make test`. Installs what the lab needs, builds or reuses the
# cache (/var/cache/runbook-lab), starts the lab, makes the lab tests
# mandatory (RUNBOOK_LAB=required) and tears the lab down on exit, whatever
# happens, chaining any EXIT trap already set.

bash test/lab/prereqs.sh

export RUNBOOK_LAB=required

# Chain the EXIT trap: ours stops the lab, then the one set before runs with
# the same exit status.
_lab_prev_trap=$(trap -p EXIT)
_lab_prev_trap=${_lab_prev_trap#trap -- }
_lab_prev_trap=${_lab_prev_trap% EXIT}
_lab_prev_exit=
if [ -n "$_lab_prev_trap" ]; then eval "_lab_prev_exit=$_lab_prev_trap"; fi
unset _lab_prev_trap
_lab_on_exit() {
  local rc=$?
  set +e
  echo "lab: tearing down" >&2
  if ! timeout 300 make -s lab-down; then
    echo "lab: make lab-down failed; killing what is left" >&2
    # Every node's init carries RUNBOOK_LAB_DIR and RUNBOOK_LAB_NODE in its
    # environment; SIGKILL to it ends every process of the node. Only this
    # lab directory's nodes: another lab on the machine is left alone.
    local dir=${RUNBOOK_LAB_DIR:-/var/lib/runbook-lab} p env cmd
    for p in /proc/[0-9]*; do
      env=$(tr '\0' '\n' <"$p/environ" 2>/dev/null) || continue
      if grep -qxF "RUNBOOK_LAB_DIR=$dir" <<<"$env" && grep -q '^RUNBOOK_LAB_NODE=' <<<"$env"; then
        kill -KILL "${p#/proc/}" 2>/dev/null
      fi
    done
    # Their systemd-nspawn exits with them; one that does not is killed.
    sleep 1
    for p in /proc/[0-9]*; do
      cmd=$(tr '\0' '\n' <"$p/cmdline" 2>/dev/null) || continue
      case ${cmd%%$'\n'*} in systemd-nspawn | */systemd-nspawn) ;; *) continue ;; esac
      if grep -qxF -- "--setenv=RUNBOOK_LAB_DIR=$dir" <<<"$cmd"; then
        kill -KILL "${p#/proc/}" 2>/dev/null
      fi
    done
  fi
  if [ -n "$_lab_prev_exit" ]; then
    (exit "$rc")
    eval "$_lab_prev_exit"
  fi
  exit "$rc"
}
trap _lab_on_exit EXIT

_lab_start=$(date +%s)
make -s lab-up
echo "lab: up in $(( $(date +%s) - _lab_start ))s" >&2
unset _lab_start
