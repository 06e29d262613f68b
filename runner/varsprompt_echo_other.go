//go:build !linux

package runner

import "errors"

// echoOff is supported on Linux only, where runbook runs; elsewhere a
// private prompt is refused rather than echoed.
func echoOff(int) (func(), error) {
	return nil, errors.New("private prompts need Linux")
}
