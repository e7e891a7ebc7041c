package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
)

// query is p as a list request's query.
func (p *ListParams) query() url.Values {
	q := url.Values{}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	return q
}

// paginate iterates over the items of the pages page fetches, following
// their cursors.
func paginate[T any](ctx context.Context, pageSize int, page func(*ListParams) ([]T, string, error)) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		p := &ListParams{Limit: pageSize}
		for {
			items, next, err := page(p)
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range items {
				if !yield(&items[i], nil) {
					return
				}
			}
			if next == "" {
				return
			}
			p.Cursor = next
		}
	}
}

// orZero returns p, or a new zero T when p is nil.
func orZero[T any](p *T) *T {
	if p == nil {
		return new(T)
	}
	return p
}
