package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"

	"picpipe"
	"picpipe/api/compat"
	"picpipe/db"
)

// adminQueuesPath is where asynqmon is mounted.
const adminQueuesPath = "/admin/queues"

// routes registers every route of the API. It is the one place to read to
// know the HTTP surface.
func (s *Server) routes(redisOpt asynq.RedisConnOpt) (*gin.Engine, error) {
	r, err := s.newEngine()
	if err != nil {
		return nil, err
	}

	r.GET("/", s.discovery)
	r.GET("/openapi.json", s.openapi)
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/u/:user/:file", s.deliver)
	r.HEAD("/u/:user/:file", s.deliver)
	r.GET("/f/:user/:file", s.deliverFile)
	r.HEAD("/f/:user/:file", s.deliverFile)
	r.GET(appPath, redirectApp)
	r.GET(appPath+"/*file", s.serveApp)

	// Each route needs its scope of the API key (db.Scopes); every POST
	// then takes an Idempotency-Key (idem), before anything reads its body.
	upload, read, del, keys := requireScope(db.ScopeUpload), requireScope(db.ScopeRead),
		requireScope(db.ScopeDelete), requireScope(db.ScopeKeys)
	idem := s.idempotent
	v1 := r.Group("/v1", s.authenticate)
	v1.POST("/images", upload, idem, s.limitUploads, s.checkQuota(true), s.createImage)
	v1.GET("/images", read, s.listImages)
	v1.GET("/images/:id", read, s.getImage)
	v1.GET("/images/:id/events", read, s.imageEvents)
	v1.DELETE("/images/:id", del, s.deleteImage)
	v1.POST("/files", upload, idem, s.limitUploads, s.checkQuota(false), s.createFiles)
	v1.GET("/files", read, s.listFiles)
	v1.GET("/files/:id", read, s.getFile)
	v1.GET("/files/:id/events", read, s.fileEvents)
	v1.DELETE("/files/:id", del, s.deleteFile)
	v1.POST("/uploads/presign", upload, idem, controlBody, s.limitUploads, s.checkQuota(true), s.presign)
	v1.GET("/usage", read, s.usage)
	v1.POST("/keys", keys, idem, controlBody, s.createKey)
	v1.GET("/keys", keys, s.listKeys)
	v1.DELETE("/keys/:id", keys, s.revokeKey)
	// Webhooks carry the account's images and files: read and keys both.
	hooks := v1.Group("/webhooks", read, keys)
	hooks.POST("", idem, controlBody, s.createWebhook)
	hooks.GET("", s.listWebhooks)
	hooks.GET("/:id", s.getWebhook)
	hooks.PATCH("/:id", controlBody, s.updateWebhook)
	hooks.DELETE("/:id", s.deleteWebhook)
	hooks.POST("/:id/secret", idem, controlBody, s.rollWebhookSecret)
	hooks.GET("/:id/deliveries", s.listDeliveries)
	hooks.POST("/:id/deliveries/:delivery_id/retry", idem, s.retryDelivery)

	// The bytes of a presigned upload: admitted by the URL's signature
	// alone (what a browser sends, from any origin) or by the grant's key.
	r.PUT("/v1/uploads/:id", s.authorizeUpload, upload, s.presignedBody, s.putUpload)
	r.OPTIONS("/v1/uploads/:id", s.uploadPreflight)

	s.mountDashboard(r, redisOpt)
	r.GET("/metrics", s.requireAdmin, gin.WrapH(MetricsHandler(s.metrics)))

	// The seed APIs, each under /compat/<seed>, some at the root too.
	var taken []string
	for _, rt := range r.Routes() {
		taken = append(taken, rt.Method+" "+rt.Path)
	}
	if err := compat.CheckRoot(s.cfg.CompatRoot, taken); err != nil {
		return nil, err
	}
	compat.Mount(r, s, s.cfg.CompatRoot)
	return r, nil
}

// newEngine returns a Gin engine with picpipe's middleware: request ids,
// logging, recovery, CORS (withCORS), the refusal of ambiguously framed
// requests, every body limited and paced, the error body for unknown
// routes, and only the configured proxies trusted.
func (s *Server) newEngine() (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	if err := r.SetTrustedProxies(s.cfg.TrustedProxies); err != nil {
		return nil, fmt.Errorf("api: trusted proxies: %w", err)
	}
	r.Use(withRequestID, withLogging, withRecovery, s.withCORS, refuseAmbiguous, s.withBody)
	r.NoRoute(func(c *gin.Context) {
		failCode(c, picpipe.ECodeNotFound, "no route for %s %s", c.Request.Method, c.Request.URL.Path)
	})
	return r, nil
}

// mountDashboard serves asynqmon under adminQueuesPath behind the admin
// token. asynqmon routes by itself below its root, so Gin hands it the
// whole subtree.
func (s *Server) mountDashboard(r *gin.Engine, redisOpt asynq.RedisConnOpt) {
	mon := gin.WrapH(asynqmon.New(asynqmon.Options{RootPath: adminQueuesPath, RedisConnOpt: redisOpt}))
	guard := s.guardDashboard()
	r.GET(adminQueuesPath, guard, s.requireAdmin, func(c *gin.Context) {
		c.Redirect(http.StatusMovedPermanently, adminQueuesPath+"/")
	})
	r.Any(adminQueuesPath+"/*any", guard, s.requireAdmin, mon)
}
