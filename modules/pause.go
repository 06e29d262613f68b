package modules

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

func init() { Register(pauseModule{}) }

type pauseModule struct{}

var pauseSpec = &Spec{
	Name:  "pause",
	Short: "Wait a while, or until the operator presses Enter",
	Doc: "With seconds or minutes, waits that long (Ctrl-C stops the run). Without them, shows prompt and waits " +
		"for a line typed on the terminal, returned as user_input; when runbook's standard input is not a " +
		"terminal (CI, a pipe) that is refused with an error instead of waiting forever or going on unasked. " +
		"As in Ansible it runs once per task, not once per host, and pauses in check mode too.",
	Params: []Param{
		{Name: "seconds", Type: TypeInt, Doc: "How long to wait. Not with minutes."},
		{Name: "minutes", Type: TypeInt, Doc: "How long to wait. Not with seconds."},
		{Name: "prompt", Type: TypeString, Doc: "The text shown while waiting for input."},
		{Name: "echo", Type: TypeBool, Default: true, Doc: "Show what is typed (false: for a password)."},
	},
	Check:            CheckFull,
	RunsOnController: true,
	Returns: []Return{
		{Name: "user_input", Type: TypeString, Doc: "The line typed (without its newline); empty after a timed pause."},
		{Name: "start", Type: TypeString, Doc: "When the pause began."},
		{Name: "stop", Type: TypeString, Doc: "When it ended."},
		{Name: "delta", Type: TypeInt, Doc: "How many seconds it lasted."},
		{Name: "echo", Type: TypeBool, Doc: "The echo parameter."},
	},
	Example: `- pause:
    seconds: 30

- pause:
    prompt: "Check the registry on master0, then press Enter"`,
	Validate: func(a Args) error {
		switch {
		case a.Has("seconds") && a.Has("minutes"):
			return errors.New("parameters are mutually exclusive: seconds|minutes")
		case a.Int("seconds") < 0 || a.Int("minutes") < 0:
			return errors.New("seconds and minutes must not be negative")
		}
		return nil
	},
}

func (pauseModule) Spec() *Spec { return pauseSpec }

// pauseInput is where a prompted pause reads from and whether that is a
// terminal; tests replace it.
var pauseInput = func() (io.Reader, bool) { return os.Stdin, term.IsTerminal(int(os.Stdin.Fd())) }

// pausePrompt is where the prompt is shown: the terminal's stderr, apart
// from runbook's output on stdout.
var pausePrompt io.Writer = os.Stderr

func (pauseModule) Run(ctx context.Context, mc *Context, args Args) (*Result, error) {
	start := time.Now()
	data := map[string]any{"user_input": "", "echo": args.Bool("echo"), "start": start.Format("2006-01-02 15:04:05.000000")}
	finish := func(stdout string) *Result {
		stop := time.Now()
		data["stop"] = stop.Format("2006-01-02 15:04:05.000000")
		data["delta"] = int(stop.Sub(start).Seconds())
		return &Result{Data: data, Stdout: stdout}
	}
	if args.Has("seconds") || args.Has("minutes") {
		d := time.Duration(args.Int("seconds"))*time.Second + time.Duration(args.Int("minutes"))*time.Minute
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			return nil, fmt.Errorf("pause: interrupted: %w", ctx.Err())
		}
		return finish(fmt.Sprintf("Paused for %s", d)), nil
	}
	in, isTerm := pauseInput()
	if !isTerm {
		return nil, errors.New("pause: waiting for the operator needs a terminal, and runbook's standard input is not one " +
			"(CI, a pipe, a cron job): give seconds: or minutes: to wait a fixed time, or run runbook from a terminal")
	}
	prompt := args.String("prompt")
	if prompt == "" {
		prompt = "Press enter to continue, Ctrl+C to interrupt"
	}
	fmt.Fprintf(pausePrompt, "[pause]\n%s:\n", prompt)
	line, err := pauseRead(ctx, in, args.Bool("echo"))
	if err != nil {
		return nil, fmt.Errorf("pause: reading the answer: %w", err)
	}
	data["user_input"] = line
	return finish(""), nil
}

// pauseRead reads one line, without echo when asked (on a real terminal).
func pauseRead(ctx context.Context, in io.Reader, echo bool) (string, error) {
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		if f, ok := in.(*os.File); ok && !echo && term.IsTerminal(int(f.Fd())) {
			b, err := term.ReadPassword(int(f.Fd()))
			ch <- answer{string(b), err}
			return
		}
		line, err := bufio.NewReader(in).ReadString('\n')
		if errors.Is(err, io.EOF) && line != "" {
			err = nil
		}
		ch <- answer{strings.TrimRight(line, "\r\n"), err}
	}()
	select {
	case a := <-ch:
		return a.line, a.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
