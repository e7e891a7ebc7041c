package main

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/caarlos0/env/v11"
)

// readmeSettings returns the rows of README.md's configuration table:
// each variable with its default column as written.
func readmeSettings(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Configuration\n")
	if !ok {
		t.Fatal("README.md has no ## Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[string]string{}
	row := regexp.MustCompile("(?m)^\\| `(PICPIPE_[A-Z0-9_]+)` \\| (.*?) \\| ")
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		if _, dup := rows[m[1]]; dup {
			t.Errorf("README.md's configuration table has %s twice", m[1])
		}
		rows[m[1]] = m[2]
	}
	return rows
}

// configField is the field of c that holds the variable name.
func configField(c *config, name string) reflect.Value {
	v := reflect.ValueOf(c).Elem()
	for i := 0; i < v.NumField(); i++ {
		if tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("env"), ","); tag == name {
			return v.Field(i)
		}
	}
	return reflect.Value{}
}

// TestREADMEDefaults: README.md's configuration table documents every
// variable picpipe reads, and nothing else, and each default it states
// as a value is the default picpipe takes (the packages' Config defaults
// and this command's own): a default stated twice, differently, fails.
// A default written in words ("number of CPUs") is not compared; "(none…)"
// must be the empty value.
func TestREADMEDefaults(t *testing.T) {
	rows := readmeSettings(t)
	var names []string
	for i, typ := 0, reflect.TypeOf(config{}); i < typ.NumField(); i++ {
		if name, _, _ := strings.Cut(typ.Field(i).Tag.Get("env"), ","); name != "" {
			names = append(names, name)
			t.Setenv(name, "") // empty: the default
		}
	}
	for name := range rows {
		if !slices.Contains(names, name) {
			t.Errorf("README.md documents %s, which picpipe does not read", name)
		}
	}
	effective, err := loadConfig()
	if err != nil {
		t.Fatalf("loadConfig with every variable unset: %v", err)
	}
	literal := regexp.MustCompile("^`([^`$]*)`$")
	compared := 0
	for _, name := range names {
		doc, ok := rows[name]
		if !ok {
			t.Errorf("README.md's configuration table lacks %s", name)
			continue
		}
		got := configField(&effective, name)
		switch m := literal.FindStringSubmatch(doc); {
		case m != nil:
			var stated config
			if err := env.ParseWithOptions(&stated, env.Options{Environment: map[string]string{name: m[1]}}); err != nil {
				t.Errorf("README.md: %s's default %q does not parse: %v", name, m[1], err)
				continue
			}
			if want := configField(&stated, name); !reflect.DeepEqual(got.Interface(), want.Interface()) {
				t.Errorf("README.md says %s defaults to %q (%v); picpipe takes %v", name, m[1], want, got)
			}
			compared++
		case strings.HasPrefix(doc, "(none"):
			if !got.IsZero() {
				t.Errorf("README.md says %s has no default; picpipe takes %v", name, got)
			}
			compared++
		}
	}
	if compared < 30 {
		t.Errorf("compared %d defaults; want the table's values (is the README's table still in this shape?)", compared)
	}
}
