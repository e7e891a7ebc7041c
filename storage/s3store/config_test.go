package s3store_test

import (
	"strings"
	"testing"

	"picpipe/storage/s3store"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url     string
		want    s3store.Config
		wantErr string
	}{
		{url: "s3://pics", want: s3store.Config{Bucket: "pics"}},
		{
			url: "s3://AKID:se%2Fcret@pics/tenant/a?endpoint=http://127.0.0.1:7070&region=eu-west-1&part_size=16777216&max_retries=5",
			want: s3store.Config{Bucket: "pics", Prefix: "tenant/a", Endpoint: "http://127.0.0.1:7070", Region: "eu-west-1",
				AccessKey: "AKID", SecretKey: "se/cret", PartSize: 16 << 20, MaxRetries: 5},
		},
		{url: "s3://pics/", want: s3store.Config{Bucket: "pics"}},
		{url: "s3://pics?upload_endpoint=https://s3.example.com", want: s3store.Config{Bucket: "pics", UploadEndpoint: "https://s3.example.com"}},
		{url: "s3://pics?upload_endpoint=https://s3.example.com/up", wantErr: "upload_endpoint"},
		{url: "s3:///nobucket", wantErr: "no bucket"},
		{url: "s3://pics/a//b", wantErr: "want a clean relative path"},
		{url: "file:///srv", wantErr: "want s3://bucket"},
		{url: "s3://pics?endpiont=http://x", wantErr: `unknown parameter "endpiont"`},
		{url: "s3://pics?endpoint=127.0.0.1:7070", wantErr: "want http(s)://host[:port]"},
		{url: "s3://pics?endpoint=http://h/path", wantErr: "want http(s)://host[:port]"},
		{url: "s3://pics?part_size=1048576", wantErr: "at least 5242880"},
		{url: "s3://pics?part_size=big", wantErr: "not a number"},
		{url: "s3://onlykey@pics", wantErr: "both the access key and the secret key"},
		{url: "s3://AKID:hunter2@pics?bad=1", wantErr: "unknown parameter"},
		{url: "s3://AKID:hunter2@pics%zz", wantErr: "does not parse"},
	}
	for _, tt := range tests {
		got, err := s3store.ParseURL(tt.url)
		switch {
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tt.url, got, err, tt.want)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseURL(%q) = %v; want an error saying %q", tt.url, err, tt.wantErr)
		case err != nil && strings.Contains(err.Error(), "hunter2"):
			t.Errorf("ParseURL(%q) = %v: shows the secret", tt.url, err)
		}
	}
}
