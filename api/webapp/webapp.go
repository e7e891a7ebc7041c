// Package webapp holds the web upload page picpipe serves at /app: plain
// HTML, CSS and JavaScript embedded in the binary, with no build step and
// nothing loaded from other hosts. The page talks to the API of its own
// origin with an API key the user pastes, kept in the tab's
// sessionStorage only.
//
//	r.GET("/app/*file", func(c *gin.Context) { … webapp.FS … })
package webapp

import "embed"

// FS holds the page's files: index.html, app.css, app.js and icon.svg.
//
//go:embed index.html app.css app.js icon.svg
var FS embed.FS
