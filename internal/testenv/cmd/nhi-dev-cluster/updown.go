package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// upDown runs an "<x>-up" or "<x>-down" subcommand of a test server whose
// state lives in dir: down stops it (saying so as stopped), up stops any
// left over and starts it, ending when the command is interrupted.
func upDown(isDown bool, dir string, stop func(string) error, start func(context.Context) error, stopped string) error {
	if isDown {
		if err := stop(dir); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, stopped)
		return nil
	}
	_ = stop(dir)
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	return start(ctx)
}
