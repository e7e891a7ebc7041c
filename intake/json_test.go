package intake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"picpipe"
)

func TestReadJSON(t *testing.T) {
	tests := []struct {
		name, body string
		want       map[string]string
		data       string
		code       string
	}{
		{"fields and data", `{"filename":"a.png","quality":80,"lossless":true,"data":"aGk="}`,
			map[string]string{"filename": "a.png", "quality": "80", "lossless": "true", "data": ""}, "aGk=", ""},
		{"escapes", `{"filename":"a\"b\\c\u00e9\n.png"}`, map[string]string{"filename": "a\"b\\cé\n.png"}, "", ""},
		{"white space", " \n{ \"a\" : \"b\" ,\t\"c\":null }\n", map[string]string{"a": "b", "c": "null"}, "", ""},
		{"empty object", `{}`, map[string]string{}, "", ""},
		{"nested", `{"a":{"b":1}}`, nil, "", picpipe.ECodeInvalidRequest},
		{"array", `{"a":[1]}`, nil, "", picpipe.ECodeInvalidRequest},
		{"duplicate", `{"a":"1","a":"2"}`, nil, "", picpipe.ECodeInvalidRequest},
		{"trailing", `{"a":"1"} x`, nil, "", picpipe.ECodeInvalidRequest},
		{"unterminated", `{"a":"1`, nil, "", picpipe.ECodeInvalidRequest},
		{"control char", "{\"a\":\"1\x01\"}", nil, "", picpipe.ECodeInvalidRequest},
		{"bad escape", `{"a":"\q"}`, nil, "", picpipe.ECodeInvalidRequest},
		{"long value", `{"a":"` + strings.Repeat("x", maxJSONValue+1) + `"}`, nil, "", picpipe.ECodeInvalidRequest},
		{"not an object", `[1]`, nil, "", picpipe.ECodeInvalidRequest},
		{"long data with escapes across the buffer's ends", `{"data":"` + strings.Repeat(strings.Repeat("A", 999)+`\/`, 300) + `"}`,
			map[string]string{"data": ""}, strings.Repeat(strings.Repeat("A", 999)+"/", 300), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var data []byte
			got, err := ReadJSON(strings.NewReader(tt.body), "data", func(r io.Reader) (err error) {
				data, err = io.ReadAll(r)
				return err
			})
			if tt.code != "" {
				if picpipe.ErrorCode(err) != tt.code {
					t.Fatalf("ReadJSON = %v, %v; want %s", got, err, tt.code)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) || string(data) != tt.data {
				t.Fatalf("ReadJSON = %v (data %q), %v; want %v (data %q)", got, data, err, tt.want, tt.data)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("field %q = %q; want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestDecodeData(t *testing.T) {
	raw := []byte("\x89PNG\r\n\x1a\n\x00\xff\xfe binary ~~~ ???")
	std := base64.StdEncoding.EncodeToString(raw)
	url := base64.RawURLEncoding.EncodeToString(raw)
	tests := []struct {
		name, in, declared, code string
	}{
		{"standard", std, "", ""},
		{"url-safe unpadded", url, "", ""},
		{"line breaks", std[:10] + "\r\n" + std[10:], "", ""},
		{"data url", "data:image/png;base64," + std, "image/png", ""},
		{"data url with params", "data:image/png;name=a.png;base64," + std, "image/png", ""},
		{"not base64 data url", "data:text/plain,hello", "", picpipe.ECodeInvalidRequest},
		{"garbage", "@@@@", "", picpipe.ECodeInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, declared, err := DecodeData(strings.NewReader(tt.in))
			var got []byte
			if err == nil {
				got, err = io.ReadAll(r)
			}
			if tt.code != "" {
				if picpipe.ErrorCode(err) != tt.code {
					t.Fatalf("DecodeData = %v; want %s", err, tt.code)
				}
				return
			}
			if err != nil || !bytes.Equal(got, raw) || declared != tt.declared {
				t.Fatalf("DecodeData = %q, %q, %v; want the raw bytes, %q", got, declared, err, tt.declared)
			}
		})
	}
}

// FuzzReadJSON: no input panics or loops, and what it accepts is what
// encoding/json reads, field by field.
func FuzzReadJSON(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `{"data":"aGk=","filename":"x.png","n":1}`, `{"a":"\u00e9\n"}`, `{}`, `{"a":true,"b":null}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var data []byte
		got, err := ReadJSON(strings.NewReader(body), "data", func(r io.Reader) (err error) {
			data, err = io.ReadAll(io.LimitReader(r, 1<<20))
			return err
		})
		if err != nil {
			if picpipe.ErrorCode(err) == picpipe.ECodeInternal {
				t.Fatalf("ReadJSON(%q) failed uncoded: %v", body, err)
			}
			return
		}
		var want map[string]any
		if json.Unmarshal([]byte(body), &want) != nil {
			return // lenient where encoding/json is strict (lone surrogates, say): fine
		}
		// encoding/json reads each byte of invalid UTF-8 as U+FFFD, as
		// a conversion to []rune does.
		valid := map[string]string{}
		for k, v := range got {
			valid[string([]rune(k))] = string([]rune(v))
		}
		for k, v := range want {
			s, isString := v.(string)
			switch {
			case k == "data" && isString:
				if string([]rune(string(data))) != s {
					t.Fatalf("data = %q; encoding/json reads %q", data, s)
				}
			case isString && valid[k] != s:
				t.Fatalf("field %q = %q; encoding/json reads %q", k, valid[k], s)
			}
		}
	})
}

// FuzzDecodeData: whatever standard base64 encodes decodes back, in
// every variant the decoder takes.
func FuzzDecodeData(f *testing.F) {
	f.Add([]byte("hello"), true)
	f.Add([]byte{0xff, 0xfe, 0}, false)
	f.Add([]byte("aGVs\nbG8=\r\n"), false)
	f.Fuzz(func(t *testing.T, raw []byte, dataURL bool) {
		decode := func(r io.Reader) ([]byte, error) {
			d, _, err := DecodeData(r)
			if err != nil {
				return nil, err
			}
			return io.ReadAll(d)
		}
		for _, enc := range []string{base64.StdEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw)} {
			if dataURL {
				enc = "data:application/octet-stream;base64," + enc
			}
			// whole, and a byte a read: the decoder carries partial
			// quanta from one read to the next
			for _, r := range []io.Reader{strings.NewReader(enc), iotest.OneByteReader(strings.NewReader(enc))} {
				if got, err := decode(r); err != nil || !bytes.Equal(got, raw) {
					t.Fatalf("decoded %q, %v; want %q", got, err, raw)
				}
			}
		}
		// Any text: decoded as the standard raw decoder decodes it once
		// white space and padding are dropped and the URL-safe alphabet
		// mapped, or refused as invalid_request when that refuses it.
		var text []byte
		for _, c := range raw {
			switch c {
			case ' ', '\n', '\r', '\t', '=':
				continue
			case '-':
				c = '+'
			case '_':
				c = '/'
			}
			text = append(text, c)
		}
		want, wantErr := base64.RawStdEncoding.DecodeString(string(text))
		if bytes.HasPrefix(raw, []byte("data:")) {
			return // a data URL's prefix
		}
		got, err := decode(iotest.OneByteReader(bytes.NewReader(raw)))
		if (err != nil) != (wantErr != nil) || err == nil && !bytes.Equal(got, want) {
			t.Fatalf("DecodeData(%q) = %q, %v; want %q, %v", raw, got, err, want, wantErr)
		}
		if err != nil && picpipe.ErrorCode(err) != picpipe.ECodeInvalidRequest {
			t.Fatalf("DecodeData(%q): %v; want invalid_request", raw, err)
		}
	})
}

// BenchmarkReadJSON streams the base64 of 2 MB out of a JSON body, as a
// JSON upload does.
func BenchmarkReadJSON(b *testing.B) {
	body := `{"filename":"a.jpg","data":"` + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xd8}, 2<<20)) + `"}`
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		_, err := ReadJSON(strings.NewReader(body), "data", func(r io.Reader) error {
			d, _, err := DecodeData(r)
			if err == nil {
				_, err = io.Copy(io.Discard, d)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
