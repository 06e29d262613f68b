// Command fleet serves N SSH hosts on loopback for the fleet-scale
// benchmark (see package fleet). It writes DIR/fleet.json, prints
// "READY DIR/fleet.json" and serves until its stdin closes, it gets
// SIGINT/SIGTERM, or -max-life passes; then it stops every host and exits.
//
//	fleet -n 1000 -dir /tmp/fleet
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/runbook-dev/runbook/test/bench/fleet"
)

func main() {
	n := flag.Int("n", 50, "number of hosts")
	dir := flag.String("dir", "", "directory for keys, known_hosts and sandboxes (required)")
	network := flag.String("net", "127.0.12", "first three octets of the addresses")
	first := flag.Int("first", 1, "last octet of the first address")
	perAddr := flag.Int("per-addr", 25, "hosts per address (on different ports)")
	maxLife := flag.Duration("max-life", 2*time.Hour, "exit after this long whatever happens")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the fleet process here (until it stops)")
	flag.Parse()
	if *dir == "" {
		log.Fatal("fleet: -dir is required")
	}
	logger := log.New(os.Stderr, "", log.LstdFlags)
	if os.Getenv("GOGC") == "" {
		// Thousands of connection goroutines and a small heap make the
		// default GC scan stacks very often; this process only simulates
		// hosts, so trade memory for the CPU the measured tool shares.
		debug.SetGCPercent(400)
	}
	if *cpuProfile != "" {
		stopProfile, err := startProfile(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		defer stopProfile()
	}
	f, err := fleet.Start(fleet.Options{N: *n, Dir: *dir, Net: *network, FirstAddr: *first, PerAddr: *perAddr, Logf: logger.Printf})
	if err != nil {
		log.Fatal(err)
	}
	spec := filepath.Join(*dir, "fleet.json")
	if err := fleet.WriteSpec(spec, f.Spec()); err != nil {
		f.Close()
		log.Fatal(err)
	}
	fmt.Printf("READY %s\n", spec)
	serve(f, *maxLife, logger)
}

// serve waits for a reason to stop, then stops the fleet.
func serve(f *fleet.Fleet, maxLife time.Duration, logger *log.Logger) {

	stop := make(chan string, 3)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() { stop <- (<-sig).String() }()
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); stop <- "stdin closed" }()
	timer := time.AfterFunc(maxLife, func() { stop <- "max-life reached" })
	why := <-stop
	timer.Stop()
	f.Close()
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // zeros on failure: only informative
	logger.Printf("fleet: stopped (%s); own CPU %.2fs user %.2fs sys", why,
		time.Duration(ru.Utime.Nano()).Seconds(), time.Duration(ru.Stime.Nano()).Seconds())
}

func startProfile(path string) (func(), error) {
	out, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); out.Close() }, nil
}
