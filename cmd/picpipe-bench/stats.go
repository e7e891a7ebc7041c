package main

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// samples is a list of measurements in seconds (or any unit).
type samples []float64

// add appends a duration in seconds.
func (s *samples) add(d time.Duration) { *s = append(*s, d.Seconds()) }

// quantile is the q-quantile (0..1) with linear interpolation; NaN when
// empty. With few samples p99 is close to the maximum.
func (s samples) quantile(q float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	c := append(samples(nil), s...)
	sort.Float64s(c)
	pos := q * float64(len(c)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return c[lo] + (c[hi]-c[lo])*(pos-float64(lo))
}

func (s samples) median() float64 { return s.quantile(0.5) }
func (s samples) p99() float64    { return s.quantile(0.99) }

// ms formats seconds as milliseconds.
func ms(sec float64) string {
	switch {
	case math.IsNaN(sec):
		return "—"
	case sec < 0.01:
		return fmt.Sprintf("%.2f ms", sec*1000)
	case sec < 10:
		return fmt.Sprintf("%.1f ms", sec*1000)
	}
	return fmt.Sprintf("%.0f ms", sec*1000)
}

// secs formats seconds.
func secs(sec float64) string { return fmt.Sprintf("%.2f s", sec) }

// mb formats bytes as MB (10^6).
func mb(b float64) string { return fmt.Sprintf("%.1f MB", b/1e6) }

// ratio formats a ratio.
func ratio(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "—"
	}
	return fmt.Sprintf("%.2f×", r)
}
