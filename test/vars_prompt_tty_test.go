package test

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestVarsPromptOnTerminal: on a terminal (a pseudo-terminal from
// util-linux script), vars_prompt asks each question in turn, shows the
// default, takes the typed answer, and a private answer is neither echoed
// nor shown in the output (redacted like any secret).
func TestVarsPromptOnTerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("util-linux script not installed: no pseudo-terminal to prompt on")
	}
	dir := workdir(t, map[string]string{"site.yaml": `
- name: ask
  hosts: localhost
  gather_facts: false
  vars_prompt:
    - name: who
      prompt: Whom to greet?
      private: false
      default: world
    - name: pw
      prompt: Password
  tasks:
    - debug: {msg: "hello {{ who }} pw={{ pw }}"}
`})
	cmd := exec.Command(script, "-qec", bin+" play site.yaml -i localhost,", "/dev/null")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "HOME="+dir)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A hung run is killed, which ends the reads below.
	watchdog := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() })
	defer watchdog.Stop()
	defer func() { _ = cmd.Process.Kill() }()
	out := bufio.NewReader(outPipe)
	var seen strings.Builder
	waitFor := func(s string) {
		t.Helper()
		for !strings.Contains(seen.String(), s) {
			b, err := out.ReadByte()
			if err != nil {
				t.Fatalf("terminal closed before %q: %v\n%s", s, err, seen.String())
			}
			seen.WriteByte(b)
		}
	}
	waitFor("Whom to greet? [world]: ")
	if _, err := io.WriteString(in, "Alice\n"); err != nil {
		t.Fatal(err)
	}
	waitFor("Password: ")
	if _, err := io.WriteString(in, "s3cretpass\n"); err != nil {
		t.Fatal(err)
	}
	waitFor("PLAY RECAP")
	rest, _ := io.ReadAll(out)
	seen.Write(rest)
	waitAtMostAMinute(t, cmd)
	got := seen.String()
	if !strings.Contains(got, `"hello Alice pw=********"`) {
		t.Errorf("the answers did not reach the play (or the private one was shown):\n%s", got)
	}
	if strings.Contains(got, "s3cretpass") {
		t.Errorf("the private answer was echoed or shown:\n%s", got)
	}
}
