package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"picpipe/api"
	"picpipe/imaging"
	"picpipe/scheduler"
	"picpipe/worker"
)

// A rule is what one variable accepts: want says it in words; bad
// returns the reason a configuration breaks it, or nil. The packages'
// Validate stay the judges where they have a rule; the rule names the
// variable and the values it takes.
type rule struct {
	name, want string
	bad        func(c config) error
}

// notNegative is a rule's bad for a number that must not be below zero.
func notNegative[T int | int64 | time.Duration](field func(c config) T) func(c config) error {
	return func(c config) error {
		if field(c) < 0 {
			return errors.New("negative")
		}
		return nil
	}
}

const (
	wantCount    = "a whole number, 0 or more (0: the default)"
	wantDuration = "a duration such as 500ms, 10s, 5m or 1h, 0 or more (0: the default)"
	wantSchedule = `a cron spec in UTC ("0 0 1 * *") or "@every DURATION" ("@every 10m")`
)

var rules = []rule{
	{"PICPIPE_LOG_LEVEL", "debug, info, warn or error", func(c config) error {
		var l slog.Level
		return l.UnmarshalText([]byte(c.LogLevel))
	}},
	{"PICPIPE_LOG_FORMAT", "text or json", func(c config) error {
		if c.LogFormat != "text" && c.LogFormat != "json" {
			return errors.New("unknown format")
		}
		return nil
	}},
	{"PICPIPE_RATE_LIMIT_ON_ERROR", "closed or open", func(c config) error {
		return api.Config{RateLimitOnError: api.FailMode(c.RateLimitOnError)}.Validate()
	}},
	{"PICPIPE_AVIF_SPEED", "a whole number from 1 (slowest, smallest files) to 9 (fastest)", func(c config) error {
		return imaging.Config{AVIFSpeed: c.AVIFSpeed}.Validate()
	}},
	{"PICPIPE_MAX_EDGE", wantCount, notNegative(func(c config) int { return c.MaxEdge })},
	{"PICPIPE_MAX_PIXELS", wantCount, notNegative(func(c config) int64 { return c.MaxPixels })},
	{"PICPIPE_MAX_FRAMES", wantCount, notNegative(func(c config) int { return c.MaxFrames })},
	{"PICPIPE_MAX_KEYS", wantCount, notNegative(func(c config) int { return c.MaxKeys })},
	{"PICPIPE_MAX_STREAMS", wantCount, notNegative(func(c config) int { return c.MaxStreams })},
	{"PICPIPE_MIN_BODY_RATE", wantCount + ", in bytes a second", notNegative(func(c config) int64 { return c.MinBodyRate })},
	{"PICPIPE_WORKER_CONCURRENCY", wantCount + "; 0 is one per CPU the process may use (GOMAXPROCS)", notNegative(func(c config) int { return c.WorkerConcurrency })},
	{"PICPIPE_VARIANT_NICE", "a whole number from 0 (the variants run in the worker's own process) to 19 (the lowest CPU priority)", func(c config) error {
		if c.VariantNice < 0 || c.VariantNice > 19 {
			return errors.New("out of range")
		}
		return nil
	}},
	{"PICPIPE_WORKER_POOLS", "a comma-separated list of images, variants and webhooks", func(c config) error {
		_, err := worker.ParsePools(c.WorkerPools)
		return err
	}},
	{"PICPIPE_DEFAULT_WAIT", wantDuration + ", at most PICPIPE_MAX_WAIT", func(c config) error {
		return api.Config{DefaultWait: c.DefaultWait, MaxWait: c.MaxWait}.Validate()
	}},
	{"PICPIPE_MAX_WAIT", wantDuration, notNegative(func(c config) time.Duration { return c.MaxWait })},
	{"PICPIPE_API_SHUTDOWN_TIMEOUT", wantDuration, notNegative(func(c config) time.Duration { return c.APIShutdown })},
	{"PICPIPE_HEADER_TIMEOUT", wantDuration, notNegative(func(c config) time.Duration { return c.HeaderTimeout })},
	{"PICPIPE_BODY_GRACE", wantDuration, notNegative(func(c config) time.Duration { return c.BodyGrace })},
	{"PICPIPE_WORKER_POLL_INTERVAL", wantDuration, notNegative(func(c config) time.Duration { return c.WorkerPoll })},
	{"PICPIPE_WORKER_SHUTDOWN_TIMEOUT", wantDuration, notNegative(func(c config) time.Duration { return c.WorkerShutdown })},
	{"PICPIPE_STUCK_AFTER", wantDuration, notNegative(func(c config) time.Duration { return c.StuckAfter })},
	{"PICPIPE_PURGE_GRACE", wantDuration, notNegative(func(c config) time.Duration { return c.PurgeGrace })},
	{"PICPIPE_FETCH_TIMEOUT", wantDuration, notNegative(func(c config) time.Duration { return c.FetchTimeout })},
	{"PICPIPE_RECONCILE_SCHEDULE", wantSchedule, func(c config) error {
		return scheduler.Config{ReconcileSpec: c.ReconcileSpec}.Validate()
	}},
	{"PICPIPE_PURGE_SCHEDULE", wantSchedule, func(c config) error {
		return scheduler.Config{PurgeSpec: c.PurgeSpec}.Validate()
	}},
	{"PICPIPE_RESET_SCHEDULE", wantSchedule, func(c config) error {
		return scheduler.Config{ResetSpec: c.ResetSpec}.Validate()
	}},
	{"PICPIPE_PUBLIC_BLOB_URL", "an http(s) URL without query or fragment, e.g. https://cdn.example.com", func(c config) error {
		return api.Config{PublicBlobURL: c.PublicBlobURL}.Validate()
	}},
	{"PICPIPE_PLANS", `JSON plans by name that define "free"`, func(c config) error {
		if c.plans == nil {
			return nil
		}
		return c.plans.Validate()
	}},
}

// check applies every rule and returns the broken ones, each naming its
// variable, the value it holds and what it accepts.
func (c config) check() error {
	var errs []error
	for _, r := range rules {
		if err := r.bad(c); err != nil {
			errs = append(errs, fmt.Errorf("config: %s=%q: want %s (%v)", r.name, os.Getenv(r.name), r.want, err))
		}
	}
	return errors.Join(errs...)
}

// explainParseError rewrites the errors of env.Parse, which name struct
// fields, to name the variable, its value and the kind of value wanted.
func explainParseError(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return fmt.Errorf("config: %w", err)
	}
	var errs []error
	for _, e := range agg.Errors {
		var pe env.ParseError
		if !errors.As(e, &pe) {
			errs = append(errs, fmt.Errorf("config: %w", e))
			continue
		}
		name := envName(pe.Name)
		errs = append(errs, fmt.Errorf("config: %s=%q: want %s (%v)", name, os.Getenv(name), wantOfType(pe.Type), pe.Err))
	}
	return errors.Join(errs...)
}

// envName is the variable of config's field named field.
func envName(field string) string {
	f, ok := reflect.TypeOf(config{}).FieldByName(field)
	if !ok {
		return field
	}
	name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
	return name
}

// wantOfType says in words what a value of type t is written as.
func wantOfType(t reflect.Type) string {
	switch {
	case t == reflect.TypeOf(time.Duration(0)):
		return "a duration such as 500ms, 10s, 5m or 1h"
	case t.Kind() == reflect.Slice:
		return "a comma-separated list of " + strings.TrimPrefix(wantOfType(t.Elem()), "a ") + "s"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "a whole number"
	case t.Kind() == reflect.Bool:
		return "true or false"
	}
	return t.String()
}
