// Package resource renders images and files as the API shows them: the
// Image and File resources of GET /v1/images/{id} and GET /v1/files/{id}.
// The API answers with them and the webhooks carry them, from one
// definition.
//
//	img, _ := d.ImageByID(ctx, userID, id)
//	vs, _ := d.VariantsOf(ctx, id)
//	json.NewEncoder(w).Encode(resource.NewImage("https://img.example.com", img, vs))
package resource
