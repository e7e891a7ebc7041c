package api

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-redis/redis_rate/v10"

	"picpipe"
)

// limitUploads applies the plan's upload rate to the account, whichever
// of its keys or agent names the request came with (keys are
// self-service: a rate per key would multiply with them), shared by every
// API process through Redis (GCRA, one Lua script, the Redis clock),
// and sets the RateLimit-* and X-RateLimit-* headers. Over the rate it
// answers 429 rate_limited with Retry-After. When Redis does not answer
// within limiterTimeout it fails as Config.RateLimitOnError says.
func (s *Server) limitUploads(c *gin.Context) {
	rate := s.planOf(userOf(c)).UploadsPerMinute
	if rate == 0 {
		c.Next()
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), limiterTimeout)
	res, err := s.limiter.Allow(ctx, uploadRateKey(userOf(c).ID), redis_rate.PerMinute(rate))
	cancel()
	if err != nil {
		if s.cfg.RateLimitOnError == FailOpen {
			slog.WarnContext(c.Request.Context(), "rate limiter unavailable: upload let through",
				"err", err, "request_id", requestID(c))
			c.Next()
			return
		}
		fail(c, fmt.Errorf("%w: %w", errLimiterUnavailable, err))
		return
	}
	reset := ceilSeconds(res.ResetAfter)
	for _, prefix := range []string{"", "X-"} {
		c.Header(prefix+"RateLimit-Limit", strconv.Itoa(rate))
		c.Header(prefix+"RateLimit-Remaining", strconv.Itoa(res.Remaining))
		c.Header(prefix+"RateLimit-Reset", strconv.Itoa(reset))
	}
	if res.Allowed == 0 {
		c.Header("Retry-After", strconv.Itoa(max(1, ceilSeconds(res.RetryAfter))))
		failCode(c, picpipe.ECodeRateLimited, "more than %d upload requests a minute; retry later", rate)
		return
	}
	c.Next()
}

// uploadRateKey is the limiter's key of the account userID's upload rate.
func uploadRateKey(userID string) string { return "picpipe:rate:upload:" + userID }

// checkQuota refuses an upload before its body is read when the account
// is already at its storage quota (or, for images, its image quota). The
// exact, atomic check happens when the upload is recorded; this one only
// spares reading a body that cannot fit. A small body costs nothing to
// read and may confirm a presigned upload, whose bytes its grant already
// counts: only the exact check judges its storage.
func (s *Server) checkQuota(images bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := userOf(c)
		p := s.planOf(u)
		small := c.Request.ContentLength >= 0 && c.Request.ContentLength <= confirmBodyMax
		if (images && p.MaxImages > 0 && u.ImageCount >= p.MaxImages) ||
			(p.MaxStorageBytes > 0 && u.StorageBytes >= p.MaxStorageBytes && !small) {
			failQuota(c, p)
			return
		}
		c.Next()
	}
}

// failQuota answers 429 quota_exceeded naming the plan's limits.
func failQuota(c *gin.Context, p picpipe.Plan) {
	failCode(c, picpipe.ECodeQuotaExceeded,
		"quota exceeded: the plan allows %d images and %d bytes of originals; delete images to free quota",
		p.MaxImages, p.MaxStorageBytes)
}

func ceilSeconds(d time.Duration) int {
	if d < 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}
