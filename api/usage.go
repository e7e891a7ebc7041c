package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"picpipe/db"
)

// apiCallsTTL keeps a month's call counter a while past its month.
const apiCallsTTL = 62 * 24 * time.Hour

func apiCallsKey(userID, period string) string {
	return "picpipe:usage:" + userID + ":" + period + ":api_calls"
}

// usage is GET /v1/usage: the account's quota in use and this month's
// (UTC) counts. api_calls, a metric kept in Redis, is null when Redis
// does not answer within counterTimeout; the rest comes from the
// database.
func (s *Server) usage(c *gin.Context) {
	ctx := c.Request.Context()
	u, err := s.db.UserByID(ctx, userOf(c).ID)
	if err != nil {
		fail(c, err)
		return
	}
	period := db.Period(s.now().Unix())
	var calls *int64
	if n, err := s.apiCalls(ctx, u.ID, period); err != nil {
		slog.WarnContext(ctx, "read api call count", "err", err, "request_id", requestID(c))
	} else {
		calls = &n
	}
	p := s.planOf(u)
	c.JSON(http.StatusOK, gin.H{
		"object": "usage", "period": period, "plan": u.Plan,
		"image_count": u.ImageCount, "image_quota": p.MaxImages,
		"storage_used_bytes": u.StorageBytes, "storage_quota_bytes": p.MaxStorageBytes,
		"transform_count": u.TransformsIn(period), "api_calls": calls,
		"uploads_per_minute": p.UploadsPerMinute, "max_upload_bytes": p.MaxUploadBytes,
	})
}

// apiCalls reads the user's call count of period, within counterTimeout.
func (s *Server) apiCalls(ctx context.Context, userID, period string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, counterTimeout)
	defer cancel()
	n, err := s.rdb.Get(ctx, apiCallsKey(userID, period)).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, err
}
