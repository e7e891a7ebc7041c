package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"picpipe"
	"picpipe/db"
	"picpipe/jobs"
)

// The status streams, GET /v1/images/{id}/events and GET
// /v1/files/{id}/events, are Server-Sent Events: the resource as it is
// now, then again at each change of its status (and of an image's
// variants) until it is final — an image failed, or ready with every
// variant final; a file ready or failed; either deleted — and then the
// stream ends. Changes are heard on the completion channel every API
// process subscribes to once (jobs.Waiter): a stream watches its id on
// its process's fan-out, never a Redis subscription of its own, so an
// upload made through one process is followed from any other. The
// database is the truth: a stream reads the row on each announcement,
// and every streamRecheck in case one was lost.
//
// Each event's id is the state it shows ("processing", "ready.avif-
// queued"): a client that reconnects with Last-Event-ID is sent the
// state only if it changed since, and a client that saw the final state
// is answered 204, which tells an EventSource to stop reconnecting.

const (
	// streamRecheck is how often a stream reads its row without an
	// announcement.
	streamRecheck = 5 * time.Second
	// streamRetry is the reconnection delay a stream suggests (retry:).
	streamRetry = 3 * time.Second
	// announceTimeout bounds an API process's announcement of a change.
	announceTimeout = 500 * time.Millisecond
)

// Event names.
const (
	eventStatus  = "status"  // the resource, its status changed (or first)
	eventVariant = "variant" // the image, a variant changed
	eventDeleted = "deleted" // {id, object, deleted: true}; the stream ends
)

var (
	errTooManyStreams = picpipe.Errorf(picpipe.ECodeRateLimited,
		"too many event streams are open for this account; close one (or poll GET) and retry")
	errStreamsUnavailable = picpipe.Errorf(picpipe.ECodeTranscodeUnavailable,
		"event streams are unavailable (Redis does not answer); retry later")
)

// streamState is a resource as a stream shows it.
type streamState struct {
	id     string // the event id: the state shown
	status string
	data   any
	final  bool
}

// deletedState is the last state of a deleted (or expired) resource.
func deletedState(object, id string) *streamState {
	return &streamState{id: "deleted", status: "deleted", final: true,
		data: gin.H{"id": id, "object": object, "deleted": true}}
}

// imageEvents is GET /v1/images/:id/events.
func (s *Server) imageEvents(c *gin.Context) { s.stream(c, "image", s.imageState) }

// fileEvents is GET /v1/files/:id/events.
func (s *Server) fileEvents(c *gin.Context) { s.stream(c, "file", s.fileState) }

// imageState reads the caller's image id with its variants;
// db.ErrImageNotFound once deleted.
func (s *Server) imageState(c *gin.Context, id string) (*streamState, error) {
	ctx := c.Request.Context()
	img, err := s.db.ImageByID(ctx, userOf(c).ID, id)
	if err != nil {
		return nil, err
	}
	vs, err := s.db.VariantsOf(ctx, img.ID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(vs, func(a, b db.Variant) int { return strings.Compare(a.Kind, b.Kind) })
	st := &streamState{id: img.Status, status: img.Status, data: s.imageView(c, img, vs),
		final: img.Status == db.StatusFailed}
	if img.Status == db.StatusReady {
		st.final = true
		for _, v := range vs {
			st.id += "." + v.Kind + "-" + v.Status
			st.final = st.final && v.Done()
		}
	}
	return st, nil
}

// fileState reads the caller's file id; db.ErrFileNotFound once
// deleted or expired.
func (s *Server) fileState(c *gin.Context, id string) (*streamState, error) {
	f, err := s.db.FileByID(c.Request.Context(), userOf(c).ID, id, s.now().Unix())
	if err != nil {
		return nil, err
	}
	return &streamState{id: f.Status, status: f.Status, data: s.fileView(c, f),
		final: f.Status == db.StatusReady || f.Status == db.StatusFailed}, nil
}

// stream answers a status stream of the resource read reads (object
// names it), as the package comment says.
func (s *Server) stream(c *gin.Context, object string, read func(*gin.Context, string) (*streamState, error)) {
	ctx, id := c.Request.Context(), c.Param("id")
	changed, stop := s.waiter.Watch(id) // before the first read: no change between goes unheard
	defer stop()
	st, err := read(c, id)
	if err != nil {
		fail(c, err)
		return
	}
	last := c.GetHeader("Last-Event-ID")
	if st.final && st.id == last {
		c.Status(http.StatusNoContent)
		return
	}
	slot, err := s.events.admit(ctx, userOf(c).ID)
	if err != nil {
		fail(c, err)
		return
	}
	defer slot.release()
	out := startEvents(c)
	recheck := time.NewTicker(streamRecheck)
	defer recheck.Stop()
	heartbeat := time.NewTicker(s.cfg.StreamHeartbeat)
	defer heartbeat.Stop()
	shown := ""
	for out.err == nil {
		if st.id != last {
			out.send(st, eventName(shown, st.status))
			last, shown = st.id, st.status
		}
		if st.final {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-s.events.closing:
			return // the server is shutting down: the client reconnects elsewhere
		case <-heartbeat.C:
			out.comment("heartbeat")
			slot.renew(ctx)
			continue
		case <-changed:
		case <-recheck.C:
		}
		if st, err = read(c, id); errors.Is(err, db.ErrImageNotFound) || errors.Is(err, db.ErrFileNotFound) {
			st = deletedState(object, id)
		} else if err != nil {
			slog.WarnContext(ctx, "event stream: read; the stream ends for the client to reconnect",
				"id", id, "err", err, "request_id", requestID(c))
			return
		}
	}
}

// eventName names the event showing status after one showing shown
// ("" before the first).
func eventName(shown, status string) string {
	switch {
	case status == "deleted":
		return eventDeleted
	case shown == status:
		return eventVariant
	}
	return eventStatus
}

// eventWriter writes Server-Sent Events, each flushed at once.
type eventWriter struct {
	c   *gin.Context
	err error
}

// startEvents answers 200 text/event-stream, unbuffered by proxies, and
// suggests the reconnection delay.
func startEvents(c *gin.Context) *eventWriter {
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	c.Status(http.StatusOK)
	w := &eventWriter{c: c}
	w.write(fmt.Sprintf("retry: %d\n\n", streamRetry.Milliseconds()))
	return w
}

// send writes st as the event name.
func (w *eventWriter) send(st *streamState, name string) {
	data, err := json.Marshal(st.data)
	if err != nil {
		w.err = err
		return
	}
	w.write("id: " + st.id + "\nevent: " + name + "\ndata: " + string(data) + "\n\n")
}

// comment writes a comment, which keeps the connection and its proxies
// from timing out.
func (w *eventWriter) comment(text string) { w.write(": " + text + "\n\n") }

func (w *eventWriter) write(s string) {
	if w.err != nil {
		return
	}
	if _, w.err = w.c.Writer.WriteString(s); w.err == nil {
		w.c.Writer.Flush()
	}
}

// announce tells every API process's waiters and streams that id
// changed (a delete). Losing it only delays them to their next read.
func (s *Server) announce(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), announceTimeout)
	defer cancel()
	if err := jobs.PublishDone(ctx, s.rdb, id); err != nil {
		slog.WarnContext(ctx, "announce a change", "id", id, "err", err)
	}
}

