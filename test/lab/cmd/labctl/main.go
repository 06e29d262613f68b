// Command labctl drives the runbook lab (package test/lab) for the Makefile:
//
//	labctl up        build the cache if needed, start every node
//	labctl down      stop every node, leaving no process behind
//	labctl status    show nodes, services and paths
//	labctl seed      start the lab if needed and put it in sealer's state
//	labctl reset     stop the lab and delete the nodes' state
//	labctl cache     only build the cache (base rootfs, kube-apiserver)
//	labctl start|stop|kill|restart NODE
//	labctl run NODE COMMAND...   run a command in a node (as root)
//	labctl shell NODE            print the nsenter command for a shell in NODE
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/runbook-dev/runbook/test/lab"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: labctl up|down|status|seed|reset|cache | start|stop|kill|restart NODE | run NODE CMD... | shell NODE")
	os.Exit(2)
}

func run(ctx context.Context, cmd string, args []string) error {
	l, err := lab.OpenFromEnv()
	if err != nil {
		return err
	}
	start := time.Now()
	done := func(what string) {
		fmt.Fprintf(os.Stderr, "lab: %s in %s\n", what, time.Since(start).Round(100*time.Millisecond))
	}
	need := func(n int) {
		if len(args) < n {
			usage()
		}
	}
	switch cmd {
	case "up":
		if err := l.Up(ctx, os.Stderr); err != nil {
			return err
		}
		done("up")
	case "down":
		if err := l.Down(ctx); err != nil {
			return err
		}
		done("down")
	case "status":
		l.Status(ctx, os.Stdout)
	case "seed":
		if err := l.Up(ctx, os.Stderr); err != nil {
			return err
		}
		o, err := lab.SeedOptionsFromEnv()
		if err != nil {
			return err
		}
		if err := l.SeedWith(ctx, o); err != nil {
			return err
		}
		done(fmt.Sprintf("seeded: shape %s (LAB_SHAPE), runtime %s (LAB_RUNTIME)", o.Shape, o.Runtime))
	case "reset":
		if err := l.Reset(ctx); err != nil {
			return err
		}
		done("reset")
	case "cache":
		if p := lab.HostProblem(); p != "" {
			return fmt.Errorf("lab: %s", p)
		}
		if err := l.BuildCache(ctx, os.Stderr); err != nil {
			return err
		}
		done("cache ready")
	case "start", "stop", "kill", "restart":
		need(1)
		f := map[string]func(context.Context, string) error{"start": l.Start, "stop": l.Stop, "kill": l.HardKill, "restart": l.Restart}[cmd]
		if err := f(ctx, l.Node(args[0]).Name); err != nil {
			return err
		}
		done(cmd + " " + args[0])
	case "run":
		need(2)
		out, errOut, code, err := l.RunContext(ctx, args[0], strings.Join(args[1:], " "), os.Stdin)
		fmt.Print(out)
		fmt.Fprint(os.Stderr, errOut)
		if err != nil {
			return err
		}
		os.Exit(code)
	case "shell":
		need(1)
		pid := l.InitPID(args[0])
		if pid == 0 {
			return fmt.Errorf("lab: %s is not running", args[0])
		}
		fmt.Printf("nsenter --target %s --mount --uts --ipc --pid --cgroup --root --wd -- /usr/bin/env -i TERM=%s PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root /bin/bash -l\n",
			strconv.Itoa(pid), envOr("TERM", "xterm"))
	default:
		usage()
	}
	return nil
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}
