package compat

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// Prefix is where every seed is mounted: /compat/<seed>/….
const Prefix = "/compat/"

// route is one endpoint of a seed's API, on the seed's own path.
type route struct {
	method, path string
	agents       bool // also admits an Agent header
	control      bool // takes a small JSON body, not a file
	handle       func(Core) gin.HandlerFunc
}

// Seed is one hosted upload API picpipe speaks, with its own request and
// response shapes over the same core.
type Seed struct {
	Name   string
	render Renderer
	routes []route
}

// Seeds are the seed APIs picpipe serves, by name.
var Seeds = []*Seed{picklyone, apimart, agentSeed, kie}

// Names lists the seed names, for configuration messages.
func Names() []string {
	var names []string
	for _, s := range Seeds {
		names = append(names, s.Name)
	}
	return names
}

// Routes lists the method and path of every endpoint of seed mounted at
// base ("" for the root).
func (s *Seed) Routes(base string) []string {
	var out []string
	for _, rt := range s.routes {
		out = append(out, rt.method+" "+base+rt.path)
	}
	return out
}

// CheckRoot refuses a root configuration (seed names) naming an unknown
// seed, or under which two endpoints would claim one path: two seeds of
// the same path (picklyone and agent both take POST /api/v1/upload), or a
// seed and a native route (taken, "METHOD /path" each).
func CheckRoot(root []string, taken []string) error {
	claimed := map[string]string{}
	for _, t := range taken {
		claimed[t] = "the native API"
	}
	for _, name := range root {
		s := seedNamed(name)
		if s == nil {
			return fmt.Errorf("compat: unknown seed %q at the root; the seeds are %s", name, strings.Join(Names(), ", "))
		}
		for _, r := range s.Routes("") {
			if owner, ok := claimed[r]; ok {
				return fmt.Errorf("compat: %s and %s both claim %s at the root; mount at most one of them there", owner, s.Name, r)
			}
			claimed[r] = "seed " + s.Name
		}
	}
	return nil
}

func seedNamed(name string) *Seed {
	i := slices.IndexFunc(Seeds, func(s *Seed) bool { return s.Name == name })
	if i < 0 {
		return nil
	}
	return Seeds[i]
}

// Mount registers every seed under Prefix+name, and the seeds named in
// root at the root as well (check them with CheckRoot first).
func Mount(r *gin.Engine, core Core, root []string) {
	for _, s := range Seeds {
		s.mount(r.Group(Prefix+s.Name), core)
		if slices.Contains(root, s.Name) {
			s.mount(r.Group(""), core)
		}
	}
}

func (s *Seed) mount(g *gin.RouterGroup, core Core) {
	for _, rt := range s.routes {
		chain := append([]gin.HandlerFunc{SetRenderer(s.render)}, core.Guard(rt.agents)...)
		if rt.control {
			chain = append(chain, core.ControlBody())
		}
		g.Handle(rt.method, rt.path, append(chain, rt.handle(core))...)
	}
}

// statusFor maps a native status to a seed's where the seed documents
// another: the codes whose status a seed changes, the rest as they are.
func statusFor(status int, code string, changed map[string]int) int {
	if s, ok := changed[code]; ok {
		return s
	}
	return status
}

// created is the status of a successful upload on seeds that answer 200.
const created = http.StatusOK
