package client_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"picpipe/client"
)

// openapi reads the API's contract, api/openapi.json (the document the
// server serves).
func openapi(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func schema(doc map[string]any, name string) map[string]any {
	return doc["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	slices.Sort(out)
	return out
}

// TestTypesMatchSchemas checks that each resource's JSON names are the
// properties of its schema, no more and no fewer.
func TestTypesMatchSchemas(t *testing.T) {
	doc := openapi(t)
	for schemaName, v := range map[string]any{
		"Image": client.Image{}, "File": client.File{}, "FailureReason": client.Failure{},
		"FileError": client.FileError{}, "FileUploadResult": client.FileUploadResult{},
		"ImageList": client.ImageList{}, "FileList": client.FileList{},
		"APIKeyWithSecret": client.APIKey{}, "APIKeyList": client.APIKeyList{}, "Usage": client.Usage{},
		"PresignRequest": client.PresignRequest{}, "UploadGrant": client.UploadGrant{}, "Upload": client.Upload{},
		"Discovery": client.Discovery{}, "Readiness": client.Readiness{},
	} {
		var props []string
		for p := range schema(doc, schemaName)["properties"].(map[string]any) {
			props = append(props, p)
		}
		slices.Sort(props)
		if got := jsonNames(reflect.TypeOf(v)); !slices.Equal(got, props) {
			t.Errorf("%T has JSON fields %v; schema %s has %v", v, got, schemaName, props)
		}
	}
	var kr map[string]any
	b, _ := json.Marshal(client.KeyRequest{Name: "n", AllowedIPs: []string{}, Scopes: []client.Scope{client.ScopeRead}})
	json.Unmarshal(b, &kr)
	for p := range schema(doc, "KeyRequest")["properties"].(map[string]any) {
		if _, ok := kr[p]; !ok {
			t.Errorf("KeyRequest does not send %q (sent %s)", p, b)
		}
	}
}

func jsonNames(typ reflect.Type) []string {
	var names []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// TestCodesAreThePicpipeCodes checks that the client's Code constants
// are package picpipe's ECode constants, one for one, and that those are
// the ErrorCode enum of the contract.
func TestCodesAreThePicpipeCodes(t *testing.T) {
	server := constValues(t, "../error.go", "ECode")
	var enum []string
	for _, v := range server {
		enum = append(enum, v)
	}
	slices.Sort(enum)
	if want := strs(schema(openapi(t), "ErrorCode")["enum"]); !slices.Equal(enum, want) {
		t.Errorf("picpipe's codes %v; the contract's %v", enum, want)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "error.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for name, sel := range codeConsts(f) {
		if strings.TrimPrefix(name, "Code") != strings.TrimPrefix(sel, "ECode") || server[sel] == "" {
			t.Errorf("client.%s = Code(picpipe.%s); want the ECode of the same name", name, sel)
		}
		seen[sel] = true
	}
	for name := range server {
		if !seen[name] {
			t.Errorf("picpipe.%s has no client Code", name)
		}
	}
}

// constValues returns the string constants of a Go file whose names
// start with prefix, by name.
func constValues(t *testing.T, path, prefix string) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, id := range vs.Names {
			if i >= len(vs.Values) {
				break
			}
			if lit, ok := vs.Values[i].(*ast.BasicLit); ok && strings.HasPrefix(id.Name, prefix) {
				out[id.Name], _ = strconv.Unquote(lit.Value)
			}
		}
		return true
	})
	return out
}

// codeConsts returns the constants Code(picpipe.X) of a file: name → X.
func codeConsts(f *ast.File) map[string]string {
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, id := range vs.Names {
			if i >= len(vs.Values) {
				break
			}
			call, ok := vs.Values[i].(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				continue
			}
			if sel, ok := call.Args[0].(*ast.SelectorExpr); ok {
				out[id.Name] = sel.Sel.Name
			}
		}
		return true
	})
	return out
}

// TestScopesAreTheContracts checks the Scope constants against the
// contract's scopes.
func TestScopesAreTheContracts(t *testing.T) {
	items := schema(openapi(t), "APIKey")["properties"].(map[string]any)["scopes"].(map[string]any)["items"].(map[string]any)
	var got []string
	for _, v := range constValues(t, "types.go", "Scope") {
		got = append(got, v)
	}
	slices.Sort(got)
	if want := strs(items["enum"]); !slices.Equal(got, want) {
		t.Errorf("client scopes %v; the contract's %v", got, want)
	}
}
