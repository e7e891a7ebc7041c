// Package intake is the way bytes come into picpipe, whatever the route
// or the API flavour: it streams an upload into the store while hashing
// it and sniffing its first bytes through a Gate, decodes base64 and data
// URLs from a JSON body as they stream, and cleans client file names. It
// knows nothing of HTTP frameworks; the API's native routes and every
// seed mount are thin adapters over it. Nothing is ever held in memory
// whole, and a refused upload leaves nothing in the store.
//
//	st := intake.Stager{Store: store}
//	got, err := st.Stage(ctx, part, "staging/usr_1/img_2", 50<<20,
//		intake.NewImageGate(8000, 100_000_000), part.FileName())
//	// got.Size, got.SHA256, got.MIME; err is a *picpipe.Error for the client's faults
package intake