// eventStreams bounds the open streams of each account across every API
// process: a sorted set per account in Redis, a member per stream scored
// with when it lapses unless renewed (each heartbeat renews it), so that
// the streams of a process that died stop counting.
type eventStreams struct {
	rdb       redis.UniversalClient
	max       int
	heartbeat time.Duration
	closing   chan struct{} // closed when the server shuts down
	once      sync.Once
}

func newEventStreams(rdb redis.UniversalClient, max int, heartbeat time.Duration) *eventStreams {
	return &eventStreams{rdb: rdb, max: max, heartbeat: heartbeat, closing: make(chan struct{})}
}

// close ends every stream.
func (e *eventStreams) close() { e.once.Do(func() { close(e.closing) }) }

// slotTTL is how long a stream's slot lasts without a renewal.
func (e *eventStreams) slotTTL() time.Duration { return max(3*e.heartbeat, 30*time.Second) }

// admitStream takes a slot (ARGV[3]) lasting ARGV[1] ms in an account's
// set (KEYS[1]) when fewer than ARGV[2] live ones are there, at the Redis
// clock: lapsed slots are dropped first.
var admitStream = redis.NewScript(`
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[1]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`)

// renewStream moves a slot's lapse on, if it is still there.
var renewStream = redis.NewScript(`
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', ms + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`)

func streamsKey(userID string) string { return "picpipe:streams:" + userID }

// streamSlot is one admitted stream.
type streamSlot struct {
	e           *eventStreams
	key, member string
}

// admit takes a stream slot of the account: errTooManyStreams when its
// streams are at the limit, transcode_unavailable when Redis does not
// answer (the streams run on it).
func (e *eventStreams) admit(ctx context.Context, userID string) (*streamSlot, error) {
	slot := &streamSlot{e: e, key: streamsKey(userID), member: newLeaseOwner()}
	ctx, cancel := context.WithTimeout(ctx, limiterTimeout)
	defer cancel()
	ok, err := admitStream.Run(ctx, e.rdb, []string{slot.key}, e.slotTTL().Milliseconds(), e.max, slot.member).Int()
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %w", errStreamsUnavailable, err)
	case ok == 0:
		return nil, errTooManyStreams
	}
	return slot, nil
}

// renew keeps the slot; a failure only lets it lapse early.
func (s *streamSlot) renew(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, limiterTimeout)
	defer cancel()
	renewStream.Run(ctx, s.e.rdb, []string{s.key}, s.e.slotTTL().Milliseconds(), s.member)
}

// release gives the slot back.
func (s *streamSlot) release() {
	ctx, cancel := context.WithTimeout(context.Background(), limiterTimeout)
	defer cancel()
	s.e.rdb.ZRem(ctx, s.key, s.member)
}
