package api

import "net/http"

// RequestHash is requestHash, for tests that plant idempotency records.
func RequestHash(r *http.Request) string { return requestHash(r) }

// IdempotentRunning returns how many requests hold an idempotency record
// in s now.
func (s *Server) IdempotentRunning() int {
	s.leases.mu.Lock()
	defer s.leases.mu.Unlock()
	return len(s.leases.held)
}

// Listeners returns how many requests listen on s's completion fan-out:
// waiting uploads and event streams.
func (s *Server) Listeners() int { return s.waiter.Listeners() }
