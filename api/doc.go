// Package api is picpipe's HTTP surface: a thin Gin router that
// authenticates, stages uploads to the blob store while hashing and
// sniffing them, records them in the database and enqueues their
// processing. It never decodes an image.
//
//	srv, err := api.New(ctx, cfg, api.Deps{DB: d, Store: st, Redis: opt})
//	err = srv.Run(ctx) // until ctx is cancelled, then drains
package api
