package jobs

import (
	"fmt"
	"log/slog"
	"os"
)

// Logger routes asynq's own logs (servers, schedulers) to slog, so every
// line of a picpipe process has one format.
type Logger struct{}

func (Logger) Debug(args ...any) { slog.Debug(fmt.Sprint(args...)) }
func (Logger) Info(args ...any)  { slog.Info(fmt.Sprint(args...)) }
func (Logger) Warn(args ...any)  { slog.Warn(fmt.Sprint(args...)) }
func (Logger) Error(args ...any) { slog.Error(fmt.Sprint(args...)) }

// Fatal logs and exits, as asynq expects of it.
func (Logger) Fatal(args ...any) {
	slog.Error(fmt.Sprint(args...))
	os.Exit(1)
}
