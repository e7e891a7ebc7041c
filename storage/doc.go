// Package storage keeps blobs: staged uploads and processed outputs.
//
// A Store is addressed by slash-separated keys such as
// "staging/usr_1/img_2" or "images/usr_1/ab12….webp". The local
// implementation writes atomically (temporary file, then rename), so a
// reader never sees half a blob, and refuses keys that could escape its
// root.
//
//	st, err := storage.NewLocal("./data/blobs")
//	n, err := st.Put(ctx, "staging/usr_1/img_2", body)
//	f, err := st.Open(ctx, "staging/usr_1/img_2")
//
// Back ends may offer more through small optional interfaces: a
// LeftoverCollector removes what writes cut short left behind; a
// Presigner lets clients upload straight to it:
//
//	if p, ok := st.(storage.Presigner); ok {
//		up, err := p.PresignUpload(ctx, "staging/usr_1/upl_3",
//			storage.UploadPolicy{ContentType: "image/png", MaxSize: 50 << 20, Expires: time.Now().Add(time.Hour)})
//	}
package storage
